"""What the time bank publishes, and how it computes every period at once: one grouped
query per metric and kind of period (weeks, months), not one per period.

An exchange counts in the period of the day the work was done (``occurred_on``) once it
is confirmed; an exchange that was reversed, and the reversal itself, count nowhere, so
a correction takes the mistaken figure back out. A workshop counts in the period of its
date once attendance is taken, by the members marked present. Nothing here reads
personal data, so erasing a member changes no figure.

The needs (``needed.<category>`` = 1) are a state, as the food bank's low stock is:
at the end of each period (for the period under way, today) a category is needed when
an active member's request in it had been open at least ``request_unmet_days`` (28 by
default) with no counted exchange for it in those days. Whether a request was open
then is read from the listing: active, or withdrawn (its last change) after that day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from hub import plugin_api as api
from hub_skillshare import ledger, settings
from hub_skillshare.codes import CATEGORIES
from hub_skillshare.models import (
    Account,
    Confirmation,
    Exchange,
    Listing,
    Member,
    Movement,
    Signup,
    Transfer,
    Workshop,
)

DEFINITIONS = (
    api.Metric(
        "minutes_exchanged",
        "minutes",
        "Minutes of confirmed exchanges done in the period, by skill category",
        counts="quantity",
        codelist=CATEGORIES,
        label="Time exchanged",
        impact="hours_exchanged",
    ),
    api.Metric(
        "exchanges", "exchanges", "Confirmed exchanges done in the period", label="Exchanges"
    ),
    api.Metric(
        "active_members",
        "members",
        "Members who gave or received time in a confirmed exchange in the period",
        counts="people",
        label="Active members",
    ),
    api.Metric(
        "new_members",
        "members",
        "Members who joined (were approved) in the period",
        counts="people",
        label="New members",
    ),
    api.Metric(
        "members_at_debit_limit",
        "members",
        "Members whose balance at the end of the period had reached their debit limit, so "
        "that they could receive no more help until they gave some",
        counts="people",
        window="period_end",
        label="Members at their debit limit",
    ),
    api.Metric(
        "workshops_held",
        "workshops",
        "Skill-share workshops held in the period: attendance taken and someone came",
        label="Workshops held",
    ),
    api.Metric(
        "workshop_attendances",
        "attendances",
        "Members present at the workshops held in the period, each workshop counted "
        "(someone at two workshops counts twice)",
        window="workshop",
        label="Workshop attendances",
    ),
    api.Metric(
        "workshop_attendees",
        "members",
        "Different members present at one or more workshops held in the period",
        counts="people",
        label="Members at workshops",
    ),
    api.Metric(
        "needed",
        "time banks",
        "Skill categories needing helpers: 1 if at the end of the period (or today) a "
        "member's request in it had been open 28 days (request_unmet_days) with no "
        "confirmed exchange for it in them, else 0; added up, how many time banks need it",
        codelist=CATEGORIES,
        label="Help needed",
    ),
)


def counted() -> Any:
    """The exchanges the figures count: confirmed, not a reversal, not reversed."""
    reversal = aliased(Exchange)
    return (
        (Exchange.state == "confirmed")
        & Exchange.reverses_id.is_(None)
        & ~exists().where(reversal.reverses_id == Exchange.id)
    )


def compute(session: Session, periods: Sequence[api.Period]) -> api.PeriodFigures:
    figures = api.PeriodFigures(periods, DEFINITIONS)
    for kind in figures.kinds():
        since, until = figures.span(kind)
        start = api.period_start(Exchange.occurred_on, kind)
        in_span = (Exchange.occurred_on >= since) & (Exchange.occurred_on < until) & counted()
        minutes = session.execute(
            select(start, Exchange.category, func.sum(Transfer.minutes))
            .join(Transfer, Transfer.exchange_id == Exchange.id)
            .where(in_span)
            .group_by(start, Exchange.category)
        ).all()
        figures.add_codes("minutes_exchanged", kind, minutes)
        figures.add(
            "exchanges",
            kind,
            session.execute(select(start, func.count()).where(in_span).group_by(start)).all(),
        )
        figures.add(
            "active_members",
            kind,
            session.execute(
                select(start, func.count(func.distinct(Account.member_id)))
                .join(Confirmation, Confirmation.exchange_id == Exchange.id)
                .join(Account, Account.id == Confirmation.account_id)
                .where(in_span, Account.kind == "member")
                .group_by(start)
            ).all(),
        )
        joined = api.period_start(Member.joined_on, kind)
        figures.add(
            "new_members",
            kind,
            session.execute(
                select(joined, func.count())
                .where(Member.joined_on >= since, Member.joined_on < until)
                .group_by(joined)
            ).all(),
        )
        figures.add("members_at_debit_limit", kind, _at_debit_limit(session, figures, kind))
        _add_workshops(session, figures, kind)
    _needed(session, figures, settings.current().request_unmet_days)
    return figures


def _needed(session: Session, figures: api.PeriodFigures, days: int) -> None:
    """Each period's categories with an unmet request as they stood at its end (see the
    module's docstring): the requests and the days their exchanges were done, read in
    two queries and checked against every period's end here."""
    requests = session.execute(
        select(Listing.id, Listing.category, Listing.active, Listing.created_at, Listing.updated_at)
        .join(Member, Member.id == Listing.member_id)
        .where(Listing.kind == "request", Member.status == "active")
    ).all()
    if not requests:
        return
    helped: dict[int | None, list[dt.date]] = defaultdict(list)  # by listing
    for listing_id, day in session.execute(
        select(Exchange.listing_id, Exchange.occurred_on).where(
            Exchange.listing_id.in_([r.id for r in requests]), counted()
        )
    ):
        helped[listing_id].append(day)
    tomorrow = api.today() + dt.timedelta(days=1)
    wait = dt.timedelta(days=days)
    for period in figures:
        end = min(period.end, tomorrow)
        for request in requests:
            opened = request.created_at.astimezone().date()
            withdrawn = None if request.active else request.updated_at.astimezone().date()
            if opened + wait >= end or (withdrawn is not None and withdrawn < end):
                continue
            if any(end - wait <= day < end for day in helped[request.id]):
                continue
            figures[period][f"needed.{request.category}"] = 1


