"""The repair café API: events and records CRUD, filters, pagination, errors, permissions."""

from __future__ import annotations

import csv
import io
import json

import pytest

from hub.plugin_api import Location, get_session
from hub.testing import HubRunner, login

BASE = "/api/v1/repaircafe"


@pytest.fixture
def venue(app) -> int:
    with app.app_context():
        session = get_session()
        location = Location(
            name="St Mary's Church Hall", address="12 Church Street", postcode="CF11 6AA"
        )
        session.add(location)
        session.commit()
        return location.id


def make_event(client, accounts, **values):
    body = {"date": "2025-03-08", "title": "March Repair Café", **values}
    response = client.post(f"{BASE}/events", json=body, headers=accounts["coordinator"].headers)
    assert response.status_code == 201, response.json
    return response.json


def log(client, account, event_id, **values):
    body = {"event_id": event_id, "product_category_id": 14, "status": "fixed", **values}
    return client.post(f"{BASE}/records", json=body, headers=account.headers)


def test_event_crud(client, accounts, venue):
    event = make_event(
        client,
        accounts,
        starts_at="10:00",
        ends_at="13:00",
        location_id=venue,
        fixers_present=8,
        visitors=31,
    )
    assert event["location_name"] == "St Mary's Church Hall"
    assert event["starts_at"] == "10:00:00" and event["fixers_present"] == 8

    path = f"{BASE}/events/{event['id']}"
    changed = client.patch(path, json={"visitors": 35}, headers=accounts["coordinator"].headers)
    assert changed.status_code == 200 and changed.json["visitors"] == 35
    assert changed.json["fixers_present"] == 8

    viewer = client.get(path, headers=accounts["viewer"].headers)
    assert viewer.status_code == 200 and viewer.json["visitors"] == 35

    assert client.delete(path, headers=accounts["coordinator"].headers).status_code == 204
    assert client.get(path, headers=accounts["viewer"].headers).status_code == 404


def test_event_validation_names_the_field(client, accounts):
    headers = accounts["coordinator"].headers
    late = client.post(
        f"{BASE}/events",
        json={"date": "2025-03-08", "starts_at": "13:00", "ends_at": "10:00"},
        headers=headers,
    )
    assert late.status_code == 422 and "ends_at" in late.json["details"]
    nowhere = client.post(
        f"{BASE}/events", json={"date": "2025-03-08", "location_id": 999}, headers=headers
    )
    assert nowhere.status_code == 422 and "location_id" in nowhere.json["details"]
    no_date = client.post(f"{BASE}/events", json={"title": "x"}, headers=headers)
    assert no_date.status_code == 422 and "date" in no_date.json["details"]
    unknown = client.post(
        f"{BASE}/events", json={"date": "2025-03-08", "colour": "red"}, headers=headers
    )
    assert unknown.status_code == 422 and "colour" in unknown.json["details"]


def test_roles(client, accounts):
    event = make_event(client, accounts)
    assert (
        client.post(
            f"{BASE}/events", json={"date": "2025-04-01"}, headers=accounts["volunteer"].headers
        ).status_code
        == 403
    )
    assert log(client, accounts["viewer"], event["id"]).status_code == 403
    logged = log(client, accounts["volunteer"], event["id"])
    assert logged.status_code == 201
    assert logged.json["fixer_id"] == accounts["volunteer"].id
    record = f"{BASE}/records/{logged.json['id']}"
    assert (
        client.patch(
            record, json={"brand": "Bosch"}, headers=accounts["volunteer"].headers
        ).status_code
        == 403
    )
    assert (
        client.delete(
            record, query_string={"reason": "a test"}, headers=accounts["viewer"].headers
        ).status_code
        == 403
    )
    assert client.get(record).status_code == 401


