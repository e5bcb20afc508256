"""What the tool library publishes, computed for every period at once.

Figures by network category (``codes.NETWORK_CATEGORIES``) are published as
``<metric>.<code>``. Events are dated by when they happened: a loan by the day it went
out, a renewal by the day it was granted, an overdue loan by the first day it was late.
Utilisation is published as its numerator and denominator (rates do not add up across
towns): ``days_on_loan`` counts each day an item was out (a loan occupies the days from
the one it went out up to, not including, the one it came back, at least one; a loan
still out counts up to today), ``days_available`` each day an item was in the catalogue
and not under an open maintenance ticket. Nothing here reads personal data, so erasing
a member changes no figure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_toollibrary import codes
from hub_toollibrary.i18n import N_
from hub_toollibrary.models import Item, Loan, Member, Renewal, Ticket, Wanted

NETWORK = codes.NETWORK_CATEGORIES

# A label where the description's first clause would not read whole on its own page: it
# is the same text, marked so that it is translated.
DEFINITIONS = (
    api.Metric(
        "loans", N_("loans"), N_("Loans started in the period"), codelist=NETWORK, impact="loans"
    ),
    api.Metric("renewals", N_("renewals"), N_("Loans renewed in the period"), codelist=NETWORK),
    api.Metric(
        "borrowers",
        N_("people"),
        N_("Members who borrowed at least once in the period"),
        counts="people",
    ),
    api.Metric(
        "new_members",
        N_("people"),
        N_("Members whose membership was approved in the period"),
        counts="people",
    ),
    api.Metric(
        "items_in_circulation",
        N_("items"),
        N_("Items in the catalogue on the period's last day (not retired)"),
        counts="quantity",
        window="period_end",
        codelist=NETWORK,
        label=N_("Items in the catalogue on the period's last day"),
    ),
    api.Metric(
        "days_on_loan",
        N_("item-days"),
        N_("Days items were out on loan (utilisation's numerator)"),
        counts="quantity",
        codelist=NETWORK,
        label=N_("Days items were out on loan"),
    ),
    api.Metric(
        "days_available",
        N_("item-days"),
        N_(
            "Days items could be lent: catalogued, not retired, not in repair "
            "(utilisation's denominator)"
        ),
        counts="quantity",
        codelist=NETWORK,
        label=N_("Days items could be lent"),
    ),
    api.Metric(
        "overdue_loans",
        N_("loans"),
        N_("Loans that became overdue in the period"),
        codelist=NETWORK,
    ),
    # Not every loan is a purchase avoided: someone who borrows the drill five times
    # would have bought one drill, not five. So a purchase avoided is counted once per
    # member and item category, at their first loan of it. That still takes every
    # borrower to have bought otherwise, so it is an upper bound, and says so.
    api.Metric(
        "purchases_avoided",
        N_("purchases"),
        N_(
            "Members' first loans of each item category in the period: what they would "
            "otherwise have bought, one each however often they borrow it (at most: some "
            "would have done without)"
        ),
        codelist=NETWORK,
        label=N_("Purchases avoided"),
        impact="purchases_avoided",
    ),
    api.Metric(
        "purchases_avoided_pence",
        N_("pence"),
        N_("The replacement value of the items lent: what borrowers did not have to buy"),
        counts="quantity",
        codelist=NETWORK,
        label=N_("The replacement value of the items lent"),
    ),
    # Needs are by item category, not network category: they are read by people who
    # might give something, and one gives a drill, not "power tools". The codelist is
    # the plugin's own, the same in every town, so it adds up across a network all
    # the same.
    api.Metric(
        "needed",
        N_("tool libraries"),
        N_(
            "Categories of thing the tool library asks to be given: 1 if on its wanted list "
            "on the period's last day (for the period under way, today), else 0; added up "
            "across a network, how many tool libraries want it"
        ),
        codelist=codes.CATEGORY_LABELS,
        label=N_("Donations wanted"),
    ),
)

DAY = dt.timedelta(days=1)


def _network_of_category() -> dict[str, str]:
    return {code: network for code, (_label, network) in codes.ITEM_CATEGORIES.items()}


def compute(session: Session, periods: Sequence[api.Period], today: dt.date) -> api.PeriodFigures:
    figures = api.PeriodFigures(periods, DEFINITIONS)
    network = _network_of_category()
    for kind in figures.kinds():
        since, until = figures.span(kind)
        _events(session, figures, kind, since, until, network)
        _people(session, figures, kind, since, until)
    _item_days(session, figures, periods, today, network)
    _needed(session, figures, periods, today)
    return figures


def _needed(
    session: Session, figures: api.PeriodFigures, periods: Sequence[api.Period], today: dt.date
) -> None:
    """Each period's wanted list as it stood on its last day, or today for the period
    under way: a state, not a sum (the list is a few rows: read whole)."""
    asked = session.execute(select(Wanted.category, Wanted.opened_on, Wanted.closed_on)).all()
    for period in periods:
        last = min(period.end - DAY, today)
        for category, opened_on, closed_on in asked:
            if opened_on <= last and (closed_on is None or last < closed_on):
                figures[period][f"needed.{category}"] = 1


def _events(
    session: Session,
    figures: api.PeriodFigures,
    kind: api.PeriodKind,
    since: dt.date,
    until: dt.date,
    network: dict[str, str],
) -> None:
    def by_network(rows: Iterable[tuple[dt.date, str, int]]) -> list[tuple[dt.date, str, int]]:
        return [(start, network.get(category, "other"), value) for start, category, value in rows]

    start = api.period_start(Loan.out_on, kind)
    loans = session.execute(
        select(start, Item.category, func.count(), func.sum(Item.replacement_value_pence))
        .join(Loan.item)
        .where(Loan.out_on >= since, Loan.out_on < until)
        .group_by(start, Item.category)
    ).all()
    figures.add_codes("loans", kind, by_network((s, c, n) for s, c, n, _ in loans))
    figures.add_codes(
        "purchases_avoided_pence", kind, by_network((s, c, int(v or 0)) for s, c, _, v in loans)
    )

    first = (
        select(Item.category, func.min(Loan.out_on).label("out_on"))
        .join(Loan.item)
        .group_by(Loan.member_id, Item.category)
        .subquery()
    )
    start = api.period_start(first.c.out_on, kind)
    firsts = session.execute(
        select(start, first.c.category, func.count())
        .where(first.c.out_on >= since, first.c.out_on < until)
        .group_by(start, first.c.category)
    ).all()
    figures.add_codes("purchases_avoided", kind, by_network((s, c, n) for s, c, n in firsts))

    start = api.period_start(Renewal.decided_on, kind)
    renewals = session.execute(
        select(start, Item.category, func.count())
        .join(Renewal.loan)
        .join(Loan.item)
        .where(
            Renewal.status == "approved", Renewal.decided_on >= since, Renewal.decided_on < until
        )
        .group_by(start, Item.category)
    ).all()
    figures.add_codes("renewals", kind, by_network((s, c, n) for s, c, n in renewals))

    overdue: list[tuple[dt.date, str, int]] = []
    for due_on, category in session.execute(
        select(Loan.due_on, Item.category)
        .join(Loan.item)
        .where(
            Loan.due_on >= since - DAY,
            Loan.due_on < until - DAY,
            Loan.returned_on.is_(None) | (Loan.returned_on > Loan.due_on),
        )
    ):
        first_late = due_on + DAY  # overdue from the day after it was due
        overdue.append((_period_of(kind, first_late).start, network.get(category, "other"), 1))
    figures.add_codes("overdue_loans", kind, overdue)


def _period_of(kind: api.PeriodKind, day: dt.date) -> api.Period:
    return api.Period.week_of(day) if kind == "week" else api.Period.month_of(day)


def _people(
    session: Session,
    figures: api.PeriodFigures,
    kind: api.PeriodKind,
    since: dt.date,
    until: dt.date,
) -> None:
    start = api.period_start(Loan.out_on, kind)
    figures.add(
        "borrowers",
        kind,
        session.execute(
            select(start, func.count(func.distinct(Loan.member_id)))
            .where(Loan.out_on >= since, Loan.out_on < until)
            .group_by(start)
        ).all(),
    )
    start = api.period_start(Member.approved_on, kind)
    figures.add(
        "new_members",
        kind,
        session.execute(
            select(start, func.count())
            .where(Member.approved_on >= since, Member.approved_on < until)
            .group_by(start)
        ).all(),
    )


class _Daily:
    """Counts per network category per day over a span, from half-open day intervals
    (a difference array: each interval costs two additions, whatever its length)."""

    def __init__(self, first: dt.date, after: dt.date) -> None:
        self.first = first
        self.length = max(0, (after - first).days)
        self.diffs: dict[str, list[int]] = {}

    def add(self, code: str, since: dt.date, until: dt.date, sign: int = 1) -> None:
        a = max(0, (since - self.first).days)
        b = min(self.length, (until - self.first).days)
        if a >= b:
            return
        diff = self.diffs.setdefault(code, [0] * (self.length + 1))
        diff[a] += sign
        diff[b] -= sign

    def counts(self) -> dict[str, list[int]]:
        out = {}
        for code, diff in self.diffs.items():
            running, days = 0, []
            for change in diff[:-1]:
                running += change
                days.append(running)
            out[code] = days
        return out


def _merged(intervals: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    merged: list[tuple[dt.date, dt.date]] = []
    for since, until in sorted(intervals):
        if merged and since <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], until))
        else:
            merged.append((since, until))
    return merged


def _item_days(
    session: Session,
    figures: api.PeriodFigures,
    periods: Sequence[api.Period],
    today: dt.date,
    network: dict[str, str],
) -> None:
    """Items in circulation, days on loan and days available: each from one query over
    the whole span asked for, added up day by day (nothing counted after today)."""
    if not periods:
        return
    first = min(period.start for period in periods)
    after = min(max(period.end for period in periods), today + DAY)
    catalogue, on_loan, repair = _Daily(first, after), _Daily(first, after), _Daily(first, after)
    category_of: dict[int, str] = {}
    for item_id, category, added_on, retired_on in session.execute(
        select(Item.id, Item.category, Item.added_on, Item.retired_on).where(Item.added_on < after)
    ):
        code = network.get(category, "other")
        category_of[item_id] = code
        catalogue.add(code, added_on, retired_on or after)
    tickets: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for item_id, opened_on, closed_on in session.execute(
        select(Ticket.item_id, Ticket.opened_on, Ticket.closed_on).where(
            Ticket.opened_on < after, (Ticket.closed_on.is_(None)) | (Ticket.closed_on > first)
        )
    ):
        tickets[item_id].append((opened_on, closed_on or after))
    for item_id, spans in tickets.items():
        for since, until in _merged(spans):
            repair.add(category_of.get(item_id, "other"), since, until)
    for item_id, out_on, returned_on in session.execute(
        select(Loan.item_id, Loan.out_on, Loan.returned_on).where(
            Loan.out_on < after, (Loan.returned_on.is_(None)) | (Loan.returned_on > first)
        )
    ):
        until = max(returned_on, out_on + DAY) if returned_on is not None else after
        on_loan.add(category_of.get(item_id, "other"), out_on, until)
    in_catalogue, lent, repaired = catalogue.counts(), on_loan.counts(), repair.counts()
    for period in periods:
        a = (period.start - first).days
        b = max(a, (min(period.end, after) - first).days)
        last = b - 1
        for code in NETWORK:
            days_in = in_catalogue.get(code)
            if days_in is not None and 0 <= last < len(days_in):
                figures[period][f"items_in_circulation.{code}"] = days_in[last]
            figures[period][f"days_on_loan.{code}"] = sum(lent.get(code, [])[a:b])
            figures[period][f"days_available.{code}"] = sum((days_in or [])[a:b]) - sum(
                repaired.get(code, [])[a:b]
            )


def activity_dates(session: Session) -> Iterable[dt.date]:
    dates: Any = union(
        select(Loan.out_on),
        select(Renewal.decided_on).where(Renewal.decided_on.is_not(None)),
        select(Member.approved_on).where(Member.approved_on.is_not(None)),
        select(Ticket.opened_on),
        # The days the wanted list changed: its needs differ from the period before.
        select(Wanted.opened_on),
        select(Wanted.closed_on).where(Wanted.closed_on.is_not(None)),
    )
    return [row[0] for row in session.execute(dates)]
