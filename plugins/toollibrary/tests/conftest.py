"""A small tool library to test against: a location with opening days, membership types,
members and items, made through the API as its volunteers and coordinators do."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.testing import Account, create_account

# A Wednesday: the library opens Wednesdays and Saturdays.
WEDNESDAY = dt.date(2025, 3, 12)


class Library:
    """Drives the tool library through its public API."""

    def __init__(self, app: Flask, client: FlaskClient, accounts: dict[str, Account]) -> None:
        self.app = app
        self.client = client
        self.accounts = accounts
        self.location_id = self.add_location("Tool Shed, Splott Road", weekdays=(2, 5))
        self.standard = self.ok(
            "POST",
            "/membership-types",
            {
                "name": "Standard",
                "fee_pence": 2500,
                "borrowing_limit": 2,
                "loan_days": 7,
                "renewal_limit": 1,
            },
        )

    def add_location(self, name: str, weekdays: tuple[int, ...] = ()) -> int:
        times = [{"weekday": day, "opens": "10:00", "closes": "13:00"} for day in weekdays]
        response = self.client.post(
            "/api/v1/locations",
            json={"name": name, "opening_times": times},
            headers=self.accounts["admin"].headers,
        )
        assert response.status_code == 201, response.json
        return response.json["id"]

    def call(
        self, method: str, path: str, body: Any = None, role: str = "coordinator", **headers: str
    ) -> Any:
        return self.client.open(
            f"/api/v1/toollibrary{path}",
            method=method,
            json=body,
            headers={**self.accounts[role].headers, **headers},
        )

    def ok(
        self, method: str, path: str, body: Any = None, role: str = "coordinator", **headers: str
    ) -> Any:
        response = self.call(method, path, body, role, **headers)
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        return response.json

    def item(self, name: str = "Cordless drill", category: str = "drills", **fields: Any) -> dict:
        body = {"name": name, "category": category, "location_id": self.location_id, **fields}
        return self.ok("POST", "/items", body)

    def member(
        self,
        name: str = "Ann Jones",
        approve: bool = True,
        type_id: int | None = None,
        **fields: Any,
    ) -> dict:
        body = {
            "membership_type_id": type_id or self.standard["id"],
            "name": name,
            "email": f"{name.lower().replace(' ', '.')}@example.org",
            "agreement_accepted": True,
            **fields,
        }
        body = {key: value for key, value in body.items() if value is not None}  # email=None
        member = self.ok("POST", "/members", body, role="volunteer")
        if approve:
            member = self.ok("POST", f"/members/{member['id']}/status", {"status": "approved"})
        return member

    def check_out(self, item: dict, member: dict, role: str = "volunteer", **fields: Any) -> Any:
        body = {"item_number": item["number"], "member_code": member["code"], **fields}
        return self.call("POST", "/loans", body, role, **{"Idempotency-Key": uuid.uuid4().hex})

    def lend(self, item: dict, member: dict, **fields: Any) -> dict:
        response = self.check_out(item, member, **fields)
        assert response.status_code == 201, response.json
        return response.json

    def give_back(
        self, loan: dict, condition: str = "good", role: str = "volunteer", **fields: Any
    ) -> dict:
        return self.ok(
            "POST", f"/loans/{loan['id']}/return", {"condition": condition, **fields}, role=role
        )


@pytest.fixture
def make_library(clock: Any) -> Any:
    """``make_library(app)``: a library on another app (one with settings of its own)."""

    def make(app: Flask) -> Library:
        roles = ("admin", "coordinator", "volunteer", "viewer")
        accounts = {role: create_account(app, role) for role in roles}
        clock.set(WEDNESDAY)
        return Library(app, app.test_client(), accounts)

    return make


@pytest.fixture
def library(app: Flask, client: FlaskClient, accounts: dict[str, Account], clock: Any) -> Library:
    clock.set(WEDNESDAY)
    return Library(app, client, accounts)


@pytest.fixture
def published(runner: Any) -> Any:
    """``published("2025-W11")``: the figures ``hub metrics`` would publish for a period."""

    def figures(period: str) -> dict[str, Any]:
        result = runner.invoke("metrics", "--plugin", "toollibrary", "--period", period, "--json")
        assert result.exit_code == 0, result.output
        (summary,) = json.loads(result.output)
        return summary["metrics"]

    return figures
