"""The time bank's settings and their defaults, in one place (``[skillshare]`` in
``hub.toml``; ``current()`` reads them)::

    [skillshare]
    debit_limit_minutes = 600      # a member may owe at most 10 hours
    credit_limit_minutes = 3000    # and hold at most 50
    confirm_within_days = 14       # an unconfirmed exchange expires after two weeks
    request_unmet_days = 28        # a request this long open with no exchange is a need
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate

from hub.plugin_api import plugin_settings

MAX_MINUTES = 1_000_000  # about 16,000 hours: far beyond any member's balance


def _minutes(default: int) -> fields.Integer:
    return fields.Integer(
        strict=True, validate=validate.Range(min=0, max=MAX_MINUTES), load_default=default
    )


class SettingsSchema(Schema):
    """Every setting with its type and default (the ``hub_settings`` hook)."""

    # The default limits of a member's balance; a coordinator may set a member's own.
    debit_limit_minutes = _minutes(1200)
    credit_limit_minutes = _minutes(3000)
    # An exchange nobody confirmed or declined in this many days expires.
    confirm_within_days = fields.Integer(
        strict=True, validate=validate.Range(min=1, max=365), load_default=14
    )
    # A request open this many days with no confirmed exchange for it in those days is
    # published as a need of its category (``needed.<category>``): four weeks, long
    # enough for a member to have answered it in the ordinary way.
    request_unmet_days = fields.Integer(
        strict=True, validate=validate.Range(min=1, max=365), load_default=28
    )


@dataclass(frozen=True)
class Settings:
    debit_limit_minutes: int
    credit_limit_minutes: int
    confirm_within_days: int
    request_unmet_days: int


def current() -> Settings:
    """The validated settings of the running instance."""
    return Settings(**plugin_settings("skillshare"))
