"""The audit log over the API: who did what, filters, and no personal values."""

from __future__ import annotations

import datetime as dt
import json


def test_changes_are_attributed_and_filtered(client, accounts):
    coordinator = accounts["coordinator"]
    person = client.post(
        "/api/v1/people",
        json={"name": "Gethin Lloyd", "phone": "07700 900456"},
        headers=coordinator.headers,
    ).json
    client.patch(
        f"/api/v1/people/{person['id']}",
        json={"name": "Gethin Ll.", "consent_given": True},
        headers=coordinator.headers,
    )
    client.post("/api/v1/locations", json={"name": "Hall"}, headers=accounts["admin"].headers)
    headers = accounts["admin"].headers

    entries = client.get(
        f"/api/v1/audit?entity=person&entity_id={person['id']}", headers=headers
    ).json["items"]
    assert [e["action"] for e in entries] == ["update", "create"]
    update, create = entries
    assert update["user_id"] == coordinator.id
    assert update["actor"] == "coordinator@example.org (api)"
    assert update["changes"]["name"] == "(personal data)"
    assert update["changes"]["consent_given"] is True
    assert create["changes"]["phone"] == "(personal data)"

    by_admin = client.get(f"/api/v1/audit?user_id={accounts['admin'].id}", headers=headers).json
    assert {e["entity"] for e in by_admin["items"]} == {"location"}

    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert client.get(f"/api/v1/audit?since={future}", headers=headers).json["total"] == 0
    everything = client.get(f"/api/v1/audit?until={future}&per_page=1", headers=headers).json
    assert everything["total"] >= 3
    assert len(everything["items"]) == 1
    # A zone may be given; "+" must be escaped in a query string.
    zoned = client.get("/api/v1/audit?since=2020-01-01T00:00:00%2B01:00", headers=headers)
    assert zoned.json["total"] == everything["total"]


def test_the_log_never_holds_personal_values(client, accounts):
    secrets = {"name": "Zebedee Quartermaine", "email": "zq@example.org", "phone": "07700 900999"}
    coordinator = accounts["coordinator"].headers
    person = client.post(
        "/api/v1/people", json={**secrets, "notes": "Allergic to nuts"}, headers=coordinator
    ).json
    client.patch(
        f"/api/v1/people/{person['id']}", json={"notes": "Moved to Cardiff"}, headers=coordinator
    )
    client.get(f"/api/v1/people/{person['id']}/export", headers=accounts["admin"].headers)
    client.post(f"/api/v1/people/{person['id']}/erase", headers=accounts["admin"].headers)
    log = client.get("/api/v1/audit?per_page=200", headers=accounts["admin"].headers).json
    actions = {e["action"] for e in log["items"] if e["entity"] == "person"}
    assert actions == {"create", "update", "export", "erase"}
    text = json.dumps(log)
    for value in [*secrets.values(), "Allergic", "Cardiff"]:
        assert value not in text


def test_bad_filters_and_roles(client, accounts):
    headers = accounts["admin"].headers
    for query, field in [
        ("since=yesterday", "since"),
        ("until=2025-13-01T00:00:00", "until"),
        ("user_id=abc", "user_id"),
        ("page=0", "page"),
        ("colour=red", "colour"),
    ]:
        response = client.get(f"/api/v1/audit?{query}", headers=headers)
        assert response.status_code == 422, (query, response.json)
        assert field in response.json["details"]
    for role in ("coordinator", "volunteer", "viewer"):
        assert client.get("/api/v1/audit", headers=accounts[role].headers).status_code == 403
