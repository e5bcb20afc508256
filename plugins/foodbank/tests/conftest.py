"""A small food bank to test against: a location, agencies, households, through the API."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.plugin_api import Location, Person, get_session
from hub.testing import Account


class FoodBank:
    """Drives the food bank through its public API as its volunteers and coordinators do."""

    def __init__(self, app: Flask, client: FlaskClient, accounts: dict[str, Account]) -> None:
        self.app = app
        self.client = client
        self.accounts = accounts
        self.location_id = self.add_location("St Mary's Church Hall")

    def add_location(self, name: str) -> int:
        with self.app.app_context():
            session = get_session()
            location = Location(name=name, postcode="CF11 6AA")
            session.add(location)
            session.commit()
            return location.id

    def add_person(self, name: str, consent: bool = True) -> int:
        with self.app.app_context():
            session = get_session()
            person = Person(name=name, consent_given=consent, consent_purpose="Food bank")
            session.add(person)
            session.commit()
            return person.id

    def call(
        self, method: str, path: str, body: Any = None, role: str = "coordinator", **headers: str
    ) -> Any:
        all_headers = {**self.accounts[role].headers, **headers}
        return self.client.open(
            f"/api/v1/foodbank{path}", method=method, json=body, headers=all_headers
        )

    def ok(
        self, method: str, path: str, body: Any = None, role: str = "coordinator", **headers: str
    ) -> Any:
        response = self.call(method, path, body, role, **headers)
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        return response.json

    def agency(self, name: str = "Citizens Advice Riverside", agency_type: str = "advice") -> dict:
        return self.ok("POST", "/agencies", {"name": name, "agency_type": agency_type})

    def household(self, **fields: Any) -> dict:
        return self.ok("POST", "/households", {"adults": 1, **fields}, role="volunteer")

    def voucher(self, household_id: int, agency_id: int, reasons: list[str], **fields: Any) -> dict:
        body = {"household_id": household_id, "agency_id": agency_id, "reasons": reasons, **fields}
        return self.ok("POST", "/vouchers", body, role="volunteer")

    def parcel(self, key: str | None = None, **fields: Any) -> dict:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        body = {"location_id": self.location_id, **fields}
        return self.ok("POST", "/parcels", body, role="volunteer", **headers)

    def donation(self, received_on: dt.date, donor_type: str, lines: list[dict]) -> dict:
        body = {"received_on": received_on.isoformat(), "donor_type": donor_type, "lines": lines}
        return self.ok("POST", "/donations", body, role="volunteer")


@pytest.fixture
def fb(app: Flask, client: FlaskClient, accounts: dict[str, Account]) -> FoodBank:
    return FoodBank(app, client, accounts)


def metrics_json(runner: Any, period: str) -> dict[str, Any]:
    result = runner.invoke("metrics", "--plugin", "foodbank", "--period", period, "--json")
    assert result.exit_code == 0, result.output
    (figures,) = json.loads(result.output)
    return figures["metrics"]


@pytest.fixture
def published(runner: Any) -> Any:
    """``published("2025-03")``: the figures ``hub metrics`` would publish for a period."""
    return lambda period: metrics_json(runner, period)
