"""Published figures as a person reads them: labels, units, what is counted and over
what window, the same month last year, the current month marked as partial, and
suppressed cells said as such.

Labels come from the metric declarations: this instance's own plugins first,
then the descriptors of the instances whose summaries it holds, so a plugin an
aggregator does not run itself (a third party's) still reads as its authors wrote
it. A name no declaration describes is shown by its words, never as a key.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Flask
from markupsafe import Markup
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from hub import charts, i18n
from hub.federation.models import Origin
from hub.federation.store import descriptors_tag
from hub.i18n import _, lazy_gettext
from hub.metrics import (
    SETTLING,
    Metric,
    definitions,
    fallback_label,
    service_label,
    service_labels,
    settled,
)
from hub.periods import Period

MONTHS_SHOWN = 12
Scope = Literal["own", "network"]


# The windows metrics are counted over, as the "each ...'s count" phrase reads them.
WINDOW_NAMES = {
    "event": lazy_gettext("event"),
    "session": lazy_gettext("session"),
    "day": lazy_gettext("day"),
    "week": lazy_gettext("week"),
    "period_end": lazy_gettext("end of period"),
}


@dataclass(frozen=True)
class Reading:
    """How one published name reads: ``parcels.emergency`` is "Food parcels given:
    Emergency", counted in parcels."""

    label: str
    unit: str  # as shown: grams are shown as kg, minutes as hours
    scale: int  # published integer / scale = shown figure
    counts: str
    window: str
    description: str
    family: str | None = None  # the codelist metric it belongs to, by label
    code: str | None = None  # its code's label within that family

    @property
    def people(self) -> bool:
        return self.counts in ("people", "households")

    def figure(self, value: int | None) -> str:
        """The published integer as shown, without unit (``None``: suppressed)."""
        if value is None:
            return ""
        shown = value / self.scale
        if self.scale == 1 or abs(shown) >= 100 or value == 0:
            return i18n.decimal(round(shown))
        return i18n.decimal(shown, "#,##0.0")

    def with_unit(self, value: int | None) -> str:
        return f"{self.figure(value)} {self.unit}".strip()

    def counting(self, per: str = "month") -> str:
        """What the figure counts and over what window, in one phrase."""
        period = _("month") if per == "month" else _(per)
        if self.window == "period":
            over = _("in the %(period)s", period=period)
        else:
            over = _(
                "each %(window)s's count added up over the %(period)s",
                window=WINDOW_NAMES.get(self.window) or self.window.replace("_", " "),
                period=period,
            )
        if self.counts == "households":
            return _("Different households %(over)s, rounded to the nearest 5", over=over)
        if self.counts == "people":
            if self.window == "period":
                return _("Different people %(over)s, rounded to the nearest 5", over=over)
            return _(
                "People, %(over)s (someone who comes twice counts twice), rounded to the nearest 5",
                over=over,
            )
        if self.counts == "quantity":
            if self.unit.startswith("kg"):
                return _("Total weight %(over)s", over=over)
            return _("Total amount %(over)s", over=over)
        return _("A count of %(unit)s %(over)s, not of different people", unit=self.unit, over=over)


def display_unit(unit: str) -> tuple[str, int]:
    """The unit a person reads, and the scale from the published integer: the protocol
    carries weights in grams and time in minutes (integers add up exactly); people read
    kilograms and hours."""
    words = unit.split(" ", 1)
    if words[0].lower() in ("g", "gram", "grams"):
        return " ".join(["kg", *words[1:]]), 1000
    if words[0].lower() in ("min", "minute", "minutes"):
        return " ".join(["hours", *words[1:]]), 60
    return unit, 1


def _reading(
    metric: Mapping[str, Any], code: str | None = None, translate: Callable[[str], str] = str
) -> Reading:
    """How a declared metric reads; ``translate`` gives its plugin's words in the reader's
    language (the descriptor carries them in English)."""
    base = str(metric.get("label") or fallback_label(metric.get("description", ""), metric["name"]))
    base = translate(base)
    unit, scale = display_unit(str(metric.get("unit", "")))
    unit = translate(unit)
    codes = metric.get("codes") or {}
    code_label = translate(codes.get(code, code)) if code is not None else None
    return Reading(
        label=f"{base}: {code_label}" if code_label else base,
        unit=unit,
        scale=scale,
        counts=str(metric.get("counts", "events")),
        window=str(metric.get("window", "period")),
        description=translate(str(metric.get("description", ""))),
        family=base if code_label else None,
        code=code_label,
    )


