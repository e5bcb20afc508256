"""Dashboard panels: items and outcomes over time, barriers, top categories."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_repaircafe.codes import BARRIERS, categories
from hub_repaircafe.i18n import _
from hub_repaircafe.impact import impact_table
from hub_repaircafe.metrics import Tally, impact_shown, tallies

MONTHS_SHOWN = 12
TOP_CATEGORIES = 8


def last_months(today: dt.date, count: int) -> list[api.Period]:
    period = api.Period.month_of(today)
    months = [period]
    for _earlier in range(count - 1):
        period = period.previous()
        months.append(period)
    return months[::-1]


def dashboard_panels(session: Session, today: dt.date) -> list[api.Panel]:
    months = last_months(today, MONTHS_SHOWN)
    found = tallies(session, "month", months[0].start, months[-1].end)
    per_month = [found.get(month) or Tally() for month in months]
    labels = [api.format_date(month.start, "MMM yy") for month in months]
    outcomes = api.charts.line_chart(
        _("Items brought and fixed per month"),
        labels,
        {
            _("Brought"): [sum(t.by_status.values()) for t in per_month],
            _("Fixed"): [t.by_status["fixed"] for t in per_month],
            _("End of life"): [t.by_status["end_of_life"] for t in per_month],
        },
    )
    year = _combined(per_month)
    brought = sum(year.by_status.values())
    barriers = api.charts.hbar_chart(
        _("Why items could not be repaired (last 12 months)"),
        [(_(label), year.by_barrier[code]) for code, label in BARRIERS.items()],
    )
    labels_by_id = {c.id: _(c.label) for c in categories().values()}
    top = api.charts.hbar_chart(
        _("Most common items (last 12 months)"),
        [(labels_by_id[c], n) for c, n in year.by_category.most_common(TOP_CATEGORIES)],
    )
    summary = {
        "events": year.events,
        "brought": brought,
        "fixed": year.by_status["fixed"],
        "assessed": brought - year.by_status["unknown"],
    }
    template = "repaircafe/panel.html"
    return [
        api.Panel(
            _("Repairs over the last 12 months"),
            template,
            {"chart": outcomes, "summary": summary},
            "repaircafe.view",
            order=30,
        ),
        api.Panel(
            _("Waste and CO2e avoided (last 12 months)"),
            "repaircafe/panel_impact.html",
            {"rows": impact_shown(year, impact_table(session))},
            "repaircafe.view",
            order=31,
        ),
        api.Panel(_("Repair barriers"), template, {"chart": barriers}, "repaircafe.view", order=31),
        api.Panel(
            _("Top categories"),
            template,
            {"chart": top if year.by_category else None},
            "repaircafe.view",
            order=32,
        ),
    ]


def _combined(tallies: list[Tally]) -> Tally:
    total = Tally()
    for each in tallies:
        total.events += each.events
        total.by_status += each.by_status
        total.by_barrier += each.by_barrier
        total.by_category += each.by_category
        total.fixed_by_category += each.fixed_by_category
        total.fixed_weighed_g += each.fixed_weighed_g
        total.fixed_weighed += each.fixed_weighed
    return total
