"""Dashboard panels: loans per week, most borrowed, overdue loans, items in repair."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.plugin_api import Panel, Period, charts
from hub_toollibrary import codes
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
    labels = [week.start.strftime("%d %b") for week in weeks]
    return Panel(
        "Loans per week",
        "toollibrary/panel_chart.html",
        {
            "chart": charts.bar_chart("Loans per week", labels, per_week),
            "note": f"{per_week[-1]} this week, {sum(per_week)} in {WEEKS_SHOWN} weeks.",
            "link": ("toollibrary.loans_page", "All loans"),
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
        "Most borrowed",
        "toollibrary/panel_chart.html",
        {
            "chart": charts.hbar_chart(
                f"Loans in the last {POPULAR_DAYS} days", [(name, n) for name, n in rows]
            ),
            "note": f"The items lent most often in the last {POPULAR_DAYS} days.",
            "link": ("toollibrary.catalogue", "Catalogue"),
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
        "Tool library today",
        "toollibrary/panel_figures.html",
        {"out": out, "overdue": overdue, "in_repair": in_repair},
        permission=VIEW,
        order=32,
    )