@dataclass
class Catalogue:
    """Every published name this instance can read, per plugin, and each service's label."""

    definitions: dict[str, dict[str, Mapping[str, Any]]] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, app: Flask, session: Session) -> Catalogue:
        found = cls()
        plugins = app.extensions["hub.plugins"]
        for name, metrics in definitions(plugins).values:
            found.add(name, [metric.describe() for metric in metrics if isinstance(metric, Metric)])
        found.services.update(service_labels(plugins))
        for name, (metrics, label) in _declared(app, session).items():
            if name not in found.definitions:
                found.add(name, metrics)
                found.services.setdefault(name, service_label(name, label))
        return found

    def add(self, plugin: str, metrics: Iterable[Mapping[str, Any]]) -> None:
        self.definitions[plugin] = {metric["name"]: metric for metric in metrics}

    def service(self, plugin: str) -> str:
        return i18n.plugin_gettext(plugin, self.services.get(plugin) or service_label(plugin))

    def reading(self, plugin: str, name: str) -> Reading:
        declared = self.definitions.get(plugin, {})

        def translate(text: str) -> str:
            return i18n.plugin_gettext(plugin, text)

        if name in declared:
            return _reading(declared[name], translate=translate)
        base, _dot, code = name.partition(".")
        if code and base in declared:
            return _reading(declared[base], code, translate)
        # Undeclared here (a plugin since changed): its words, never its key.
        unit = "kg" if base.endswith("_g") or base.startswith("grams_") else ""
        words = base.removeprefix("grams_").removesuffix("_g").replace("_", " ").capitalize()
        label = f"{words}: {code.replace('_', ' ')}" if code else words
        return Reading(label, unit, 1000 if unit else 1, "events", "period", "")

    def impacts(self, plugin: str) -> dict[str, str]:
        """Base metric name to the impact measure it adds to, for those that declare one."""
        return {
            name: metric["impact"]
            for name, metric in self.definitions.get(plugin, {}).items()
            if isinstance(metric.get("impact"), str)
        }

    def order(self, plugin: str) -> list[str]:
        """The base names in the order the plugin declared them."""
        return list(self.definitions.get(plugin, {}))


Declared = dict[str, tuple[list[Mapping[str, Any]], Any]]  # plugin: metrics, label


def _declared(app: Flask, session: Session) -> Declared:
    """Other instances' plugins as their descriptors declare them (the newest pin's
    declaration of each plugin), read from every pinned descriptor only when they
    changed: each worker keeps them with the tag they were read under, and one
    indexed read per request tells it whether another worker's ingest, a pin or an
    unpin has changed them since."""
    tag = descriptors_tag(session)  # before the descriptors: a change between costs a reread
    cached: tuple[str, Declared] | None = app.extensions.get("hub.declared_plugins")
    if cached is not None and cached[0] == tag:
        return cached[1]
    # Thousands of towns run a few versions of a few plugins: the database sets the
    # declarations alike side by side, and only each different one is decoded, newest
    # pin first (the first holding a plugin holds its newest pin's declaration).
    plugins = cast(Origin.descriptor["plugins"], Text)
    newest = func.max(Origin.pinned_at)
    declared: Declared = {}
    for (text,) in session.execute(
        select(plugins).where(plugins.is_not(None)).group_by(plugins).order_by(newest.desc())
    ):
        for plugin in json.loads(text) or ():
            name = plugin.get("name")
            if isinstance(name, str) and name not in declared:
                declared[name] = (plugin.get("metrics") or [], plugin.get("label"))
    app.extensions["hub.declared_plugins"] = (tag, declared)
    return declared


# --- periods ------------------------------------------------------------------


def month_label(period: Period) -> str:
    return i18n.month_year(period.start)


def is_partial(period: Period, today: dt.date) -> bool:
    """The period is still running: its figures so far are not a full period's."""
    return today < period.end


