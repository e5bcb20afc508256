"""Demo data for ``hub demo``: a library of things' year, the same every time.

About 300 items in the categories a UK library of things lends (power tools, ladders,
carpet cleaners, gazebos, a sewing machine...), three membership tiers, about 200
members who joined through the year, and a year of loans at the weekly sessions: busy in
spring and before Christmas, some renewed, some late, a few returned with a part missing
(a ticket opened), holds on the popular things, reservations for the summer's parties,
and a wanted list of what the library asks to be given (some of it given already).
Rows are built directly (thousands of service calls, each committing, would be slow and
would commit before the core does), keeping the service's rules: one open loan per item,
due dates from the member's policy and the opening days, renewals within the limit.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.plugin_api import Person, now
from hub_toollibrary import service
from hub_toollibrary.models import (
    Hold,
    Item,
    Loan,
    Member,
    MembershipType,
    Renewal,
    Reservation,
    Ticket,
    Wanted,
)

# name, category, replacement value (pounds), deposit (pounds), kit parts, how many copies
CATALOGUE: list[tuple[str, str, int, int, tuple[str, ...], int]] = [
    ("Cordless drill driver 18V", "drills", 90, 0, ("battery", "charger", "bit set"), 14),
    ("Hammer drill (corded)", "drills", 70, 0, ("depth stop", "side handle"), 8),
    ("Impact driver", "drills", 85, 0, ("battery", "charger"), 5),
    ("SDS rotary hammer", "drills", 140, 20, ("chisel", "drill bits", "case"), 4),
    ("Jigsaw", "saws_power", 60, 0, ("blades",), 8),
    ("Circular saw", "saws_power", 110, 20, ("blade guard key",), 4),
    ("Mitre saw", "saws_power", 180, 30, (), 2),
    ("Orbital sander", "sanders", 55, 0, ("sanding sheets", "dust bag"), 8),
    ("Belt sander", "sanders", 80, 0, ("belts",), 3),
    ("Angle grinder", "sanders", 60, 10, ("guard", "discs"), 3),
    ("Tile cutter", "power_other", 75, 0, (), 4),
    ("Multi-tool (oscillating)", "power_other", 70, 0, ("blades",), 5),
    ("Hot air gun", "power_other", 35, 0, ("nozzles",), 4),
    ("Tenon saw", "hand_saws", 15, 0, (), 5),
    ("Hacksaw", "hand_saws", 12, 0, (), 5),
    ("Socket set", "spanners", 45, 0, ("case",), 6),
    ("Sash clamps (pair)", "spanners", 40, 0, (), 3),
    ("Spirit level 1.2 m", "measuring", 25, 0, (), 5),
    ("Laser level", "measuring", 120, 20, ("tripod", "target"), 3),
    ("Stud and cable detector", "measuring", 30, 0, (), 4),
    ("Extension ladder 3-section", "ladders", 160, 20, (), 4),
    ("Step ladder", "ladders", 60, 0, (), 6),
    ("Scaffold tower", "ladders", 400, 50, ("outriggers", "platform", "braces"), 1),
    ("Stepladder platform", "ladders", 90, 0, (), 2),
    ("Toolbox: basic household", "hand_other", 50, 0, ("hammer", "screwdrivers", "pliers"), 8),
    ("Rivet gun", "hand_other", 20, 0, ("rivets",), 3),
    ("Lawn mower (electric)", "lawn", 150, 20, ("grass box", "cable"), 5),
    ("Strimmer", "lawn", 70, 0, ("spool",), 5),
    ("Lawn aerator", "lawn", 40, 0, (), 2),
    ("Spade and fork set", "garden_hand", 45, 0, (), 6),
    ("Wheelbarrow", "garden_hand", 70, 0, (), 4),
    ("Hedge trimmer", "hedge", 80, 0, ("blade cover",), 6),
    ("Long-reach pruner", "hedge", 60, 0, (), 3),
    ("Garden shredder", "hedge", 200, 30, ("pusher",), 2),
    ("Pressure washer", "pressure_washers", 150, 20, ("lance", "patio cleaner", "hose"), 5),
    ("Carpet cleaner", "carpet_cleaners", 220, 30, ("upholstery tool", "hose"), 5),
    ("Wet and dry vacuum", "carpet_cleaners", 90, 0, ("hose", "filter"), 4),
    ("Wallpaper steamer", "wallpaper", 45, 0, ("steam plate", "hose"), 6),
    ("Wallpaper pasting table", "wallpaper", 25, 0, (), 4),
    ("Paint sprayer", "painting", 100, 20, ("nozzles", "cup"), 3),
    ("Dust sheets and roller set", "painting", 25, 0, (), 5),
    ("Food dehydrator", "kitchen", 60, 0, ("trays",), 3),
    ("Pasta machine", "kitchen", 35, 0, (), 3),
    ("Slow cooker (large)", "kitchen", 40, 0, (), 3),
    ("Jam pan and thermometer", "preserving", 45, 0, ("thermometer",), 3),
    ("Bread maker", "preserving", 80, 0, ("paddle",), 2),
    ("Stand mixer", "preserving", 250, 30, ("whisk", "hook", "beater"), 2),
    ("Steam cleaner", "home_other", 70, 0, ("attachments",), 3),
    ("Dehumidifier", "home_other", 180, 20, (), 4),
    ("Family tent (6-person)", "camping", 250, 30, ("poles", "pegs", "groundsheet"), 3),
    ("Camping stove", "camping", 40, 0, (), 4),
    ("Sleeping mats (set of 4)", "camping", 60, 0, (), 3),
    ("Badminton set", "sport", 30, 0, ("net", "rackets", "shuttles"), 3),
    ("Paddleboard (inflatable)", "sport", 350, 50, ("pump", "paddle", "leash"), 2),
    ("Tea urn 20 l", "party", 90, 0, (), 3),
    ("Party lights", "party", 40, 0, (), 4),
    ("Chocolate fountain", "party", 60, 10, (), 1),
    ("Gazebo 3x6 m", "gazebos", 180, 30, ("poles", "side walls", "pegs"), 3),
    ("Folding tables (pair)", "gazebos", 80, 0, (), 4),
    ("Projector and screen", "audio_visual", 300, 50, ("remote", "HDMI cable", "screen"), 2),
    ("PA speaker with microphone", "audio_visual", 250, 40, ("microphone", "cable"), 2),
    ("Multimeter", "electronics_tools", 30, 0, ("leads",), 3),
    ("Soldering station", "electronics_tools", 60, 0, ("stand", "sponge"), 2),
    ("Sewing machine", "sewing", 180, 20, ("foot pedal", "bobbins", "cover"), 4),
    ("Overlocker", "sewing", 250, 30, ("foot pedal",), 1),
    ("Cricut cutting machine", "sewing", 220, 30, ("mat",), 1),
    ("Baby travel cot", "children", 60, 0, ("mattress",), 3),
    ("Child car seat", "children", 120, 0, (), 2),
    ("Wheelchair (folding)", "mobility", 200, 0, (), 2),
    ("Carpet stretcher", "other", 80, 0, (), 1),
]
# Things lent only by a coordinator, after a word about using them safely.
RESTRICTED = {"Scaffold tower", "Angle grinder", "Circular saw", "Mitre saw", "Garden shredder"}

TIERS = (
    ("Pay as you feel", 0, 365, 2, 7, 1),
    ("Standard", 2500, 365, 4, 7, 2),
    ("Supporter", 6000, 365, 6, 14, 3),
)
FIRST = [
    "Amira",
    "Sam",
    "Priya",
    "Tom",
    "Olu",
    "Megan",
    "Gareth",
    "Hannah",
    "Ravi",
    "Siân",
    "Joe",
    "Bea",
    "Kofi",
    "Lena",
    "Dai",
    "Mo",
    "Ffion",
    "Chris",
    "Aled",
    "Nadia",
    "Jess",
    "Ali",
    "Rhys",
    "Kate",
    "Ben",
    "Zara",
    "Ewan",
    "Iolo",
    "Grace",
    "Huw",
]
LAST = [
    "Jones",
    "Davies",
    "Evans",
    "Williams",
    "Khan",
    "Patel",
    "Hughes",
    "Price",
    "Lewis",
    "Morgan",
    "Ahmed",
    "Roberts",
    "Owen",
    "Thomas",
    "Begum",
    "Edwards",
    "James",
    "Nowak",
    "Okafor",
    "Clarke",
]


# The wanted list: category, note, asked for (days ago), given (days ago; None: still open).
WANTED: list[tuple[str, str, int, int | None]] = [
    ("sewing", "Working sewing machines: ours are booked weeks ahead", 75, None),
    ("drills", "Spare 18V batteries: drills sit on the shelf waiting for a charge", 30, None),
    ("children", "Travel cots and high chairs, clean and complete", 45, None),
    ("lawn", "Push mowers and strimmers, before the spring rush", 12, None),
    ("gazebos", "Pop-up gazebos for the summer fairs", 210, 150),
    ("ladders", "A 6 or 8 tread stepladder", 130, 95),
]


def _season(day: dt.date) -> float:
    """Spring DIY and gardening, summer parties and camping, a pre-Christmas bump."""
    return {3: 1.3, 4: 1.5, 5: 1.5, 6: 1.3, 7: 1.2, 8: 1.1, 11: 1.1, 12: 1.2, 1: 0.7}.get(
        day.month, 1.0
    )


class _Library:
    def __init__(self, session: Session, today: dt.date, locations: list[Any]) -> None:
        self.session = session
        self.today = today
        self.rng = random.Random("toollibrary-demo")
        self.policy = service.Policy()
        self.location = locations[0] if locations else None
        self.start = today - dt.timedelta(days=364)
        self.repairs: set[int] = set()  # items with an open ticket

    def catalogue(self) -> list[Item]:
        items: list[Item] = []
        for name, category, value, deposit, parts, copies in CATALOGUE:
            for copy in range(copies):
                added = self.start - dt.timedelta(days=self.rng.randint(30, 700))
                if self.rng.random() < 0.15:  # bought or donated during the year
                    added = self.start + dt.timedelta(days=self.rng.randint(0, 300))
                items.append(
                    Item(
                        number=f"T{len(items) + 1:04d}",
                        name=name if copies == 1 else f"{name} ({copy + 1})",
                        category=category,
                        condition=self.rng.choices(("new", "good", "fair", "worn"), (1, 6, 3, 1))[
                            0
                        ],
                        location=self.location,
                        kit_parts=list(parts),
                        replacement_value_pence=value * 100,
                        deposit_pence=deposit * 100,
                        restricted=name in RESTRICTED,
                        added_on=added,
                    )
                )
        self.session.add_all(items)
        self.session.flush()
        return items

    def members(self) -> list[Member]:
        tiers = [
            MembershipType(
                name=name,
                fee_pence=fee,
                length_days=length,
                borrowing_limit=limit,
                loan_days=days,
                renewal_limit=renewals,
            )
            for name, fee, length, limit, days, renewals in TIERS
        ]
        self.session.add_all(tiers)
        members = []
        for number in range(210):
            joined = self.start + dt.timedelta(days=int(364 * self.rng.random() ** 0.8))
            if number < 60:  # the founding members joined before the year began
                joined = self.start - dt.timedelta(days=self.rng.randint(1, 300))
            name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
            with_email = self.rng.random() < 0.85
            person = Person(
                name=name,
                email=f"{name.lower().replace(' ', '.')}.{number}@example.org"
                if with_email
                else None,
                phone=f"07700 9{self.rng.randint(0, 99999):05d}",
                consent_given=True,
                consent_purpose="Tool library membership: lending, reminders, notices",
                consent_at=now(),
            )
            member = Member(
                code=f"M{number + 2:03d}{self.rng.choice(service.CODE_ALPHABET)}"
                f"{self.rng.choice(service.CODE_ALPHABET)}",
                person=person,
                membership_type=self.rng.choices(tiers, (3, 6, 1))[0],
                status="approved",
                applied_on=joined - dt.timedelta(days=self.rng.randint(0, 6)),
                approved_on=joined,
                agreement_accepted_on=joined,
                expires_on=joined + dt.timedelta(days=365),
            )
            if joined > self.today - dt.timedelta(days=10) and self.rng.random() < 0.5:
                member.status, member.approved_on, member.expires_on = "applied", None, None
            members.append(member)
        self.session.add_all(members)
        self.session.flush()
        return members

    def year(self, items: list[Item], members: list[Member]) -> None:
        """Wednesday and Saturday sessions: returns first, then renewals, then loans."""
        rng = self.rng
        lendable = [item for item in items if not item.restricted]
        weights = [rng.paretovariate(1.2) for _ in lendable]
        out: dict[int, Loan] = {}  # item id -> its open loan: one at a time, as the index holds
        lateness: dict[int, dt.timedelta] = {}  # most come back on time; some late, a few lost
        for offset in range(365):
            day = self.start + dt.timedelta(days=offset)
            if day.weekday() not in (2, 5):
                continue
            for loan in list(out.values()):
                if day >= loan.due_on + lateness[id(loan)] or (
                    day >= loan.out_on + dt.timedelta(days=3) and rng.random() < 0.25
                ):
                    self._return(loan, day)
                    del out[loan.item.id]
                elif (
                    loan.due_on - dt.timedelta(days=4) <= day <= loan.due_on and rng.random() < 0.2
                ):
                    self._renew(loan, day)
            borrowers = [m for m in members if m.approved_on is not None and m.approved_on <= day]
            for _ in range(max(0, int(rng.gauss(9, 3) * _season(day)))):
                item = rng.choices(lendable, weights)[0]
                if (
                    borrowers
                    and item.added_on <= day
                    and item.id not in out
                    and item.id not in self.repairs
                ):
                    member = rng.choice(borrowers)
                    loan = Loan(
                        item=item,
                        member=member,
                        out_on=day,
                        due_on=service.due_date(item, member, day),
                        deposit_pence=item.deposit_pence,
                        condition_out=item.condition,
                        renewal_count=0,
                    )
                    self.session.add(loan)
                    out[item.id] = loan
                    late = rng.choices((0, rng.randint(3, 25), 400), (86, 12, 2))[0]
                    lateness[id(loan)] = dt.timedelta(days=late)
        self.session.flush()

    def _renew(self, loan: Loan, day: dt.date) -> None:
        new_due = service.due_date(loan.item, loan.member, loan.due_on)
        within = loan.renewal_count < loan.member.membership_type.renewal_limit
        renewal = Renewal(
            loan=loan,
            requested_on=day,
            status="approved" if within else "refused",
            old_due_on=loan.due_on,
            new_due_on=new_due,
            decided_on=day if within else day + dt.timedelta(days=1),
        )
        if within:
            loan.due_on, loan.renewal_count = new_due, loan.renewal_count + 1
        self.session.add(renewal)

    def _return(self, loan: Loan, day: dt.date) -> None:
        rng, item = self.rng, loan.item
        loan.returned_on = day
        loan.condition_in = item.condition
        loan.deposit_returned = loan.deposit_pence > 0
        problem = ""
        if item.kit_parts and rng.random() < 0.03:
            loan.missing_parts = [rng.choice(item.kit_parts)]
            problem = f"Missing at return: {loan.missing_parts[0]}."
        elif rng.random() < 0.02:
            problem = rng.choice(
                ("Blade blunt, needs sharpening.", "Cable frayed near the plug.", "Will not start.")
            )
        if not problem:
            return
        ticket = Ticket(item=item, loan=loan, opened_on=day, problem=problem)
        if day < self.today - dt.timedelta(days=21) and rng.random() < 0.8:
            ticket.status = "closed"
            ticket.closed_on = day + dt.timedelta(days=rng.randint(3, 20))
            ticket.resolution = "Part replaced." if loan.missing_parts else "Serviced and tested."
        else:
            self.repairs.add(item.id)
        self.session.add(ticket)

    def waiting(self, items: list[Item], members: list[Member]) -> None:
        """Holds queues on things out now, and reservations for the coming weeks."""
        rng, today, session = self.rng, self.today, self.session
        approved = [m for m in members if m.status == "approved"]
        out = list(session.scalars(select(Loan).where(Loan.returned_on.is_(None))))
        for loan in rng.sample(out, min(15, len(out))):
            waiting = [m for m in rng.sample(approved, rng.randint(1, 3)) if m is not loan.member]
            for place, member in enumerate(waiting):
                placed = today - dt.timedelta(days=rng.randint(1, 10) + place)
                session.add(Hold(item=loan.item, member=member, placed_on=placed))
        # Two holds that came back a few days ago: one still waiting, one not collected.
        returned = [item for item in items if item.id not in {loan.item.id for loan in out}]
        for item, back in zip(rng.sample(returned, 2), (2, 10), strict=True):
            ready_on = today - dt.timedelta(days=back)
            expires_on = ready_on + dt.timedelta(days=self.policy.hold_days)
            hold = Hold(
                item=item,
                member=rng.choice(approved),
                placed_on=ready_on - dt.timedelta(days=5),
                status="ready" if expires_on >= today else "expired",
                ready_on=ready_on,
                expires_on=expires_on,
                notified_on=ready_on,
                closed_on=None if expires_on >= today else expires_on + dt.timedelta(days=1),
            )
            session.add(hold)
        party = [item for item in items if item.category in ("gazebos", "party", "camping")]
        for item in rng.sample(party, min(8, len(party))):
            if item.id in {loan.item.id for loan in out}:
                continue
            start = today + dt.timedelta(days=rng.randint(7, 40))
            session.add(
                Reservation(
                    item=item,
                    member=rng.choice(approved),
                    starts_on=start,
                    ends_on=start + dt.timedelta(days=rng.randint(1, 3)),
                )
            )

    def wanted(self) -> None:
        for category, note, asked, given in WANTED:
            self.session.add(
                Wanted(
                    category=category,
                    note=note,
                    opened_on=self.today - dt.timedelta(days=asked),
                    closed_on=None if given is None else self.today - dt.timedelta(days=given),
                )
            )


def load(session: Session, today: dt.date, locations: list[Any]) -> None:
    library = _Library(session, today, locations)
    items = library.catalogue()
    members = library.members()
    library.year(items, members)
    library.waiting(items, members)
    library.wanted()
