"""Reporting periods: ISO weeks (``2025-W07``) and calendar months (``2025-02``),
and the SQL to compute figures for many of them in one query."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, ColumnExpressionArgument, Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

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


# --- computing figures for many periods at once (hub_compute_metrics_for_periods) ---


class _WeekStart(FunctionElement[dt.date]):
    """The Monday of the ISO week containing a date."""

    type = Date()
    inherit_cache = True
    unit = "week"  # PostgreSQL's date_trunc('week') is ISO: Monday
    # SQLite: on to the coming Sunday (the same day for a Sunday), then back to its Monday.
    modifiers = "'weekday 0', '-6 days'"


class _MonthStart(FunctionElement[dt.date]):
    """The first day of the month containing a date."""

    type = Date()
    inherit_cache = True
    unit = "month"
    modifiers = "'start of month'"


@compiles(_WeekStart, "postgresql")
@compiles(_MonthStart, "postgresql")
def _period_start_postgresql(element: _WeekStart | _MonthStart, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('{element.unit}', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(_WeekStart, "sqlite")
@compiles(_MonthStart, "sqlite")
def _period_start_sqlite(element: _WeekStart | _MonthStart, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, {element.modifiers})"


def period_start(column: ColumnExpressionArgument[Any], kind: PeriodKind) -> ColumnElement[dt.date]:
    """An SQL expression: the first day of the ISO week (``kind="week"``) or the
    month (``"month"``) containing the date in ``column``, on SQLite and
    PostgreSQL alike. Group by it to count every period in one query::

        start = api.period_start(Loan.lent_on, "week")
        select(start, func.count()).where(...).group_by(start)

    A timestamp column is taken as a UTC date.
    """
    if kind == "week":
        return _WeekStart(column)
    if kind == "month":
        return _MonthStart(column)
    raise ValueError(f"period kind must be 'week' or 'month', not {kind!r}")


class PeriodFigures(dict[Period, dict[str, int]]):
    """What ``hub_compute_metrics_for_periods`` returns: every declared figure
    for every period asked for, each starting at 0, filled from grouped rows.

        figures = api.PeriodFigures(periods, metrics.DEFINITIONS)
        for kind in figures.kinds():
            start = api.period_start(Loan.lent_on, kind)
            since, until = figures.span(kind)
            rows = session.execute(
                select(start, func.count())
                .where(Loan.lent_on >= since, Loan.lent_on < until)
                .group_by(start)
            )
            figures.add("loans", kind, rows)
        return figures
    """

    def __init__(self, periods: Iterable[Period], names: Iterable[Any]) -> None:
        every = [
            name for each in names for name in (each.names() if hasattr(each, "names") else [each])
        ]
        super().__init__({period: dict.fromkeys(every, 0) for period in periods})

    def kinds(self) -> list[PeriodKind]:
        """The kinds of period asked for ("week", "month"): one query per kind."""
        return sorted({period.kind for period in self})

    def span(self, kind: PeriodKind) -> tuple[dt.date, dt.date]:
        """The first day of the earliest period of ``kind`` asked for, and the
        day after the latest: bounds for the query's WHERE clause."""
        periods = [period for period in self if period.kind == kind]
        if not periods:
            raise ValueError(f"no {kind} was asked for")
        return min(p.start for p in periods), max(p.end for p in periods)

    def days(self) -> tuple[dt.date, dt.date]:
        """The first day of the earliest period asked for, of any kind, and the day
        after the latest: bounds for a query grouped by day (:meth:`add_days`)."""
        if not self:
            raise ValueError("no period was asked for")
        return min(p.start for p in self), max(p.end for p in self)

    def add_days(self, name: str, rows: Iterable[tuple[dt.date | str, int | None]]) -> None:
        """Add each ``(day, value)`` row to figure ``name`` of every period asked for
        that contains the day, weeks and months alike: for a figure that adds up
        (counts, sums; not a count of different people), one query grouped by day
        fills every kind of period."""
        self._add_by_day((day, name, value) for day, value in rows)

    def add_day_codes(
        self, name: str, rows: Iterable[tuple[dt.date | str, str, int | None]]
    ) -> None:
        """Add each ``(day, code, value)`` row to ``<name>.<code>`` as :meth:`add_days`
        does, for a metric with a codelist."""
        self._add_by_day((day, f"{name}.{code}", value) for day, code, value in rows)

    def _add_by_day(self, rows: Iterable[tuple[dt.date | str, str, int | None]]) -> None:
        starts = [(kind, _STARTS[kind]) for kind in self.kinds()]
        containing: dict[Any, list[dict[str, int]]] = {}  # a day's periods, found once
        for day, name, value in rows:
            found = containing.get(day)
            if found is None:
                date = _as_date(day)
                periods = (self.get(Period(kind, period_of(date))) for kind, period_of in starts)
                found = containing[day] = [figures for figures in periods if figures is not None]
            for figures in found:
                figures[name] = figures.get(name, 0) + int(value or 0)

    def add(
        self, name: str, kind: PeriodKind, rows: Iterable[tuple[dt.date | str, int | None]]
    ) -> None:
        """Add each ``(period start, value)`` row to figure ``name`` of that
        ``kind`` of period; rows for periods not asked for are ignored."""
        for start, value in rows:
            figures = self.get(Period(kind, _as_date(start)))
            if figures is not None:
                figures[name] = figures.get(name, 0) + int(value or 0)

    def add_codes(
        self,
        name: str,
        kind: PeriodKind,
        rows: Iterable[tuple[dt.date | str, str, int | None]],
    ) -> None:
        """Add each ``(period start, code, value)`` row to ``<name>.<code>``,
        for a metric with a codelist."""
        for start, code, value in rows:
            self.add(f"{name}.{code}", kind, [(start, value)])


_STARTS = {
    "week": lambda day: day - dt.timedelta(days=day.weekday()),
    "month": lambda day: day.replace(day=1),
}


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