def same_period_last_year(period: Period) -> Period:
    if period.kind == "month":
        return Period("month", period.start.replace(year=period.start.year - 1))
    year, week, _weekday = period.start.isocalendar()
    try:
        return Period("week", dt.date.fromisocalendar(year - 1, week, 1))
    except ValueError:  # week 53 in a year with 52
        return Period("week", dt.date.fromisocalendar(year - 1, 52, 1))


def change(now: int | None, before: int | None) -> str:
    """The change on the same period last year, as a person says it."""
    if now is None or before is None:
        return _("no comparison")
    if before == 0:
        return _("none last year") if now else _("no change")
    percent = round((now - before) / before * 100)
    if percent == 0:
        return _("about the same")
    if percent > 0:
        return _("up %(percent)s%%", percent=percent)
    return _("down %(percent)s%%", percent=-percent)


# --- sections -----------------------------------------------------------------


@dataclass
class Cell:
    text: str
    value: float | None = None  # as shown (kg, not grams), for charts
    suppressed: bool = False


@dataclass
class Row:
    name: str
    reading: Reading
    latest: Cell
    last_year: Cell
    change: str
    history: list[Cell]


@dataclass
class Family:
    label: str
    unit: str
    description: str
    counting: str
    rows: list[Row]
    chart: Markup | None


@dataclass
class Section:
    plugin: str
    service: str
    periods: list[Period]
    headings: list[str]
    latest: Period | None
    partial: Period | None
    rows: list[Row]
    families: list[Family]
    chart: Markup | None
    groups: int
    suppressed: bool
    reason: str  # why a suppressed cell is not shown


@dataclass
class Suppression:
    """How a suppressed cell reads, and the one-line reason shown with it."""

    scope: Scope
    threshold: int

    @property
    def cell(self) -> str:
        if self.scope == "own":
            return _("fewer than %(threshold)s", threshold=self.threshold)
        return _("not published")

    @property
    def reason(self) -> str:
        if self.scope == "own":
            return _(
                "Fewer than %(threshold)s: counts of people or households below "
                "%(threshold)s are not published, so that no one can be recognised from them.",
                threshold=self.threshold,
            )
        return _(
            "Not published: some groups' counts were too small to publish, and together "
            "they could change this total by more than a tenth."
        )


def _cell(
    reading: Reading,
    value: Any,
    present: bool,
    suppression: Suppression,
    pending: dt.date | None = None,
) -> Cell:
    """``pending``: the day a people count withheld while its month settles is published."""
    if not present:
        return Cell(_("no figures"))
    if value is None and pending is not None and reading.people:
        return Cell(pending_text(pending))
    if value is None:
        return Cell(suppression.cell, suppressed=True)
    return Cell(reading.figure(value), value / reading.scale)


def pending_text(day: dt.date) -> str:
    return _("published %(day)s", day=i18n.month_year(day, "d MMM"))


def _pending(period: Period | None, today: dt.date) -> dt.date | None:
    """When ``period``'s people counts are published, if that is still to come."""
    if period is None or settled(period, today):
        return None
    return period.end + SETTLING


def sections(
    rows: Sequence[Mapping[str, Any]],
    catalogue: Catalogue,
    today: dt.date,
    suppression: Suppression,
    months: list[Period] | None = None,
) -> list[Section]:
    """Per plugin: its last twelve months (or ``months``), each figure with the same
    month last year."""
    by_plugin: dict[str, dict[Period, Mapping[str, Any]]] = {}
    for row in rows:
        period = Period.parse(row["period"])
        if period.kind == "month":
            by_plugin.setdefault(row["plugin"], {})[period] = row
    return [
        _section(plugin, held, catalogue, today, suppression, months)
        for plugin, held in sorted(by_plugin.items(), key=lambda kv: catalogue.service(kv[0]))
    ]


