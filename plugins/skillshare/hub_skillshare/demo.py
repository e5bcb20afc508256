"""Demo data for ``hub demo``: a small town's time bank over a year, the same every time.

About thirty members (a few without a phone, whom a broker looks after), more joining
through the year, some asking to join now; a handful of exchanges each week, more in
spring and autumn, fewer in August and at Christmas; the bank crediting volunteers for
community work; a workshop most months, its host credited by the bank, and two coming
up (one full, with a waitlist); a correction; the last fortnight's exchanges still
waiting to be confirmed; members' offers and requests, one of them withdrawn. Everything
goes through the ledger, so the demo adds up like real use.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_skillshare import ledger, settings
from hub_skillshare.codes import SKILL_CATEGORY
from hub_skillshare.models import (
    Confirmation,
    Exchange,
    Listing,
    Member,
    Signup,
    Transfer,
    Workshop,
)

FIRST = ["Aled", "Bethan", "Carys", "Dafydd", "Eleri", "Ffion", "Gareth", "Hywel", "Iolo",
         "Jac", "Lowri", "Megan", "Nia", "Osian", "Rhian", "Sian", "Tomos", "Wyn", "Amir",
         "Beata", "Chen", "Deepa", "Emeka", "Fatima", "Grace", "Hamid", "Ines", "Jonas",
         "Kasia", "Leon", "Maya", "Nadia", "Omar", "Priya", "Ruth", "Sam"]  # fmt: skip
LAST = ["Jones", "Davies", "Evans", "Williams", "Price", "Hughes", "Morgan", "Rees", "Khan",
        "Nowak", "Okafor", "Patel", "Lewis", "Thomas", "Roberts", "Walsh"]  # fmt: skip
AREAS = ["Northside", "Old Town", "Riverside", "Hillcrest", "Market Quarter", "Canal End"]
# How often each kind of help is asked for, as in a typical small time bank.
CATEGORY_WEIGHTS = {
    "transport": 14, "garden": 12, "household": 12, "care": 10, "tech": 9, "learning": 8,
    "food": 6, "arts": 5, "admin": 6, "wellbeing": 4, "children": 4, "pets": 5, "other": 2,
}  # fmt: skip
DURATIONS = [30, 45, 60, 60, 60, 90, 90, 120, 120, 180]
WHAT = {
    "transport": ["Lift to the hospital", "Shopping run", "Collected a prescription"],
    "garden": ["Mowed the lawn", "Pruned the hedge", "Helped plant the veg patch"],
    "household": ["Put up shelves", "Fixed a dripping tap", "Helped move furniture"],
    "care": ["Afternoon visit and a chat", "Sat with Mum while I went out"],
    "tech": ["Set up a new phone", "Video calls with the grandchildren", "Printer fixed"],
    "learning": ["Welsh conversation practice", "Maths homework help", "Guitar lesson"],
    "food": ["Batch cooking for the week", "Bread-making together"],
    "arts": ["Hemmed curtains", "Knitting lesson"],
    "admin": ["Filled in a benefits form", "Wrote a letter to the council"],
    "wellbeing": ["Walk round the park", "Chair yoga"],
    "children": ["School pick-up", "Babysitting"],
    "pets": ["Dog walking", "Fed the cats while away"],
    "other": ["Helped with a bit of everything"],
    "community": ["Community day at the hall"],
}


# Skill-share sessions a small time bank runs: title, category, minutes.
WORKSHOPS = [
    ("Bike maintenance for beginners", "learning", 120),
    ("Sourdough bread", "food", 150),
    ("Knitting circle", "arts", 90),
    ("Getting the most from your smartphone", "tech", 90),
    ("Seed saving and sowing", "garden", 60),
    ("Mending clothes", "arts", 120),
]
PLACES = ["Northside library, room 2", "Community centre hall", "Old Town chapel vestry"]
# Offers and requests: kind, skill, title, description, when free, still listed.
LISTINGS = [
    (
        "offer",
        "lifts",
        "Lifts to appointments in town",
        "I have a car most weekdays and can wait while you are seen.",
        ["weekday_mornings", "weekday_afternoons"],
        True,
    ),
    (
        "offer",
        "phones",
        "Help with your phone or tablet",
        "Setting up email, video calls with family, making the text bigger: patiently, "
        "at your kitchen table.",
        ["weekday_evenings", "weekends"],
        True,
    ),
    (
        "offer",
        "languages",
        "Welsh conversation over a cuppa",
        "Learners welcome at any level; I am a first-language speaker.",
        ["weekday_afternoons"],
        True,
    ),
    ("offer", "sewing", "Hems, zips and small repairs", "", ["weekends"], True),
    (
        "request",
        "gardening",
        "Someone to help tame an overgrown garden",
        "My knees are not what they were; tools are in the shed.",
        ["weekends"],
        True,
    ),
    ("request", "forms", "Help filling in a blue badge form", "", ["weekday_mornings"], True),
    (
        "request",
        "pets",
        "Dog walking while I recover from an operation",
        "A friendly old Labrador, twenty minutes twice a day.",
        ["weekday_mornings"],
        True,
    ),
    ("request", "diy", "Putting up a curtain pole", "", [], False),
]


def _seasonal(day: dt.date) -> float:
    if day.month == 8 or (day.month == 12 and day.day > 18):
        return 0.5
    return 1.3 if day.month in (4, 5, 9, 10) else 1.0


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(9, 20)), dt.UTC)


@dataclass(frozen=True)
class _Joined:
    member: int
    account: int
    joined_on: dt.date
    offline: bool


def _members(session: Session, today: dt.date, rng: random.Random) -> list[_Joined]:
    names = [f"{first} {rng.choice(LAST)}" for first in FIRST]
    volunteer = session.scalars(select(api.User).where(api.User.role == "volunteer")).first()
    made = []
    for index, name in enumerate(names):
        founding = index < 22
        joined = today - dt.timedelta(
            days=rng.randint(380, 1100) if founding else rng.randint(15, 360)
        )
        person = api.Person(
            name=name,
            email=f"{name.split()[0].lower()}@example.net" if index % 4 else None,
            phone=f"07700 9{rng.randint(10000, 99999)}",
            consent_given=True,
            consent_purpose="Membership of the time bank",
            consent_at=_moment(joined, rng),
        )
        member = Member(
            person=person,
            area=rng.choice(AREAS),
            offline=index % 9 == 4,  # about one in nine has no phone
            status="active",
            joined_on=joined,
            user=volunteer if index == 0 else None,
            created_at=_moment(joined, rng),
        )
        session.add(member)
        ledger.open_account(session, member)
        made.append(member)
    for name in ("Zofia Nowak", "Rhodri Evans"):  # asked to join this week
        session.add(Member(person=api.Person(name=name), area=rng.choice(AREAS), status="pending"))
    session.flush()
    return [
        _Joined(m.id, m.account.id, m.joined_on, m.offline)
        for m in made
        if m.account and m.joined_on
    ]


def _exchange(
    session: Session,
    day: dt.date,
    category: str,
    transfers: list[tuple[int, int, int]],
    rng: random.Random,
    *,
    state: str = "confirmed",
    brokered: bool = False,
    reverses: int | None = None,
) -> Exchange:
    decided = _moment(day + dt.timedelta(days=rng.randint(0, 3)), rng)
    exchange = Exchange(
        category=category,
        occurred_on=day,
        description=rng.choice(WHAT[category]) if reverses is None else "Recorded twice",
        brokered=brokered,
        reverses_id=reverses,
        state="pending" if state == "confirmed" else state,
        created_at=_moment(day, rng),
        transfers=[Transfer(payer_id=p, payee_id=r, minutes=m) for p, r, m in transfers],
    )
    parties = sorted({p for p, _, _ in transfers} | {r for _, r, _ in transfers})
    for number, account_id in enumerate(parties):
        answered = number == 0 or state in ("confirmed", "declined")
        exchange.confirmations.append(
            Confirmation(
                account_id=account_id,
                state=("declined" if state == "declined" and number else "confirmed")
                if answered
                else "awaiting",
                decided_at=decided if answered else None,
                on_behalf=brokered,
            )
        )
    if state in ("pending", "expired"):
        exchange.expires_at = _moment(day, rng) + dt.timedelta(days=14)
    exchange.decided_at = exchange.expires_at if state == "expired" else decided
    if state == "pending":
        exchange.decided_at = None
    session.add(exchange)
    session.flush()
    if state == "confirmed":
        ledger.post(session, exchange, settings.current())
        exchange.state = "confirmed"
        session.flush()
    return exchange


def load(session: Session, today: dt.date) -> None:
    rng = random.Random("skillshare-demo")
    limits = settings.current()
    members = _members(session, today, rng)
    bank = ledger.bank_account(session).id
    balance = {m.account: 0 for m in members}
    categories = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    confirmed: list[tuple[int, dt.date, str, tuple[int, int, int]]] = []
    for back in range(364, -1, -1):
        day = today - dt.timedelta(days=back)
        # Written rows need not stay in the session: a small one keeps each flush cheap.
        session.expunge_all()
        joined = [m for m in members if m.joined_on <= day]
        for _ in range(int(rng.random() * 2.4 * _seasonal(day))):
            giver, receiver = rng.sample(joined, 2)
            minutes = rng.choice(DURATIONS)
            payer, payee = receiver.account, giver.account  # the helped pay the helper
            if balance[payer] - minutes < -limits.debit_limit_minutes:
                continue
            if balance[payee] + minutes > limits.credit_limit_minutes:
                continue
            state = "pending" if back < 14 and rng.random() < 0.6 else "confirmed"
            if back >= 14 and rng.random() < 0.04:
                state = rng.choice(["declined", "expired"])
            category = rng.choices(categories, weights)[0]
            exchange = _exchange(
                session,
                day,
                category,
                [(payer, payee, minutes)],
                rng,
                state=state,
                brokered=giver.offline or receiver.offline,
            )
            if state == "confirmed":
                balance[payer] -= minutes
                balance[payee] += minutes
                confirmed.append((exchange.id, day, category, (payer, payee, minutes)))
        if day.day == 1:  # the monthly community day: the bank credits its volunteers
            helpers = [
                h.account
                for h in rng.sample(joined, min(4, len(joined)))
                if balance[h.account] + 120 <= limits.credit_limit_minutes
            ]
            if helpers:
                transfers = [(bank, helper, 120) for helper in helpers]
                _exchange(session, day, "community", transfers, rng, brokered=True)
            for helper in helpers:
                balance[helper] += 120
    # One exchange recorded twice, corrected by a reversing exchange two days later.
    mistake, day, category, (payer, payee, minutes) = next(
        found
        for found in confirmed[len(confirmed) // 2 :]
        if balance[found[3][1]] - found[3][2] >= -limits.debit_limit_minutes
        and balance[found[3][0]] + found[3][2] <= limits.credit_limit_minutes
    )
    reversal = [(payee, payer, minutes)]
    when = day + dt.timedelta(days=2)
    _exchange(session, when, category, reversal, rng, brokered=True, reverses=mistake)
    _workshops(session, today, members, balance, bank, limits, rng)
    _listings(session, members, rng)


def _listings(session: Session, members: list[_Joined], rng: random.Random) -> None:
    for (kind, skill, title, text, free, active), who in zip(
        LISTINGS, rng.sample(members, len(LISTINGS)), strict=True
    ):
        member = session.get(Member, who.member)
        assert member is not None
        session.add(
            Listing(
                member=member,
                kind=kind,
                skill=skill,
                category=SKILL_CATEGORY[skill],
                title=title,
                description=text,
                area=member.area,
                availability=free,
                active=active,
            )
        )
    session.flush()


def _workshops(
    session: Session,
    today: dt.date,
    members: list[_Joined],
    balance: dict[int, int],
    bank: int,
    limits: settings.Settings,
    rng: random.Random,
) -> None:
    """A workshop on the 15th of most months (none in August), attendance taken and the
    host credited by the bank; two coming up, the second full with a waitlist."""
    days = [
        day
        for back in range(364, 0, -1)
        if (day := today - dt.timedelta(days=back)).day == 15 and day.month != 8
    ]
    upcoming = [today + dt.timedelta(days=5), today + dt.timedelta(days=12)]
    for number, day in enumerate(days + upcoming):
        title, category, minutes = WORKSHOPS[number % len(WORKSHOPS)]
        joined = [m for m in members if m.joined_on <= day]
        host, *others = rng.sample(joined, min(len(joined), 12))
        held = day < today and balance[host.account] + minutes <= limits.credit_limit_minutes
        places = 6 if day == upcoming[-1] else rng.choice([8, 10, 12])
        workshop = Workshop(
            host_id=host.member,
            title=title,
            category=category,
            date=day,
            starts_at=dt.time(rng.choice([10, 14, 18]), 30),
            minutes=minutes,
            place=rng.choice(PLACES),
            places=places,
            state="held" if held else "scheduled",
            created_at=_moment(day - dt.timedelta(days=21), rng),
        )
        signed = others[: places + 2] if day == upcoming[-1] else others[: rng.randint(3, places)]
        for position, member in enumerate(signed, start=1):
            workshop.signups.append(
                Signup(
                    member_id=member.member,
                    state="booked" if position <= places else "waiting",
                    position=position,
                    # Someone always came to a session that was held and credited.
                    attended=(position == 1 or rng.random() < 0.85) if held else None,
                )
            )
        if held:
            workshop.attendance_taken_at = _moment(day, rng)
            credit = _exchange(session, day, category, [(bank, host.account, minutes)], rng)
            credit.description = f"Workshop: {title}"
            workshop.exchange = credit
            balance[host.account] += minutes
        session.add(workshop)
    session.flush()
