"""Subject access, erasure and retention across the core and a plugin (``testvisits``)."""

from __future__ import annotations

import json

import pytest

from hub.testing import HubRunner, create_account

VISIT_DAYS = ["2025-03-03", "2025-03-04", "2025-03-11", "2025-03-18", "2025-03-25"]


@pytest.fixture
def registry(visits_client, visits_accounts):
    """Seven people, each with visits in March 2025; the first has notes."""
    coordinator = visits_accounts["coordinator"].headers
    people = []
    for number in range(7):
        person = visits_client.post(
            "/api/v1/people",
            json={
                "name": f"Visitor {number}",
                "email": f"visitor{number}@example.org",
                "retention_until": "2025-06-30" if number == 6 else "2030-01-01",
            },
            headers=coordinator,
        ).json
        for day in VISIT_DAYS[: number % 3 + 1]:
            logged = visits_client.post(
                "/api/v1/testvisits/visits",
                json={"person_id": person["id"], "day": day, "note": f"note for {number}"},
                headers=coordinator,
            )
            assert logged.status_code == 201, logged.json
        people.append(person)
    return people


def published(client, accounts):
    response = client.get("/api/v1/metrics?plugin=testvisits", headers=accounts["viewer"].headers)
    assert response.status_code == 200, response.json
    return response.json


def test_export_holds_core_and_plugin_data(visits_client, visits_accounts, registry):
    person = registry[0]
    response = visits_client.get(
        f"/api/v1/people/{person['id']}/export", headers=visits_accounts["admin"].headers
    )
    assert response.status_code == 200, response.json
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="person-{person["id"]}.json"'
    )
    data = response.json
    assert data["person"]["name"] == "Visitor 0"
    assert data["person"]["email"] == "visitor0@example.org"
    assert data["plugins"] == {
        "testvisits": {"visits": [{"day": "2025-03-03", "note": "note for 0"}]}
    }


def test_erasure_reaches_every_plugin_and_figures_survive(visits_client, visits_accounts, registry):
    admin = visits_accounts["admin"].headers
    before = published(visits_client, visits_accounts)
    march = next(f for f in before if f["period"] == "2025-03")
    # 13 visits by 7 people; a count of people is published rounded to the nearest 5.
    assert march["metrics"] == {"visits": 13, "visitors": 5}
    visits_before = visits_client.get("/api/v1/testvisits/visits", headers=admin).json["total"]
    person = registry[2]

    erased = visits_client.post(f"/api/v1/people/{person['id']}/erase", headers=admin)
    assert erased.status_code == 200, erased.json
    assert erased.json["plugins"] == {"testvisits": 3}

    data = visits_client.get(f"/api/v1/people/{person['id']}/export", headers=admin).json
    assert data["person"]["name"] == "(erased)"
    assert data["person"]["email"] is None
    assert data["person"]["anonymised_at"] is not None
    assert data["plugins"] == {}
    assert published(visits_client, visits_accounts) == before
    visits = visits_client.get("/api/v1/testvisits/visits?per_page=200", headers=admin).json
    assert visits["total"] == visits_before
    assert "note for 2" not in json.dumps(visits)

    again = visits_client.post(f"/api/v1/people/{person['id']}/erase", headers=admin)
    assert again.status_code == 409
    change = visits_client.patch(
        f"/api/v1/people/{person['id']}", json={"name": "Back"}, headers=admin
    )
    assert change.status_code == 409


def test_cli_export_and_erase(visits_runner, visits_client, visits_accounts, registry, tmp_path):
    person = registry[1]
    result = visits_runner.invoke("person", "export", str(person["id"]))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["person"]["name"] == "Visitor 1"
    assert len(data["plugins"]["testvisits"]["visits"]) == 2
    target = tmp_path / "subject-access.json"
    visits_runner.invoke("person", "export", str(person["id"]), "--output", str(target))
    assert json.loads(target.read_text())["person"]["id"] == person["id"]

    refused = visits_runner.invoke("person", "erase", str(person["id"]), input="n\n")
    assert refused.exit_code == 1
    result = visits_runner.invoke("person", "erase", str(person["id"]), "--yes")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Erased person {person['id']} (testvisits: 2)"
    log = visits_client.get(
        f"/api/v1/audit?entity=person&entity_id={person['id']}&action=erase",
        headers=visits_accounts["admin"].headers,
    ).json["items"]
    assert [(e["actor"], e["user_id"], e["changes"]) for e in log] == [
        ("cli (visits)", None, {"plugins": {"testvisits": 2}})
    ]
    again = visits_runner.invoke("person", "erase", str(person["id"]), "--yes")
    assert again.exit_code == 1
    assert again.output.strip() == f"Error: person {person['id']} was already erased"
    unknown = visits_runner.invoke("person", "export", "9999")
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "Error: no person with id 9999"


def test_retention_anonymises_people_past_their_date(
    visits_runner, visits_client, visits_accounts, registry
):
    admin = visits_accounts["admin"].headers
    before = published(visits_client, visits_accounts)
    result = visits_runner.invoke("retention", "--today", "2025-07-01")
    assert result.exit_code == 0, result.output
    # Visitor 6's note went with the erasure; the other notes are within note_days.
    assert result.output.strip() == "Anonymised: people 1, testvisits 0\nDeleted: form tokens 0"
    erased = visits_client.get("/api/v1/people?erased=true", headers=admin).json["items"]
    assert [p["id"] for p in erased] == [registry[6]["id"]]
    data = visits_client.get(f"/api/v1/people/{registry[6]['id']}/export", headers=admin).json
    assert data["plugins"] == {}
    assert published(visits_client, visits_accounts) == before
    assert visits_runner.invoke("retention", "--today", "2025-07-01").output.strip() == (
        "Anonymised: people 0, testvisits 0\nDeleted: form tokens 0"
    )
    # A year on, the plugin's own rule blanks the notes of every remaining visit.
    later = visits_runner.invoke("retention", "--today", "2026-03-20")
    assert later.output.strip() == "Anonymised: people 0, testvisits 12\nDeleted: form tokens 0"
    visits = visits_client.get("/api/v1/testvisits/visits?per_page=200", headers=admin).json
    assert {v["note"] for v in visits["items"]} == {""}
    assert published(visits_client, visits_accounts) == before


def test_plugin_settings_come_from_the_instance_config(testvisits_installed, make_app):
    app = make_app(name="short-notes", plugins=["testvisits"], testvisits={"note_days": 30})
    runner = HubRunner(app)
    client = app.test_client()
    coordinator = create_account(app, "coordinator").headers
    client.post(
        "/api/v1/testvisits/visits",
        json={"person_id": None, "day": "2025-03-03", "note": "Brought a friend"},
        headers=coordinator,
    )
    result = runner.invoke("retention", "--today", "2025-04-10")
    assert result.output.strip() == "Anonymised: people 0, testvisits 1\nDeleted: form tokens 0"
    assert runner.invoke("retention", "--today", "2025-04-01").output.strip() == (
        "Anonymised: people 0, testvisits 0\nDeleted: form tokens 0"
    )
    bad = runner.invoke("retention", "--today", "July")
    assert bad.exit_code == 2
