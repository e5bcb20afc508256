"""The food bank API: referral to parcel, idempotent logging, validation, permissions."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
import uuid

from openapi_spec_validator import validate


def test_voucher_to_parcel(fb):
    agency = fb.agency()
    household = fb.household(
        adults=2, children_0_4=1, children_5_11=2, postcode_district="cf11 6aa", dietary=["halal"]
    )
    # Only the first part of the postcode is kept, whatever was typed.
    assert household["postcode_district"] == "CF11"
    assert household["children"] == 3
    assert household["code"].startswith("H")

    voucher = fb.voucher(household["id"], agency["id"], ["benefit_delays", "debt"])
    assert voucher["status"] == "valid"
    assert voucher["valid_until"] == (dt.date.today() + dt.timedelta(days=14)).isoformat()
    assert voucher["agency_type"] == "advice"

    found = fb.ok("GET", f"/vouchers?code={voucher['code'].lower()}", role="volunteer")
    assert [v["id"] for v in found["items"]] == [voucher["id"]]

    parcel = fb.parcel(voucher_code=voucher["code"], signposting=["debt_advice"])
    # Pre-filled from the household: 2 adults, 3 children; emergency = 4000 g + 3000 g a person.
    assert parcel["household_id"] == household["id"]
    assert (parcel["adults"], parcel["children"]) == (2, 3)
    assert parcel["weight_grams"] == 4000 + 3000 * 5
    assert parcel["parcel_type"] == "emergency"
    assert parcel["signposting"] == ["debt_advice"]
    assert parcel["given_on"] == dt.date.today().isoformat()

    redeemed = fb.ok("GET", f"/vouchers/{voucher['id']}", role="volunteer")
    assert redeemed["status"] == "redeemed"
    assert redeemed["redeemed_on"] == dt.date.today().isoformat()

    again = fb.call(
        "POST",
        "/parcels",
        {"location_id": fb.location_id, "voucher_code": voucher["code"]},
        role="volunteer",
        **{"Idempotency-Key": uuid.uuid4().hex},
    )
    assert again.status_code == 409
    assert "voucher" in again.json["details"]


def test_a_logged_parcel_reads_back_as_answered_and_is_audited(fb):
    agency = fb.agency()
    household = fb.household(adults=1, children_5_11=1)
    voucher = fb.voucher(household["id"], agency["id"], ["low_income"])
    parcel = fb.parcel(voucher_code=voucher["code"], signposting=["energy_support", "debt_advice"])
    # The answer is built without reading the new row back: it must be what was stored.
    assert fb.ok("GET", f"/parcels/{parcel['id']}", role="volunteer") == parcel
    assert parcel["location_name"] == "St Mary's Church Hall"
    assert parcel["voucher_id"] == voucher["id"]
    assert parcel["signposting"] == ["debt_advice", "energy_support"]

    def log(entity: str, entity_id: str) -> list[dict]:
        query = f"/api/v1/audit?entity={entity}&entity_id={entity_id}"
        return fb.client.get(query, headers=fb.accounts["admin"].headers).json["items"]

    volunteer = fb.accounts["volunteer"]
    [created] = log("foodbank_parcel", str(parcel["id"]))
    assert created["action"] == "create"
    assert (created["user_id"], created["actor"]) == (volunteer.id, "volunteer@example.org (api)")
    changes = created["changes"]
    assert changes["id"] == parcel["id"] and changes["weight_grams"] == parcel["weight_grams"]
    assert changes["voucher_id"] == voucher["id"] and changes["given_on"] == parcel["given_on"]
    assert changes["idempotency_key"].startswith("api:")
    for code in ("debt_advice", "energy_support"):
        [signpost] = log("foodbank_parcel_signpost", f"{parcel['id']}/{code}")
        assert signpost["action"] == "create" and signpost["user_id"] == volunteer.id
    redeemed = [e for e in log("foodbank_voucher", str(voucher["id"])) if e["action"] == "update"]
    assert [e["changes"] for e in redeemed] == [{"redeemed_on": parcel["given_on"]}]


def test_expired_voucher_is_refused(fb):
    agency = fb.agency()
    household = fb.household()
    old = dt.date.today() - dt.timedelta(days=30)
    voucher = fb.voucher(household["id"], agency["id"], ["low_income"], issued_on=old.isoformat())
    assert voucher["status"] == "expired"
    response = fb.call(
        "POST",
        "/parcels",
        {"location_id": fb.location_id, "voucher_code": voucher["code"]},
        role="volunteer",
    )
    assert response.status_code == 409
    assert "valid" in response.json["details"]["voucher"][0]


def test_retried_request_logs_one_parcel(fb):
    household = fb.household(adults=1)
    key = uuid.uuid4().hex
    body = {"location_id": fb.location_id, "household_id": household["id"], "parcel_type": "top_up"}
    first = fb.call("POST", "/parcels", body, role="volunteer", **{"Idempotency-Key": key})
    second = fb.call("POST", "/parcels", body, role="volunteer", **{"Idempotency-Key": key})
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json["id"] == first.json["id"]

    other = fb.household()
    reused = fb.call(
        "POST",
        "/parcels",
        {**body, "household_id": other["id"]},
        role="volunteer",
        **{"Idempotency-Key": key},
    )
    assert reused.status_code == 409
    assert "Idempotency-Key" in reused.json["details"]

    listed = fb.ok("GET", f"/parcels?household_id={household['id']}", role="volunteer")
    assert listed["total"] == 1


def test_concurrent_duplicates_make_one_parcel(fb, live_server):
    """Eight simultaneous requests with one key, as a phone retrying on a bad signal:
    the database's unique constraint decides, so exactly one parcel exists."""
    household = fb.household(adults=2)
    key = uuid.uuid4().hex
    body = json.dumps({"location_id": fb.location_id, "household_id": household["id"]}).encode()
    headers = {
        **fb.accounts["volunteer"].headers,
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }
    start = threading.Barrier(8)
    answers: list[tuple[int, int]] = []

    def post() -> None:
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/foodbank/parcels", data=body, headers=headers, method="POST"
        )
        start.wait()
        with urllib.request.urlopen(request, timeout=30) as response:
            answers.append((response.status, json.loads(response.read())["id"]))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 8
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert len({parcel_id for _, parcel_id in answers}) == 1
    listed = fb.ok("GET", f"/parcels?household_id={household['id']}", role="volunteer")
    assert listed["total"] == 1


