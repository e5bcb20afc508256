"""No count of people or households below the threshold can be recovered from what an
instance publishes, by differencing its weeks, months and totals.

The attacker here knows everything published for a stretch of weeks and the months
they touch, and that each figure is the sum of its days; it searches every split of
the counts over the pieces where weeks and months meet for those that publish
exactly what was published. A hidden (suppressed or withheld) figure is recovered
if every such split gives it the same value, other than zero.
"""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.metrics import Metric, publishable
from hub.periods import Period

THRESHOLD = 5
HOUSEHOLDS = Metric("referrals", "referrals", "Households referred", counts="households")
MOST = 6  # the largest count of one piece the attacker tries


def pieces(first_monday: dt.date, weeks: int) -> list[tuple[Period, Period]]:
    """Each (week, month) that meets, in date order, for ``weeks`` weeks."""
    days = [first_monday + dt.timedelta(days=n) for n in range(7 * weeks)]
    found = dict.fromkeys(
        (Period.week_of(day), Period("month", day.replace(day=1))) for day in days
    )
    return list(found)


def published(split: tuple[int, ...], where: list[tuple[Period, Period]]) -> dict[Period, object]:
    """What the hub publishes for every week and month, from the counts of each piece,
    through the one function every publisher uses."""
    totals: dict[Period, int] = {}
    for count, (week, month) in zip(split, where, strict=True):
        totals[week] = totals.get(week, 0) + count
        totals[month] = totals.get(month, 0) + count
    return {
        period: publishable([HOUSEHOLDS], {"referrals": raw}, THRESHOLD, period.kind)["referrals"]
        for period, raw in totals.items()
    }


def recovered(split: tuple[int, ...], where: list[tuple[Period, Period]]) -> dict[Period, int]:
    """The hidden figures the attacker pins to one value other than zero."""
    seen = published(split, where)
    possible: dict[Period, set[int]] = {
        period: set() for period, value in seen.items() if value is None
    }
    for guess in itertools.product(range(MOST + 1), repeat=len(where)):
        if published(guess, where) != seen:
            continue
        for period in possible:
            possible[period].add(
                sum(
                    n
                    for n, (week, month) in zip(guess, where, strict=True)
                    if period in (week, month)
                )
            )
    return {
        period: values.pop()
        for period, values in possible.items()
        if len(values) == 1 and 0 not in values
    }


START = dt.date(2025, 1, 27)  # the week before February, so weeks straddle months


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    offset=st.integers(min_value=0, max_value=12),
    weeks=st.integers(min_value=1, max_value=2),
    data=st.data(),
)
def test_no_hidden_count_is_recovered_by_differencing(offset, weeks, data):
    where = pieces(START + dt.timedelta(weeks=offset), weeks)
    split = tuple(
        data.draw(st.lists(st.integers(0, MOST), min_size=len(where), max_size=len(where)))
    )
    assert recovered(split, where) == {}


def test_weeks_beside_months_would_give_small_counts_away():
    """Why weeks are withheld. Week 14 of 2025 runs from 31 March to 6 April: with 4
    households referred on 31 March and 4 in April's days, the week published like a
    month (8, rounded to 10) beside its two months (each under 5, suppressed) leaves
    the attacker one answer: 4 and 4."""
    where = pieces(dt.date(2025, 3, 31), 1)
    assert [(str(w), str(m)) for w, m in where] == [
        ("2025-W14", "2025-03"),
        ("2025-W14", "2025-04"),
    ]
    week, march, april = where[0][0], where[0][1], where[1][1]

    def shown(split):
        totals = {week: sum(split), march: split[0], april: split[1]}
        return {
            p: publishable([HOUSEHOLDS], {"referrals": n}, THRESHOLD)["referrals"]
            for p, n in totals.items()
        }

    assert shown((4, 4)) == {week: 10, march: None, april: None}
    fits = [g for g in itertools.product(range(MOST + 1), repeat=2) if shown(g) == shown((4, 4))]
    assert fits == [(4, 4)]
    # As the hub publishes it, the week is withheld, and the same counts stay hidden.
    assert published((4, 4), where) == {week: None, march: None, april: None}
    assert recovered((4, 4), where) == {}
