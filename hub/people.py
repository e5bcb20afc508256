"""Personal data duties: subject access, erasure, retention.

The core registry of people is the one place personal data about a person is
indexed; each plugin reports and erases what it links to a person through the
``hub_person_data`` and ``hub_erase_person`` hooks. Erasure blanks personal
fields and keeps the anonymous records, so published figures do not change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.db import utcnow
from hub.models import Person
from hub.plugin_manager import PluginManager

ERASED_NAME = "(erased)"


def export(session: Session, plugins: PluginManager, person: Person) -> dict[str, Any]:
    """Everything this instance holds about ``person``, ready for JSON."""
    core = {
        column.key: _jsonable(getattr(person, column.key))
        for column in Person.__table__.columns  # type: ignore[attr-defined]
    }
    held = {
        name: data
        for name, data in plugins.call("hub_person_data", session=session, person=person).values
        if data
    }
    audit.record(session, "export", "person", person.id)
    return {
        "exported_at": utcnow().isoformat(),
        "person": core,
        "plugins": held,
    }


def erase(session: Session, plugins: PluginManager, person: Person) -> dict[str, int]:
    """Erase ``person`` everywhere: every plugin first, then the core record."""
    touched = {
        name: count
        for name, count in plugins.call("hub_erase_person", session=session, person=person).values
    }
    person.name = ERASED_NAME
    person.email = None
    person.phone = None
    person.notes = ""
    person.consent_given = False
    person.consent_purpose = ""
    person.anonymised_at = utcnow()
    audit.record(session, "erase", "person", person.id, plugins=touched)
    return touched


def apply_retention(session: Session, plugins: PluginManager, today: dt.date) -> dict[str, int]:
    """Erase people whose retention date has passed; then each plugin's own data."""
    due = session.scalars(
        select(Person).where(Person.retention_until < today, Person.anonymised_at.is_(None))
    ).all()
    for person in due:
        erase(session, plugins, person)
    counts = {"people": len(due)}
    for name, count in plugins.call("hub_apply_retention", session=session, today=today).values:
        counts[name] = count
    return counts


def default_retention(today: dt.date, days: int) -> dt.date:
    return today + dt.timedelta(days=days)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
