"""Helpers for the web shell's tests: signed-in clients and form posts with CSRF tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from hub import auth
from hub.db import get_session
from hub.models import AuditEntry, Location, OpeningTime, Person, User
from hub.testing import Account, csrf_token, login, submit_form


class Browser:
    """A test client signed in as one account, posting forms as a browser would."""

    def __init__(self, client: FlaskClient, account: Account | None) -> None:
        self.client = client
        self.account = account

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def token(self) -> str:
        # The token belongs to the session, so any page carries the right one.
        page = "/account/" if self.account else "/login"
        return csrf_token(self.client.get(page).get_data(as_text=True))

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token()}, **kwargs)

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """Open the form at ``url`` and send it, as a browser does: to the address its
        page ends at (a create form's carries its one-time token), with its hidden inputs."""
        return submit_form(self.client, url, data or {}, **kwargs)

    def post_without_token(self, url: str, data: dict[str, Any] | None = None) -> TestResponse:
        return self.client.post(url, data=data or {})


PRODUCTION_HASHER = auth._hasher


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Still argon2id, with the smallest costs: these tests sign in hundreds of
    # times and are about the pages, not about the hash's strength.
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


@pytest.fixture
def production_hasher() -> PasswordHasher:
    """The hasher the hub uses outside these tests."""
    return PRODUCTION_HASHER


@pytest.fixture
def as_role(app: Flask, accounts: dict[str, Account]) -> Callable[[str], Browser]:
    """``as_role("volunteer")``: a fresh client signed in with that role."""

    def sign_in(role: str) -> Browser:
        client = app.test_client()
        login(client, accounts[role])
        return Browser(client, accounts[role])

    return sign_in


@dataclass
class Records:
    person_id: int
    location_id: int
    user_id: int


@pytest.fixture
def records(app: Flask, accounts: dict[str, Account]) -> Records:
    """A person, a location with opening times, and a spare user to act on."""
    with app.app_context():
        session = get_session()
        person = Person(
            name="Ceri Jenkins",
            email="ceri@example.net",
            phone="029 2000 0000",
            consent_given=True,
            consent_purpose="food bank appointments",
            consent_at=dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC),
            retention_until=dt.date.today() + dt.timedelta(days=365),
        )
        location = Location(name="St Mary's Church Hall", address="12 Church Street")
        location.opening_times.append(OpeningTime(weekday=1, opens=dt.time(10), closes=dt.time(13)))
        spare = User(
            email="helper@example.org",
            name="Helper",
            role="volunteer",
            password_hash=auth.hash_password("helper password 1"),
        )
        session.add_all([person, location, spare])
        session.commit()
        return Records(person.id, location.id, spare.id)


def audit_count(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.fixture
def audit_entries(app: Flask) -> Callable[[], int]:
    """How many audit entries there are now: every change to a record adds one."""
    return lambda: audit_count(app)
