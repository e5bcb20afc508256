"""Schemathesis over every operation of the OpenAPI document, signed in and not: the
document is the API's contract, and every check schemathesis has holds on it.

The run is bounded (a few examples per operation, a fixed seed, derandomised) so it
takes seconds and fails the same way twice. It goes through real HTTP to a live server,
on whatever database the suite uses (``HUB_TEST_DATABASE_URL``).

One rule is added to schemathesis' checks and one is relaxed, for the same reason: a
schema states a value's shape, not the rules that need the database or other fields (a
``household_id`` that exists, a closing time after the opening time, a password hard
to guess). Those answer 422 ``invalid value`` and schemathesis may see them on valid
data; but a valid request refused for its *shape* (a missing field, a wrong type, a
length or a range the document does not state) is a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.engine import Status, events, from_schema

from hub.testing import LiveServer, create_account

# What marshmallow and hub.fields say when a value's shape is wrong: each is a rule the
# OpenAPI document must state, so schemathesis never sends a valid request breaking it.
SHAPE_MESSAGES = re.compile(
    r"Missing data for required field|Unknown field|Field may not be null|Not a valid"
    r"|^Enter a|Length must be|Shorter than|Longer than|Must be (greater|less)"
    r"|must be (one of|from)|use at most|is out of range",
    re.IGNORECASE,
)


# Schemathesis' own list of refusals, and 414: the hub refuses an over-long address
# before reading it.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429"]


def _messages(details: Any) -> list[str]:
    if isinstance(details, dict):
        return [text for value in details.values() for text in _messages(value)]
    if isinstance(details, list):
        return [text for value in details for text in _messages(value)]
    return [str(details)]


@schemathesis.check
def valid_shapes_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request is never refused for a rule about its shape."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    shape = [
        text for text in _messages(response.json().get("details")) if SHAPE_MESSAGES.search(text)
    ]
    if shape:
        raise AssertionError(f"a schema-valid request was refused: {shape}")
    return None


def run_schemathesis(
    base_url: str, headers: dict[str, str], *, examples: int, coverage: bool
) -> tuple[set[str], dict[str, str]]:
    """Run schemathesis' phases with every check against ``base_url``: the operations
    tested, and the failures found (one example each, as a curl command with what came
    back). The coverage phase sends each parameter's boundary and invalid values.
    The stateful phase is left out: it needs links between operations, which the
    document does not declare."""
    config = schemathesis.Config.from_dict(
        {
            "seed": 20261202,
            "cache": {"enabled": False},  # no state between runs, nor files in the tree
            "headers": headers,
            "generation": {"deterministic": True, "database": "none", "max-examples": examples},
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
                },
                "negative_data_rejection": {"expected-statuses": REJECTIONS},
            },
            "phases": {"coverage": {"enabled": coverage}, "stateful": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=config)
    tested: set[str] = set()
    failures: dict[str, str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            failures[f"error: {event.label if hasattr(event, 'label') else ''}"] = repr(event.value)
        if not isinstance(event, events.ScenarioFinished) or event.label is None:
            continue
        tested.add(event.label)
        if event.status != Status.FAILURE:
            continue
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                case = event.recorder.cases[case_id].value
                interaction = event.recorder.interactions.get(case_id)
                answer = interaction.response if interaction else None
                got = "" if answer is None else f" -> {answer.status_code} {answer.content[:300]!r}"
                key = f"{event.label}: {check.name}: {check.failure_info.failure.title}"
                failures.setdefault(key, case.as_curl_command() + got)
    return tested, failures


def operations(app: Flask) -> set[str]:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    return {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    }


@pytest.fixture
def api_server(make_app: Callable[..., Flask]) -> Any:
    app = make_app(name="api")  # every installed plugin
    server = LiveServer(app)
    yield server
    server.stop()


def test_schemathesis_finds_nothing_signed_in(api_server: LiveServer) -> None:
    admin = create_account(api_server.app, "admin")
    tested, failures = run_schemathesis(api_server.url, admin.headers, examples=3, coverage=True)
    assert tested == operations(api_server.app)
    assert not failures, "\n\n".join(f"{k}\n    {v}" for k, v in sorted(failures.items()))


def test_schemathesis_finds_nothing_signed_out(api_server: LiveServer) -> None:
    tested, failures = run_schemathesis(api_server.url, {}, examples=2, coverage=False)
    assert tested == operations(api_server.app)
    assert not failures, "\n\n".join(f"{k}\n    {v}" for k, v in sorted(failures.items()))