def _add_workshops(session: Session, figures: api.PeriodFigures, kind: api.PeriodKind) -> None:
    """Workshops count in the period of their date, once attendance is taken, by who
    was marked present; a workshop nobody came to counts nowhere."""
    since, until = figures.span(kind)
    start = api.period_start(Workshop.date, kind)
    present = (
        select(start)
        .join(Signup, Signup.workshop_id == Workshop.id)
        .where(
            Workshop.state == "held",
            Workshop.date >= since,
            Workshop.date < until,
            Signup.attended.is_(True),
        )
        .group_by(start)
    )
    for name, measure in (
        ("workshops_held", func.count(func.distinct(Workshop.id))),
        ("workshop_attendances", func.count()),
        ("workshop_attendees", func.count(func.distinct(Signup.member_id))),
    ):
        figures.add(name, kind, session.execute(present.add_columns(measure)).all())


def _at_debit_limit(
    session: Session, figures: api.PeriodFigures, kind: api.PeriodKind
) -> list[tuple[dt.date, int]]:
    """For each period asked for, the members whose balance (every confirmed movement of
    work done before the period's end, reversals included) was at or past their limit:
    one query of each account's minutes per period, added up in order here."""
    start = api.period_start(Exchange.occurred_on, kind)
    _, until = figures.span(kind)
    rows = session.execute(
        select(Movement.account_id, start, func.sum(Movement.minutes))
        .join(Exchange, Exchange.id == Movement.exchange_id)
        .join(Account, Account.id == Movement.account_id)
        .where(Account.kind == "member", Exchange.occurred_on < until)
        .group_by(Movement.account_id, start)
    ).all()
    by_account: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for account_id, started, minutes in rows:
        by_account[account_id].append((_as_date(started), minutes))
    defaults = settings.current()
    accounts = session.scalars(select(Account).where(Account.id.in_(by_account))).all()
    floors = {a.id: ledger.Limits.of(a, defaults).debit for a in accounts}
    counts = []
    for period in {p for p in figures if p.kind == kind}:
        at_limit = 0
        for account_id, movements in by_account.items():
            balance = sum(m for day, m in movements if day < period.end)
            floor = floors[account_id]
            if floor is not None and balance <= -floor:
                at_limit += 1
        counts.append((period.start, at_limit))
    return counts


def _as_date(value: Any) -> dt.date:
    """A period's first day as the database gives it (a date, or SQLite's text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def activity_dates(session: Session) -> Iterable[dt.date]:
    exchanged = select(Exchange.occurred_on).where(counted()).distinct()
    joined = select(Member.joined_on).where(Member.joined_on.is_not(None)).distinct()
    held = select(Workshop.date).where(Workshop.state == "held").distinct()
    return [*session.scalars(exchanged), *session.scalars(joined), *session.scalars(held)]
