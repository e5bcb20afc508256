"""A core-only instance with many people and a long audit log, for the API and page benchmarks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import insert

SURNAMES = ["Smith", "Jones", "Williams", "Davies", "Evans", "Thomas", "Roberts", "Hughes"]
ADMIN_EMAIL = "admin@example.org"


def build(
    root: Path,
    database_url: str | None,
    people: int,
    audit: int,
    password: str,
    plugins: Sequence[str] = (),
) -> tuple[Any, str]:
    """The app (with ``plugins`` enabled, their tables empty) and an admin API token;
    the admin signs in with ``password``.

    Audit entries run back from now, twenty minutes apart, over people,
    locations and users, so filters by entity and by date both find rows.
    """
    from hub import auth, create_app, migrate
    from hub.cli import write_config
    from hub.db import get_session, utcnow
    from hub.federation import identity
    from hub.models import AuditEntry, Location, OpeningTime, Person, User

    write_config(
        root,
        {
            "INSTANCE_NAME": "Benchmark Hub",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "DATABASE_URL": database_url or f"sqlite:///{root / 'hub.sqlite3'}",
            "PLUGINS": list(plugins),
        },
    )
    identity.ensure_keypair(root)
    app = create_app(instance_path=root)
    migrate.upgrade(app)
    now = utcnow()
    with app.app_context():
        session = get_session()
        admin = User(email=ADMIN_EMAIL, role="admin", password_hash=auth.hash_password(password))
        session.add(admin)
        session.flush()
        token = auth.create_token(admin, "benchmark")
        for number in range(20):
            location = Location(name=f"Hall {number:02d}", address=f"{number} High Street")
            location.opening_times = [
                OpeningTime(weekday=day, opens=dt.time(10), closes=dt.time(13)) for day in (1, 3, 5)
            ]
            session.add(location)
        session.commit()
        # Bulk rows straight into the tables: these are what is being read.
        session.execute(
            insert(Person),
            [
                {
                    "name": f"Person {n:05d} {SURNAMES[n % len(SURNAMES)]}",
                    "email": f"person{n}@example.net",
                    "consent_given": n % 3 == 0,
                    "consent_purpose": "appointments" if n % 3 == 0 else "",
                    "retention_until": dt.date.today() + dt.timedelta(days=n % 900),
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(people)
            ],
        )
        session.execute(
            insert(AuditEntry),
            [
                {
                    "at": now - dt.timedelta(minutes=20 * n),
                    "user_id": None,
                    "actor": "system",
                    "action": "update",
                    "entity": ("person", "location", "user")[n % 3],
                    "entity_id": str(n % max(people, 1) + 1),
                    "changes": {"name": "(personal data)"},
                }
                for n in range(audit)
            ],
        )
        session.commit()
    return app, token
