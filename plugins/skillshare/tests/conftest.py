"""Shared set-up for the time bank's tests: members with their own sign-in, made through
the API as a coordinator would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from hub.testing import create_account

API = "/api/v1/skillshare"


@dataclass
class TestMember:
    id: int
    account: int
    headers: dict[str, str]
    email: str
    password: str


@pytest.fixture
def make_member(app, client, accounts):
    """``make_member(name, offline=False, debit=None, credit=None)``: an active member; one
    who is online signs in with a volunteer account of their own."""
    made = 0

    def factory(name: str, *, offline: bool = False, debit=None, credit=None) -> TestMember:
        nonlocal made
        made += 1
        user = create_account(app, "volunteer", f"member{made}@example.org")
        body = {"name": name, "area": "Northside", "offline": offline}
        if not offline:
            body["user"] = user.id
        response = client.post(f"{API}/members", json=body, headers=accounts["coordinator"].headers)
        assert response.status_code == 201, response.json
        member = response.json
        if debit is not None or credit is not None:
            limits = {"debit_limit": debit, "credit_limit": credit}
            patched = client.patch(
                f"{API}/members/{member['id']}",
                json=limits,
                headers=accounts["coordinator"].headers,
            )
            assert patched.status_code == 200, patched.json
        return TestMember(member["id"], member["account"], user.headers, user.email, user.password)

    return factory


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` (each making one request with its own client) at the same moment."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int, call: Callable[[], Any]) -> None:
        start.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def at_once() -> Callable[[list[Callable[[], Any]]], list[Any]]:
    """``at_once([call, ...])``: the calls' results, made from threads released together."""
    return run_at_once
