"""The time bank's dashboard panels: hours exchanged week by week, by category, and the
exchanges waiting for someone to confirm them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_skillshare import metrics, service
from hub_skillshare.codes import CATEGORIES
from hub_skillshare.i18n import _, day
from hub_skillshare.models import Exchange, Transfer

WEEKS = 12


def _minutes_by_week(session: Session, today: dt.date) -> list[tuple[str, float]]:
    weeks = [api.Period.week_of(today - dt.timedelta(weeks=back)) for back in range(WEEKS)][::-1]
    start = api.period_start(Exchange.occurred_on, "week")
    rows = dict(
        session.execute(
            select(start, func.sum(Transfer.minutes))
            .join(Transfer, Transfer.exchange_id == Exchange.id)
            .where(Exchange.occurred_on >= weeks[0].start, metrics.counted())
            .group_by(start)
        ).all()
    )
    found = {dt.date.fromisoformat(str(when)[:10]): minutes for when, minutes in rows.items()}
    return [(day(w.start, "d MMM"), round(found.get(w.start, 0) / 60, 1)) for w in weeks]


def _categories(session: Session, today: dt.date) -> list[tuple[str, float]]:
    since = today - dt.timedelta(weeks=WEEKS)
    rows = session.execute(
        select(Exchange.category, func.sum(Transfer.minutes))
        .join(Transfer, Transfer.exchange_id == Exchange.id)
        .where(Exchange.occurred_on >= since, metrics.counted())
        .group_by(Exchange.category)
        .order_by(func.sum(Transfer.minutes).desc())
        .limit(6)
    ).all()
    return [(_(CATEGORIES.get(code, code)), round(minutes / 60, 1)) for code, minutes in rows]


def time_bank(session: Session, today: dt.date) -> api.Panel:
    weeks = _minutes_by_week(session, today)
    chart = api.charts.bar_chart(
        _("Hours exchanged per week"), [label for label, _h in weeks], [h for _label, h in weeks]
    )
    categories = api.charts.hbar_chart(
        _("Hours by category, last 12 weeks"), _categories(session, today)
    )
    return api.Panel(
        _("Time bank"),
        "skillshare/panel.html",
        {"chart": chart, "categories": categories},
        permission="skillshare.view",
        order=400,
    )


def pending(session: Session, user: api.User) -> api.Panel:
    """What waits for this user's answer (as a member, or as a broker for offline members)."""
    actor = service.actor_for(session, user)
    waiting = service.awaiting(session, actor)
    unanswered = session.scalar(
        select(func.count()).select_from(service.exchanges({"state": "pending"}).subquery())
    )
    return api.Panel(
        _("Exchanges to confirm"),
        "skillshare/panel_pending.html",
        {"waiting": waiting[:5], "total": len(waiting), "unanswered": unanswered},
        permission="skillshare.view",
        order=401,
    )
