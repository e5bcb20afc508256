"""A year of a town food bank, for the demo instance.

Shaped like the figures food banks publish: two sessions a week at the church
hall and one on Saturdays at the community centre; most parcels come on a
voucher from a local agency, low income and benefit problems are the commonest
reasons, winter and the school summer holidays are busiest (with holiday
hunger referrals), donations come from supermarket collections, a food
redistribution charity, the public, and a harvest festival and Christmas
surge; some categories (tinned meat and fish, toiletries) run short.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hub.plugin_api import Person, now, record_audit
from hub_foodbank import codes, service, settings
from hub_foodbank.models import (
    Agency,
    Donation,
    DonationLine,
    Household,
    Parcel,
    ParcelSignpost,
    StockAdjustment,
    Voucher,
    VoucherReason,
)

AGENCIES = (
    ("Citizens Advice Riverside", "advice"),
    ("Riverside Medical Practice", "health"),
    ("Community Mental Health Team", "health"),
    ("St Teilo's Primary School", "school"),
    ("Riverside Housing Association", "housing"),
    ("Jobcentre Plus Riverside", "jobcentre"),
    ("Children's Services Family Support", "social_services"),
    ("Women's Aid Riverside", "charity"),
    ("Salvation Army Riverside", "faith"),
    ("Council Welfare Rights Team", "council"),
)
REASON_WEIGHTS = {
    "low_income": 40,
    "benefit_delays": 16,
    "benefit_changes": 10,
    "debt": 10,
    "sickness": 8,
    "homelessness": 4,
    "domestic_abuse": 3,
    "nrpf": 2,
    "delayed_wages": 3,
    "refused_crisis_loan": 2,
    "other": 2,
}
DISTRICTS = ("CF11", "CF11", "CF11", "CF5", "CF5", "CF10", "CF24")
SUPPLY = {"tinned_meat_fish": 0.95, "toiletries": 0.94, "baby": 0.97}
SOURCES = {
    "supermarket": ("Tesco Riverside collection point", "Sainsbury's Cowbridge Road"),
    "redistribution": ("FareShare Cymru",),
    "business": ("Riverside Dental Practice", "Acme Logistics staff drive"),
    "faith_group": ("St Mary's harvest festival", "Riverside Mosque", "Canton Methodist Church"),
    "public": ("",),
}


def _season(day: dt.date) -> float:
    factor = 1.0
    if day.month in (11, 1, 2):
        factor += 0.25
    if day.month == 12:
        factor += 0.45
    if _school_holiday(day):
        factor += 0.2
    return factor


def _school_holiday(day: dt.date) -> bool:
    summer = dt.date(day.year, 7, 22) <= day <= dt.date(day.year, 9, 1)
    christmas = (day.month == 12 and day.day >= 21) or (day.month == 1 and day.day <= 3)
    easter = day.month == 4 and 1 <= day.day <= 14
    return summer or christmas or easter


class FoodBankYear:
    def __init__(self, session: Session, today: dt.date, locations: list[Any]) -> None:
        self.session = session
        self.today = today
        self.locations = locations
        self.rng = random.Random(2025)
        self.config = settings.current()
        self.households: list[Household] = []
        self.agencies: list[Agency] = []
        self.used: dict[str, int] = {}
        self.codes: set[str] = set()
        self.vouchers: list[Voucher] = []
        self.parcels: list[Parcel] = []
        self.donations: list[Donation] = []

    def run(self) -> None:
        self.agencies = [Agency(name=name, agency_type=kind) for name, kind in AGENCIES]
        self.session.add_all(self.agencies)
        self.session.flush()
        start = self.today - dt.timedelta(days=364)
        self._opening_stock(start)
        day = start
        while day <= self.today:
            for location in self._sessions_on(day):
                self._session(day, location)
            if day.weekday() == 0:
                self._donations(day)
            day += dt.timedelta(days=1)
        self._link_people()
        self._unredeemed_vouchers()
        self._store()

    def _code(self, prefix: str) -> str:
        """A fresh code without a query per record (the demo starts from an empty food bank)."""
        while True:
            code = prefix + "".join(self.rng.choice(service.CODE_ALPHABET) for _ in range(5))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _sessions_on(self, day: dt.date) -> list[Any]:
        return [
            location
            for location in self.locations
            if any(opening.weekday == day.weekday() for opening in location.opening_times)
        ]

    def _new_household(self) -> Household:
        rng = self.rng
        shape = rng.choices(("single", "couple", "lone_parent", "family"), (45, 15, 25, 15))[0]
        adults = 2 if shape in ("couple", "family") else 1
        kids = rng.choice((1, 1, 2, 2, 3, 4)) if shape in ("lone_parent", "family") else 0
        bands = [0, 0, 0]
        for _ in range(kids):
            bands[rng.choices((0, 1, 2), (3, 5, 3))[0]] += 1
        dietary = rng.choices(
            ([], ["halal"], ["vegetarian"], ["diabetic"], ["no_cooking"]), (80, 7, 5, 4, 4)
        )[0]
        household = Household(
            code=self._code("H"),
            adults=adults,
            children_0_4=bands[0],
            children_5_11=bands[1],
            children_12_17=bands[2],
            dietary=list(dietary),
            allergies=rng.choices(("", "nuts", "gluten", "dairy"), (90, 4, 3, 3))[0],
            postcode_district=rng.choice(DISTRICTS),
        )
        self.households.append(household)
        return household

    def _household(self) -> Household:
        if not self.households or self.rng.random() < 0.4:
            return self._new_household()
        # Some households come back often: weight the earlier ones.
        index = int(len(self.households) * self.rng.random() ** 1.6)
        return self.households[index]

    def _reasons(self, household: Household, day: dt.date) -> list[str]:
        reasons = set(
            self.rng.choices(
                list(REASON_WEIGHTS), list(REASON_WEIGHTS.values()), k=self.rng.choice((1, 1, 2))
            )
        )
        if household.children and _school_holiday(day) and self.rng.random() < 0.5:
            reasons.add("child_holiday_hunger")
        return sorted(reasons)

    def _agency_for(self, reasons: list[str]) -> Agency:
        if "child_holiday_hunger" in reasons:
            return self.agencies[3]
        if "domestic_abuse" in reasons:
            return self.agencies[7]
        if "sickness" in reasons:
            return self.agencies[self.rng.choice((1, 2))]
        return self.rng.choices(self.agencies, (30, 8, 4, 6, 10, 12, 6, 2, 8, 14))[0]

    def _parcel_type(self, household: Household) -> str:
        roll = self.rng.random()
        if household.children_0_4 and roll < 0.25:
            return "baby"
        if household.dietary and roll < 0.5:
            return "dietary"
        if roll < 0.07:
            return "hygiene"
        if roll < 0.16:
            return "top_up"
        return "emergency"

    def _session(self, day: dt.date, location: Any) -> None:
        count = max(4, int(self.rng.gauss(17, 4) * _season(day)))
        for _ in range(count):
            household = self._household()
            parcel_type = self._parcel_type(household)
            voucher = None
            if parcel_type != "top_up":
                voucher = self._refer(household, day, day - dt.timedelta(self.rng.randint(0, 5)))
            usual = service.prefill(self.config, household, parcel_type)
            signposting = (
                (self.rng.choices(list(codes.SIGNPOSTING), (25, 30, 20, 8, 7, 5, 4, 1))[0],)
                if self.rng.random() < 0.35
                else ()
            )
            parcel = service.build_parcel(
                service.ParcelRequest(
                    household=household,
                    location=location,
                    given_on=day,
                    parcel_type=parcel_type,
                    adults=household.adults,
                    children=household.children,
                    weight_grams=int(usual["weight_grams"] * self.rng.uniform(0.9, 1.1)),
                    method="delivered" if self.rng.random() < 0.08 else "collected",
                    signposting=signposting,
                    voucher=voucher,
                )
            )
            self.parcels.append(parcel)
            for category, percent in self.config.contents(parcel_type).items():
                self.used[category] = (
                    self.used.get(category, 0) + parcel.weight_grams * percent // 100
                )

    def _opening_stock(self, day: dt.date) -> None:
        donation = Donation(received_on=day, donor_type="redistribution", source="FareShare Cymru")
        for category in codes.STOCK_CATEGORIES:
            donation.lines.append(
                DonationLine(
                    category=category,
                    grams=self.rng.randint(30, 60) * 1000,
                    best_before=day + dt.timedelta(days=200),
                )
            )
        self.donations.append(donation)

    def _donations(self, week_start: dt.date) -> None:
        """A week's donations, sized to what last week's parcels used, by donor."""
        used, self.used = self.used, {}
        harvest = week_start.month in (9, 10) and week_start.day > 14
        christmas = week_start.month == 12
        mix = {
            "supermarket": 40,
            "redistribution": 25,
            "public": 25,
            "business": 5,
            "faith_group": 5,
        }
        if harvest:
            mix["faith_group"] = 45
        if christmas:
            mix["public"], mix["business"] = 45, 15
        for donor_type, share in mix.items():
            source = self.rng.choice(SOURCES[donor_type])
            donation = Donation(
                received_on=week_start + dt.timedelta(days=self.rng.randint(0, 5)),
                donor_type=donor_type,
                source=source,
            )
            for category in codes.STOCK_CATEGORIES:
                needed = used.get(category, 0) * share / 100
                grams = int(needed * SUPPLY.get(category, 0.99) * self.rng.uniform(0.8, 1.2))
                if harvest or christmas:
                    grams = int(grams * 1.15)
                if grams < 500:
                    continue
                shelf_life = self.rng.choices((14, 60, 120, 240, 365, 540), (1, 3, 4, 5, 5, 4))[0]
                donation.lines.append(
                    DonationLine(
                        category=category,
                        grams=grams,
                        best_before=donation.received_on + dt.timedelta(days=shelf_life),
                    )
                )
            if donation.lines:
                self.donations.append(donation)
        if self.rng.random() < 0.1:
            self.session.add(
                StockAdjustment(
                    made_on=week_start,
                    category="other",
                    grams=-self.rng.randint(2, 8) * 1000,
                    reason="Past use-by: composted",
                )
            )

    def _link_people(self) -> None:
        consenting = self.session.scalars(
            select(Person).where(Person.consent_given.is_(True)).limit(3)
        ).all()
        for person, household in zip(consenting, self.households[5:], strict=False):
            household.person_id = person.id

    def _unredeemed_vouchers(self) -> None:
        """A few referrals never collected, and this week's vouchers waiting."""
        for household in self.rng.sample(self.households, k=min(12, len(self.households))):
            self._refer(household, self.today, self.today - dt.timedelta(self.rng.randint(0, 30)))

    def _refer(self, household: Household, day: dt.date, issued: dt.date) -> Voucher:
        """A voucher an agency issued for ``household``, for its reasons as of ``day``."""
        reasons = self._reasons(household, day)
        voucher = Voucher(
            code=self._code("V"),
            agency=self._agency_for(reasons),
            household=household,
            issued_on=issued,
            valid_until=issued + dt.timedelta(days=int(self.config.voucher_valid_days)),
        )
        service.set_reasons(voucher, reasons)
        self.vouchers.append(voucher)
        return voucher

    def _insert(self, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        statement = insert(model).returning(model.id, sort_by_parameter_order=True)
        return list(self.session.scalars(statement, rows))

    def _store(self) -> None:
        """Write the year in bulk: thousands of rows at once, with one audit entry for
        the lot (as imports do) instead of one per row."""
        stamp = now()
        ids = self._insert(
            Household,
            [
                {
                    "code": h.code,
                    "adults": h.adults,
                    "children_0_4": h.children_0_4,
                    "children_5_11": h.children_5_11,
                    "children_12_17": h.children_12_17,
                    "dietary": h.dietary,
                    "allergies": h.allergies,
                    "postcode_district": h.postcode_district,
                    "person_id": h.person_id,
                    "created_at": stamp,
                }
                for h in self.households
            ],
        )
        for household, new_id in zip(self.households, ids, strict=True):
            household.id = new_id
        ids = self._insert(
            Voucher,
            [
                {
                    "code": v.code,
                    "agency_id": v.agency.id,
                    "household_id": v.household.id,
                    "issued_on": v.issued_on,
                    "valid_until": v.valid_until,
                    "redeemed_on": v.redeemed_on,
                    "notes": "",
                    "created_at": stamp,
                }
                for v in self.vouchers
            ],
        )
        for voucher, new_id in zip(self.vouchers, ids, strict=True):
            voucher.id = new_id
        self.session.execute(
            insert(VoucherReason),
            [
                {"voucher_id": v.id, "reason": row.reason}
                for v in self.vouchers
                for row in v.reason_rows
            ],
        )
        ids = self._insert(
            Parcel,
            [
                {
                    "given_on": p.given_on,
                    "location_id": p.location.id,
                    "household_id": p.household.id,
                    "voucher_id": p.voucher.id if p.voucher else None,
                    "parcel_type": p.parcel_type,
                    "adults": p.adults,
                    "children": p.children,
                    "weight_grams": p.weight_grams,
                    "method": p.method,
                    "idempotency_key": None,
                    "created_at": stamp,
                }
                for p in self.parcels
            ],
        )
        signposts = [
            {"parcel_id": new_id, "code": row.code}
            for parcel, new_id in zip(self.parcels, ids, strict=True)
            for row in parcel.signpost_rows
        ]
        if signposts:
            self.session.execute(insert(ParcelSignpost), signposts)
        ids = self._insert(
            Donation,
            [
                {
                    "received_on": d.received_on,
                    "donor_type": d.donor_type,
                    "source": d.source,
                    "created_at": stamp,
                }
                for d in self.donations
            ],
        )
        self.session.execute(
            insert(DonationLine),
            [
                {
                    "donation_id": new_id,
                    "category": line.category,
                    "grams": line.grams,
                    "best_before": line.best_before,
                }
                for donation, new_id in zip(self.donations, ids, strict=True)
                for line in donation.lines
            ],
        )
        record_audit(
            self.session,
            "demo_data",
            "foodbank",
            "",
            households=len(self.households),
            vouchers=len(self.vouchers),
            parcels=len(self.parcels),
            donations=len(self.donations),
        )


def load(session: Session, today: dt.date, locations: list[Any]) -> None:
    FoodBankYear(session, today, locations).run()