def _section(
    plugin: str,
    held: dict[Period, Mapping[str, Any]],
    catalogue: Catalogue,
    today: dt.date,
    suppression: Suppression,
    months: list[Period] | None,
) -> Section:
    periods = months or _window(held, today)
    partial = periods[-1] if periods and is_partial(periods[-1], today) else None
    complete = [p for p in periods if p != partial]
    latest = complete[-1] if complete else None
    names = _ordered_names(plugin, held, periods, catalogue)

    def cell(reading: Reading, name: str, period: Period | None) -> Cell:
        value, held_here = values(name, period)
        return _cell(reading, value, held_here, suppression, _pending(period, today))

    def values(name: str, period: Period | None) -> tuple[Any, bool]:
        metrics = held[period]["metrics"] if period in held else {}
        return metrics.get(name), name in metrics

    simple: list[Row] = []
    families: dict[str, list[Row]] = {}
    any_suppressed = False
    for name in names:
        reading = catalogue.reading(plugin, name)
        last_year = same_period_last_year(latest) if latest else None
        now, now_held = values(name, latest)
        before, before_held = values(name, last_year)
        history = [cell(reading, name, p) for p in periods]
        row = Row(
            name,
            reading,
            cell(reading, name, latest),
            cell(reading, name, last_year),
            change(now, before) if now_held and before_held else _("no comparison"),
            history,
        )
        any_suppressed = any_suppressed or any(c.suppressed for c in [*history, row.last_year])
        if reading.family:
            families.setdefault(reading.family, []).append(row)
        else:
            simple.append(row)
    headings = [
        _(
            "%(month)s (so far, to %(day)s)",
            month=month_label(p),
            day=i18n.month_year(today, "d MMM"),
        )
        if p == partial
        else month_label(p)
        for p in periods
    ]
    chart = None
    if simple:
        first = simple[0]
        chart = charts.bar_chart(
            _("%(label)s (%(unit)s) per month", label=first.reading.label, unit=first.reading.unit),
            [month_label(p) for p in periods],
            [cell.value for cell in first.history],
            partial=len(periods) - 1 if partial else None,
        )
    return Section(
        plugin=plugin,
        service=catalogue.service(plugin),
        periods=periods,
        headings=headings,
        latest=latest,
        partial=partial,
        rows=simple,
        families=[
            _family(
                label, family_rows, latest, _missing(family_rows[0], latest, today, suppression)
            )
            for label, family_rows in families.items()
        ],
        chart=chart,
        groups=max((int(held[p].get("origins", 1)) for p in periods if p in held), default=0),
        suppressed=any_suppressed,
        reason=suppression.reason,
    )


def _window(held: Mapping[Period, Any], today: dt.date) -> list[Period]:
    """The twelve months up to the latest held (none after today), months without a
    summary included: a month with no activity shows as such, never as a gap closed up."""
    started = [p for p in held if p.start <= today]
    if not started:
        return []
    months = [max(started)]
    while len(months) < MONTHS_SHOWN and months[-1].previous() >= min(started):
        months.append(months[-1].previous())
    return months[::-1]


def _ordered_names(
    plugin: str,
    held: dict[Period, Mapping[str, Any]],
    periods: list[Period],
    catalogue: Catalogue,
) -> list[str]:
    present = {name for p in periods if p in held for name in held[p]["metrics"]}
    order = {base: n for n, base in enumerate(catalogue.order(plugin))}
    return sorted(present, key=lambda name: (order.get(name.split(".")[0], len(order)), name))


def _missing(row: Row, latest: Period | None, today: dt.date, suppression: Suppression) -> str:
    """How a chart says a withheld value of ``row`` in ``latest``."""
    pending = _pending(latest, today) if row.reading.people else None
    return pending_text(pending) if pending else suppression.cell


def _family(label: str, rows: list[Row], latest: Period | None, missing: str) -> Family:
    """A codelist metric: its codes with anything in a month shown or a year before
    (forty ORDS categories, most of them empty, would bury the ones that matter)."""
    first = rows[0].reading
    rows = [row for row in rows if any(map(_something, [*row.history, row.last_year]))]
    chart = None
    if latest is not None and rows:
        chart = charts.hbar_chart(
            f"{label}, {month_label(latest)}",
            [(row.reading.code or row.reading.label, row.latest.value) for row in rows],
            missing=missing,
        )
    return Family(label, first.unit, first.description, first.counting(), rows, chart)


def _something(cell: Cell) -> bool:
    return cell.suppressed or bool(cell.value)