def test_record_crud_and_barrier_rules(client, accounts):
    event = make_event(client, accounts)
    volunteer, coordinator = accounts["volunteer"], accounts["coordinator"]
    created = log(
        client,
        volunteer,
        event["id"],
        product_category_id=34,
        status="end_of_life",
        barrier="spare-parts-not-available",
        brand="Dyson",
        problem="Motor burnt out",
        weight_g=5200,
        parts_needed="Motor",
        advice="Check the filter monthly",
        product_age=11.5,
    )
    assert created.status_code == 201, created.json
    assert created.json["product_category"] == "Vacuum"
    assert created.json["barrier"] == "spare-parts-not-available"

    wrong = log(client, volunteer, event["id"], status="fixed", barrier="lack-of-equipment")
    assert wrong.status_code == 422 and "barrier" in wrong.json["details"]
    bad_category = log(client, volunteer, event["id"], product_category_id=41)
    assert bad_category.status_code == 422 and "product_category_id" in bad_category.json["details"]
    bad_status = log(client, volunteer, event["id"], status="broken")
    assert bad_status.status_code == 422 and "status" in bad_status.json["details"]
    no_event = log(client, volunteer, 9999)
    assert no_event.status_code == 422 and "event_id" in no_event.json["details"]

    path = f"{BASE}/records/{created.json['id']}"
    repaired = client.patch(
        path, json={"status": "fixed", "reason": "fixed after all"}, headers=coordinator.headers
    )
    assert repaired.status_code == 200
    assert repaired.json["status"] == "fixed" and repaired.json["barrier"] is None
    assert repaired.json["brand"] == "Dyson"
    barrier_on_fixed = client.patch(
        path, json={"barrier": "lack-of-equipment", "reason": "typo"}, headers=coordinator.headers
    )
    assert barrier_on_fixed.status_code == 422 and "barrier" in barrier_on_fixed.json["details"]
    no_barrier = client.patch(
        path, json={"status": "end_of_life", "reason": "typo"}, headers=coordinator.headers
    )
    assert no_barrier.status_code == 422 and "barrier" in no_barrier.json["details"]


def test_record_filters_and_pagination(client, accounts):
    march = make_event(client, accounts)
    april = make_event(client, accounts, date="2025-04-12", title="April Repair Café")
    volunteer = accounts["volunteer"]
    for _ in range(3):
        log(client, volunteer, march["id"], product_category_id=14, brand="Kenwood")
    log(
        client,
        volunteer,
        march["id"],
        product_category_id=15,
        status="repairable",
        problem="Loose wire in plug",
    )
    log(
        client,
        volunteer,
        april["id"],
        product_category_id=14,
        status="end_of_life",
        barrier="too-worn-out",
        brand="kenwood",
    )
    headers = accounts["viewer"].headers

    def ids(**query):
        response = client.get(f"{BASE}/records", query_string=query, headers=headers)
        assert response.status_code == 200, response.json
        return response.json

    assert ids(event_id=march["id"])["total"] == 4
    assert ids(category=14)["total"] == 4
    assert ids(status="repairable")["total"] == 1
    assert ids(barrier="too-worn-out")["total"] == 1
    assert ids(brand="KENWOOD")["total"] == 4
    assert ids(q="loose plug")["total"] == 1
    assert ids(**{"from": "2025-04-01"})["total"] == 1
    page = ids(per_page=2, page=2)
    assert page["total"] == 5 and page["pages"] == 3 and len(page["items"]) == 2
    bad = client.get(f"{BASE}/records", query_string={"status": "mended"}, headers=headers)
    assert bad.status_code == 422 and "status" in bad.json["details"]

    upcoming = client.get(f"{BASE}/events", query_string={"from": "2025-04-01"}, headers=headers)
    assert [e["title"] for e in upcoming.json["items"]] == ["April Repair Café"]


def test_categories_and_impact_override(client, accounts):
    categories = client.get(f"{BASE}/categories", headers=accounts["viewer"].headers).json
    assert len(categories) == 40
    kettle = next(c for c in categories if c["id"] == 14)
    assert kettle["code"] == "kettle" and not kettle["overridden"]

    body = {"weight_g": 1500, "co2e_g_per_kg": 7000, "source": "Our own scales, 2025"}
    path = f"{BASE}/categories/14/impact"
    assert client.put(path, json=body, headers=accounts["coordinator"].headers).status_code == 403
    changed = client.put(path, json=body, headers=accounts["admin"].headers)
    assert changed.status_code == 200
    assert changed.json["weight_g"] == 1500 and changed.json["overridden"]
    assert (
        client.put(
            f"{BASE}/categories/99/impact", json=body, headers=accounts["admin"].headers
        ).status_code
        == 404
    )