def test_bad_input_names_the_field(fb):
    household = fb.household()
    cases = [
        (
            "/parcels",
            {
                "location_id": fb.location_id,
                "household_id": household["id"],
                "parcel_type": "hamper",
            },
            422,
            "parcel_type",
        ),
        ("/parcels", {"location_id": fb.location_id}, 422, "household_id"),
        ("/parcels", {"location_id": 999, "household_id": household["id"]}, 422, "location_id"),
        (
            "/parcels",
            {"location_id": fb.location_id, "household_id": household["id"], "weight_grams": -5},
            422,
            "weight_grams",
        ),
        ("/parcels", {"location_id": fb.location_id, "voucher_code": "NOPE1"}, 422, "voucher_code"),
        ("/households", {"adults": 1, "postcode_district": "Cardiff"}, 422, "postcode_district"),
        ("/households", {"adults": 0}, 422, "adults"),
        ("/households", {"adults": 1, "dietary": ["carnivore"]}, 422, "dietary"),
        ("/households", {"adults": 1, "name": "Jane"}, 422, "name"),
        (
            "/vouchers",
            {"household_id": household["id"], "agency_id": 999, "reasons": ["debt"]},
            422,
            "agency_id",
        ),
        ("/donations", {"donor_type": "public", "lines": []}, 422, "lines"),
        (
            "/donations",
            {"donor_type": "pirates", "lines": [{"category": "baby", "grams": 5}]},
            422,
            "donor_type",
        ),
    ]
    for path, body, status, field in cases:
        response = fb.call("POST", path, body, role="coordinator")
        assert response.status_code == status, (path, body, response.json)
        assert field in response.json["details"], (path, body, response.json)

    agency = fb.agency()
    response = fb.call(
        "POST",
        "/vouchers",
        {"household_id": household["id"], "agency_id": agency["id"], "reasons": ["boredom"]},
    )
    assert response.status_code == 422
    assert "boredom" in response.json["details"]["reasons"][0]

    response = fb.call(
        "POST",
        "/parcels",
        {"location_id": fb.location_id, "household_id": household["id"]},
        role="volunteer",
        **{"Idempotency-Key": "short"},
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json["details"]

    response = fb.call(
        "POST", "/agencies", {"name": "Citizens Advice Riverside", "agency_type": "advice"}
    )
    assert response.status_code == 409
    assert "name" in response.json["details"]


def test_household_links_to_a_person_only_with_consent(fb):
    consenting = fb.add_person("Aled Morgan", consent=True)
    refusing = fb.add_person("Bethan Price", consent=False)
    linked = fb.household(person_id=consenting)
    assert linked["person_id"] == consenting
    response = fb.call(
        "POST", "/households", {"adults": 1, "person_id": refusing}, role="volunteer"
    )
    assert response.status_code == 422
    assert "person_id" in response.json["details"]


def test_permissions(fb, client):
    household = fb.household()
    viewer = fb.accounts["viewer"].headers
    # Viewers see the anonymous records, never households or vouchers, and never write.
    assert client.get("/api/v1/foodbank/parcels", headers=viewer).status_code == 200
    assert client.get("/api/v1/foodbank/stock", headers=viewer).status_code == 200
    assert client.get("/api/v1/foodbank/agencies", headers=viewer).status_code == 200
    assert client.get("/api/v1/foodbank/households", headers=viewer).status_code == 403
    assert (
        client.get(f"/api/v1/foodbank/households/{household['id']}", headers=viewer).status_code
        == 403
    )
    assert client.get("/api/v1/foodbank/vouchers", headers=viewer).status_code == 403
    for path, body in [
        ("/parcels", {"location_id": fb.location_id, "household_id": household["id"]}),
        ("/households", {"adults": 1}),
        ("/donations", {"donor_type": "public", "lines": [{"category": "baby", "grams": 500}]}),
        ("/agencies", {"name": "Viewer's agency", "agency_type": "other"}),
    ]:
        response = fb.call("POST", path, body, role="viewer")
        assert response.status_code == 403, path
        assert response.json["details"]["permission"]
    # Volunteers log parcels but do not manage agencies or correct stock.
    assert (
        fb.call(
            "POST", "/agencies", {"name": "X agency", "agency_type": "other"}, role="volunteer"
        ).status_code
        == 403
    )
    assert (
        fb.call(
            "POST", "/stock/adjustments", {"category": "baby", "grams": -100}, role="volunteer"
        ).status_code
        == 403
    )
    assert client.get("/api/v1/foodbank/parcels").status_code == 401


def test_openapi_documents_the_food_bank(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    paths = document["paths"]
    for path in ("households", "vouchers", "agencies", "parcels", "donations", "stock"):
        assert f"/api/v1/foodbank/{path}" in paths, path
    post = paths["/api/v1/foodbank/parcels"]["post"]
    assert "Idempotency-Key" in post["description"]
    assert "foodbank.log" in post["description"]
