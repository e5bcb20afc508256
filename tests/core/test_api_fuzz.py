"""A small fuzz walk over every operation in /api/v1/openapi.json, the installed
plugins' included: garbage bodies, parameters and media types never get a 5xx,
and every error is the JSON envelope."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from hub.testing import create_account

GARBAGE_VALUES: list[Any] = [
    None,
    True,
    -1,
    2**31,
    2**70,
    1.5,
    "",
    "x" * 5000,
    "nul\x00byte",
    "2025-13-45",
    [1, "two"],
    {"nested": {"deep": []}},
]
GARBAGE_PARAMS = ["", "-1", "0", "99999999999999999999999", "nul\x00", "2025-02-30", "%", "true"]
GARBAGE_BODIES: list[tuple[bytes, str]] = [
    (b"{not json", "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"text"', "application/json"),
    (b"1e999", "application/json"),
    (b"[" * 5000, "application/json"),
    (b"name=x", "application/x-www-form-urlencoded"),
    (b"<x/>", "text/xml"),
    (b"", "application/json"),
]
PATH_IDS = [1, 2**63, 2**70]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def plausible(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value of the declared type, so that the walk reaches past validation."""
    schema = resolve(document, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: plausible(document, prop)
            for name, prop in properties.items()
            if not resolve(document, prop).get("readOnly")
        }
    if kind == "array":
        return [plausible(document, schema.get("items", {}))]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    return {
        "email": "fuzz@example.org",
        "date": "2025-03-03",
        "date-time": "2025-03-03T10:00:00",
        "time": "10:00:00",
    }.get(schema.get("format", ""), "Fuzz")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    found = [
        (path, method, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    ]
    # Destructive operations last, so the others find records to work on.
    yield from sorted(found, key=lambda item: (item[1] == "delete", "erase" in item[0]))


def check(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.get_data(as_text=True)[:300]}"
    if response.status_code >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict) and body.get("error"), f"{what}: not a JSON error"


def test_no_operation_answers_5xx(visits_app, visits_client, visits_accounts):
    client = visits_client
    document = client.get("/api/v1/openapi.json").json
    headers = create_account(visits_app, "admin", "fuzzer@example.org").headers
    coordinator = visits_accounts["coordinator"].headers
    client.post("/api/v1/people", json={"name": "Seed Person"}, headers=coordinator)
    client.post(
        "/api/v1/locations",
        json={
            "name": "Seed Hall",
            "opening_times": [{"weekday": 0, "opens": "10:00", "closes": "12:00"}],
        },
        headers=coordinator,
    )
    walked = 0
    for path, method, op in operations(document):
        call = getattr(client, method)
        concrete_paths = [re.sub(r"\{[^}]+\}", str(value), path) for value in PATH_IDS]
        query_names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        body_schema = op.get("requestBody", {}).get("content", {}).get("application/json")
        for url in concrete_paths:
            check(call(url), f"{method} {url} without a token")
            check(call(url, headers=headers), f"{method} {url} without a body")
        url = concrete_paths[0]
        for name in query_names:
            for value in GARBAGE_PARAMS:
                check(
                    call(url, query_string={name: value}, headers=headers),
                    f"{method} {url} ?{name}={value!r}",
                )
        if body_schema is None:
            walked += 1
            continue
        base = plausible(document, body_schema["schema"])
        check(call(url, json=base, headers=headers), f"{method} {url} plausible {base}")
        for data, content_type in GARBAGE_BODIES:
            response = call(url, data=data, content_type=content_type, headers=headers)
            check(response, f"{method} {url} body {data[:20]!r} as {content_type}")
        for field in base:
            for value in GARBAGE_VALUES:
                body = {**base, field: value}
                check(
                    call(url, json=body, headers=headers), f"{method} {url} {field}={value!r:.40}"
                )
        check(
            call(url, json={**base, "unknown_field": 1}, headers=headers), f"{method} {url} unknown"
        )
        walked += 1
    assert walked == sum(len(methods) for methods in document["paths"].values())
    assert walked >= 20
    json.dumps(document)