def test_openapi_lists_the_operations(client):
    document = client.get("/api/v1/openapi.json").json
    paths = document["paths"]
    for path in (
        "/api/v1/repaircafe/events",
        "/api/v1/repaircafe/records",
        "/api/v1/repaircafe/categories",
    ):
        assert path in paths
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/repaircafe/records/{record_id}"])


def test_a_fixers_repairs_are_in_their_export_and_unlinked_when_they_are_erased(
    client, accounts, runner
):
    event = make_event(client, accounts)
    for status in ("fixed", "repairable"):
        assert log(client, accounts["volunteer"], event["id"], status=status).status_code == 201
    admin = accounts["admin"].headers
    volunteer_id = accounts["volunteer"].id
    before = runner.invoke("metrics", "--plugin", "repaircafe", "--period", "2025-03", "--json")
    exported = client.get(f"/api/v1/users/{volunteer_id}/export", headers=admin).json
    fixed = exported["plugins"]["repaircafe"]["repairs_fixed"]
    assert [(r["date"], r["status"]) for r in fixed] == [
        ("2025-03-08", "fixed"),
        ("2025-03-08", "repairable"),
    ]
    erased = client.post(f"/api/v1/users/{volunteer_id}/erase", headers=admin)
    assert erased.status_code == 200, erased.json
    assert erased.json["plugins"] == {"repaircafe": 2}
    records = client.get(f"{BASE}/records", headers=accounts["viewer"].headers).json["items"]
    assert [r["fixer_id"] for r in records] == [None, None]
    after = runner.invoke("metrics", "--plugin", "repaircafe", "--period", "2025-03", "--json")
    assert after.output == before.output


def _audit(client, admin, record_id: int) -> list[dict]:
    found = client.get(
        "/api/v1/audit",
        query_string={"entity": "repaircafe_record", "entity_id": str(record_id)},
        headers=admin.headers,
    )
    assert found.status_code == 200, found.json
    return found.json["items"]


def _march_figures(runner) -> dict:
    shown = runner.invoke("metrics", "--plugin", "repaircafe", "--period", "2025-03", "--json")
    assert shown.exit_code == 0, shown.output
    (summary,) = json.loads(shown.output)
    return summary["metrics"]


def test_a_correction_through_the_api_needs_a_reason_and_is_audited(client, accounts, runner):
    event = make_event(client, accounts)
    coordinator = accounts["coordinator"]
    logged = log(client, accounts["volunteer"], event["id"], status="repairable", weight_g=900)
    path = f"{BASE}/records/{logged.json['id']}"
    assert _march_figures(runner)["items_fixed"] == 0

    no_reason = client.patch(path, json={"status": "fixed"}, headers=coordinator.headers)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["details"]
    too_short = client.patch(
        path, json={"status": "fixed", "reason": "  x "}, headers=coordinator.headers
    )
    assert too_short.status_code == 422 and "reason" in too_short.json["details"]
    assert client.get(path, headers=coordinator.headers).json["status"] == "repairable"

    fixed = client.patch(
        path,
        json={"status": "fixed", "weight_g": 1100, "reason": "outcome ticked wrong"},
        headers=coordinator.headers,
    )
    assert fixed.status_code == 200, fixed.json
    assert fixed.json["status"] == "fixed" and fixed.json["weight_g"] == 1100
    (entry,) = [
        e for e in _audit(client, accounts["admin"], logged.json["id"]) if e["action"] == "correct"
    ]
    assert entry["changes"] == {
        "reason": "outcome ticked wrong",
        "status": ["repairable", "fixed"],
        "weight_g": [900, 1100],
    }
    assert entry["user_id"] == coordinator.id
    assert _march_figures(runner)["items_fixed"] == 1


