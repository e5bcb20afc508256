"""Dashboard panels: loans per week, most borrowed, overdue loans, items in repair."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.plugin_api import Panel, Period, charts
from hub_toollibrary import codes
from hub_toollibrary.i18n import _, day
from hub_toollibrary.models import Item, Loan, Ticket
from hub_toollibrary.permissions import VIEW

WEEKS_SHOWN = 12
POPULAR_DAYS = 90
POPULAR_SHOWN = 8


def loans_per_week(session: Session, today: dt.date) -> Panel:
    weeks = [Period.week_of(today)]
    while len(weeks) < WEEKS_SHOWN:
        weeks.insert(0, weeks[0].previous())
    counts = dict(
        session.execute(
            select(Loan.out_on, func.count())
            .where(Loan.out_on.between(weeks[0].start, weeks[-1].last_day))
            .group_by(Loan.out_on)
        ).all()
    )
    per_week = [sum(n for day, n in counts.items() if day in week) for week in weeks]
    labels = [day(week.start, "d MMM") for week in weeks]
    return Panel(
        _("Loans per week"),
        "toollibrary/panel_chart.html",
        {
            "chart": charts.bar_chart(_("Loans per week"), labels, per_week),
            "note": _(
                "%(week)s this week, %(total)s in %(weeks)s weeks.",
                week=per_week[-1],
                total=sum(per_week),
                weeks=WEEKS_SHOWN,
            ),
            "link": ("toollibrary.loans_page", _("All loans")),
        },
        permission=VIEW,
        order=30,
    )


def most_borrowed(session: Session, today: dt.date) -> Panel:
    since = today - dt.timedelta(days=POPULAR_DAYS - 1)
    rows = session.execute(
        select(Item.name, func.count())
        .join(Loan.item)
        .where(Loan.out_on.between(since, today))
        .group_by(Item.id, Item.name)
        .order_by(func.count().desc(), Item.name)
        .limit(POPULAR_SHOWN)
    ).all()
    return Panel(
        _("Most borrowed"),
        "toollibrary/panel_chart.html",
        {
            "chart": charts.hbar_chart(
                _("Loans in the last %(days)s days", days=POPULAR_DAYS),
                [(name, n) for name, n in rows],
            ),
            "note": _("The items lent most often in the last %(days)s days.", days=POPULAR_DAYS),
            "link": ("toollibrary.catalogue", _("Catalogue")),
        },
        permission=VIEW,
        order=31,
    )


def overdue_and_repairs(session: Session, today: dt.date) -> Panel:
    overdue = (
        session.scalar(select(func.count()).where(Loan.returned_on.is_(None), Loan.due_on < today))
        or 0
    )
    in_repair = (
        session.scalar(
            select(func.count(func.distinct(Ticket.item_id))).where(
                Ticket.status.in_(codes.OPEN_TICKET_STATUSES)
            )
        )
        or 0
    )
    out = session.scalar(select(func.count()).where(Loan.returned_on.is_(None))) or 0
    return Panel(
        _("Tool library today"),
        "toollibrary/panel_figures.html",
        {"out": out, "overdue": overdue, "in_repair": in_repair},
        permission=VIEW,
        order=32,
    )
