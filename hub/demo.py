"""Demo data for the core: users for each role, people, locations; then each plugin's."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from hub import auth, clock
from hub.db import get_session, utcnow
from hub.models import Location, OpeningTime, Person, User

DEMO_PASSWORD = "demo-password"
LOGINS = {
    "admin": "admin@example.org",
    "coordinator": "coordinator@example.org",
    "volunteer": "volunteer@example.org",
    "viewer": "viewer@example.org",
}
NAMES = (
    "Aled Morgan",
    "Bethan Price",
    "Carys Hughes",
    "Dewi Jones",
    "Eleri Thomas",
    "Ffion Davies",
    "Gareth Evans",
    "Huw Roberts",
    "Iwan Lewis",
    "Lowri Williams",
    "Megan Phillips",
    "Rhys Owen",
)
LOCATIONS = (
    (
        "St Mary's Church Hall",
        "12 Church Street, Riverside",
        "CF11 6AA",
        [(1, "10:00", "13:00"), (4, "17:00", "19:30")],
    ),
    ("Riverside Community Centre", "Market Road, Riverside", "CF11 7BB", [(5, "10:00", "14:00")]),
)


def demo_locations() -> list[Location]:
    """The demo's two halls, with their opening times (plugins' demo sessions follow them)."""
    locations = []
    for name, address, postcode, hours in LOCATIONS:
        location = Location(name=name, address=address, postcode=postcode)
        for weekday, opens, closes in hours:
            location.opening_times.append(
                OpeningTime(
                    weekday=weekday,
                    opens=dt.time.fromisoformat(opens),
                    closes=dt.time.fromisoformat(closes),
                )
            )
        locations.append(location)
    return locations


def load(app: Flask, progress: Callable[[str], None]) -> dict[str, tuple[str, str]]:
    """Fill an empty instance; an instance that has users already is left alone."""
    session = get_session()
    logins = {role: (email, DEMO_PASSWORD) for role, email in LOGINS.items()}
    if session.scalar(select(func.count()).select_from(User)):
        progress("demo data already loaded")
        return logins
    rng = random.Random(2025)
    today = clock.today()
    for role, email in LOGINS.items():
        name = f"Demo {role.title()}"
        session.add(
            User(email=email, name=name, role=role, password_hash=auth.hash_password(DEMO_PASSWORD))
        )
    locations = demo_locations()
    session.add_all(locations)
    for name in NAMES:
        consented = rng.random() < 0.8
        session.add(
            Person(
                name=name,
                email=f"{name.split()[0].lower()}@example.net" if consented else None,
                phone=f"07700 900{rng.randint(100, 999)}" if consented else None,
                consent_given=consented,
                consent_at=utcnow() if consented else None,
                consent_purpose="Contact about services and reminders" if consented else "",
                retention_until=today + dt.timedelta(days=rng.randint(200, 1000)),
            )
        )
    session.flush()
    plugins = app.extensions["hub.plugins"]
    for name in plugins.enabled_names():
        if plugins.implements(name, "hub_demo_data"):
            progress(f"demo data: {name}")
            plugins.call(
                "hub_demo_data", plugin=name, session=session, today=today, locations=locations
            )
            session.flush()
    session.commit()
    return logins
