"""The time, as the hub sees it: ``now()`` in UTC and ``today()``, the local date.

Everything that asks "what day is it?" (defaults on forms, "valid until", "this
week's" figures, timestamps on new rows) asks here, so a test can set the clock
(the ``clock`` fixture of :mod:`hub.testing`) instead of waiting for a date.
"""

from __future__ import annotations

import datetime as dt

_fixed: dt.datetime | None = None


def now() -> dt.datetime:
    """The current moment, timezone-aware, in UTC."""
    return _fixed if _fixed is not None else dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The server's local date (a session runs by the hall's calendar, not UTC's)."""
    return now().astimezone().date()


def set_to(moment: dt.datetime | dt.date | None) -> None:
    """Stop the clock at ``moment`` (a date means its local noon); ``None`` starts it again."""
    global _fixed
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            raise ValueError("set the clock to a timezone-aware moment")
        _fixed = moment.astimezone(dt.UTC)
    elif isinstance(moment, dt.date):
        _fixed = dt.datetime.combine(moment, dt.time(12)).astimezone().astimezone(dt.UTC)
    else:
        _fixed = None