def test_delete_voids_a_record_which_stays_and_leaves_the_figures(client, accounts, runner):
    event = make_event(client, accounts)
    coordinator = accounts["coordinator"]
    kept = log(client, accounts["volunteer"], event["id"]).json
    twice = log(client, accounts["volunteer"], event["id"]).json
    assert _march_figures(runner)["items_fixed"] == 2
    path = f"{BASE}/records/{twice['id']}"

    no_reason = client.delete(path, headers=coordinator.headers)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["details"]
    voided = client.delete(
        path, query_string={"reason": "logged twice"}, headers=coordinator.headers
    )
    assert voided.status_code == 200, voided.json
    assert voided.json["voided_at"] and voided.json["void_reason"] == "logged twice"
    again = client.delete(
        path, query_string={"reason": "logged twice"}, headers=coordinator.headers
    )
    assert again.status_code == 422 and "reason" in again.json["details"]

    # Kept, marked void, on the API and the event's page; out of the figures.
    shown = client.get(path, headers=accounts["viewer"].headers)
    assert shown.status_code == 200 and shown.json["void_reason"] == "logged twice"
    listed = client.get(f"{BASE}/records", headers=accounts["viewer"].headers).json
    assert {r["id"]: bool(r["voided_at"]) for r in listed["items"]} == {
        kept["id"]: False,
        twice["id"]: True,
    }
    assert _march_figures(runner)["items_fixed"] == 1
    (entry,) = [e for e in _audit(client, accounts["admin"], twice["id"]) if e["action"] == "void"]
    assert entry["changes"] == {"reason": "logged twice"}
    assert entry["user_id"] == coordinator.id and entry["at"]

    # A voided record is not corrected, and its event, holding records, is not deleted.
    late = client.patch(
        path, json={"brand": "Bosch", "reason": "typo"}, headers=coordinator.headers
    )
    assert late.status_code == 422 and "reason" in late.json["details"]
    event_path = f"{BASE}/events/{event['id']}"
    refused = client.delete(event_path, headers=coordinator.headers)
    assert refused.status_code == 409 and "records" in refused.json["details"]
    assert client.get(path, headers=coordinator.headers).status_code == 200

    login(client, accounts["coordinator"])
    page = client.get(f"/repaircafe/events/{event['id']}").get_data(as_text=True)
    assert "logged twice" in page


def test_the_complete_export_keeps_voided_records_marked_and_ords_leaves_them_out(
    client, accounts, runner, make_app, tmp_path
):
    event = make_event(client, accounts)
    kept = log(client, accounts["volunteer"], event["id"], brand="Kenwood").json
    twice = log(client, accounts["volunteer"], event["id"], brand="Kenwood").json
    client.delete(
        f"{BASE}/records/{twice['id']}",
        query_string={"reason": "=logged twice"},
        headers=accounts["coordinator"].headers,
    )

    shared = list(csv.DictReader(io.StringIO(runner.invoke("export", "ords").output)))
    assert [row["id"].rsplit("-", 1)[1] for row in shared] == [str(kept["id"])]
    assert "void" not in shared[0]

    complete = tmp_path / "complete.csv"
    written = runner.invoke("export", "ords-complete", "--output", str(complete))
    assert written.exit_code == 0, written.output
    rows = list(csv.DictReader(io.StringIO(complete.read_text(encoding="utf-8"))))
    assert [(row["void"], row["void_reason"]) for row in rows] == [
        ("", ""),
        ("yes", "'=logged twice"),  # a coordinator's words, formula-safe
    ]

    # Read elsewhere, a voided record is not taken in (it would count), and says so.
    elsewhere = HubRunner(make_app(name="elsewhere", plugins=["repaircafe"]))
    imported = elsewhere.invoke("import", "ords", str(complete), "--json")
    assert imported.output.startswith("{"), imported.output
    report = json.loads(imported.output)
    assert report["created"] == 1
    assert [(p["row"], p["field"]) for p in report["problems"]] == [(2, "void")]
