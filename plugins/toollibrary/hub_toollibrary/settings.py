"""The tool library's settings and their defaults, in one place.

An admin overrides them in ``hub.toml`` under ``[toollibrary]``, for example::

    [toollibrary]
    hold_days = 5
    reservation_buffer_days = 2
    fine_pence_per_day = 50
"""

from __future__ import annotations

from typing import Any

from hub.plugin_api import Schema, fields, plugin_settings, validate


def _days(default: int, *, minimum: int = 0) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=minimum, max=3650), load_default=default)


class SettingsSchema(Schema):
    """Every setting with its type and default (the ``hub_settings`` hook)."""

    # A hold that is ready waits this many days for its member, then passes to the next.
    hold_days = _days(7, minimum=1)
    # Days kept free before and after a reservation, for the return and a check.
    reservation_buffer_days = _days(1)
    # The longest a reservation may run, in days.
    reservation_max_days = _days(14, minimum=1)
    # Members are reminded this many days before a loan is due (0: no due-soon reminders).
    due_soon_days = _days(2)
    # A late return is charged this much per day late, up to the item's replacement value
    # (0: no fines). Recorded on the loan; the hub takes no payments.
    fine_pence_per_day = fields.Integer(validate=validate.Range(min=0, max=100_000), load_default=0)


def current() -> dict[str, Any]:
    return plugin_settings("toollibrary")
