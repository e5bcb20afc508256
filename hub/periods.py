"""Reporting periods: ISO weeks (``2025-W07``) and calendar months (``2025-02``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["week", "month"]

# Whole-string ASCII grammars: ``\d`` would take any script's digits and ``$`` a final newline.
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
# Every period in this range, and the day after it, is a date Python can hold.
YEARS = range(1900, 3000)


class PeriodError(ValueError):
    """A period string that is neither an ISO week nor a month."""


@dataclass(frozen=True, order=True)
class Period:
    """A half-open range of dates ``[start, end)``: one ISO week or one month."""

    kind: PeriodKind
    start: dt.date

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2025-W07`` or ``2025-02`` (a year from 1900 to 2999); raise
        :class:`PeriodError` otherwise."""
        match = _WEEK.fullmatch(text) or _MONTH.fullmatch(text)
        if match and int(match[1]) not in YEARS:
            raise PeriodError(f"{text!r}: the year must be from {YEARS[0]} to {YEARS[-1]}")
        if match and match.re is _WEEK:
            year, week = int(match[1]), int(match[2])
            try:
                return cls("week", dt.date.fromisocalendar(year, week, 1))
            except ValueError:
                raise PeriodError(f"{text!r}: {year} has no ISO week {week}") from None
        if match:
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                raise PeriodError(f"{text!r}: month must be 01 to 12")
            return cls("month", dt.date(year, month, 1))
        raise PeriodError(
            f"{text!r} is not a period: use an ISO week (2025-W07) or a month (2025-02)"
        )

    @classmethod
    def week_of(cls, day: dt.date) -> Period:
        return cls("week", day - dt.timedelta(days=day.weekday()))

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        return cls("month", day.replace(day=1))

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        if self.kind == "week":
            return self.start + dt.timedelta(days=7)
        year, month = divmod(self.start.month, 12)
        return dt.date(self.start.year + year, month + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    def next(self) -> Period:
        return Period(self.kind, self.end)

    def previous(self) -> Period:
        before = self.start - dt.timedelta(days=1)
        return Period.week_of(before) if self.kind == "week" else Period.month_of(before)

    def __str__(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"


def periods_for_dates(
    dates: Iterable[dt.date], kinds: Iterable[PeriodKind] = ("week", "month")
) -> list[Period]:
    """The distinct weeks and months that contain ``dates``, in order."""
    wanted = tuple(kinds)
    found: set[Period] = set()
    for day in dates:
        if "week" in wanted:
            found.add(Period.week_of(day))
        if "month" in wanted:
            found.add(Period.month_of(day))
    return sorted(found, key=lambda p: (p.start, p.kind))
