"""Coordinators correct and void parcels, vouchers, donations and agencies, in the pages
and the API: each with its reason in the audit log, and the figures follow (the next
published summary is a new revision)."""

from __future__ import annotations

import datetime as dt

from hub.testing import hidden_inputs, login

DAY = dt.date.today()
MONTH = DAY.strftime("%Y-%m")


def _signed_in(app, account):
    client = app.test_client()
    login(client, account)
    return client


def _once_settled(published, clock) -> dict:
    """This month's figures as published once it has settled: people counts included."""
    clock.set(DAY.replace(day=1) + dt.timedelta(days=40))
    try:
        return published(MONTH)
    finally:
        clock.set(DAY)


def _audit(fb, entity: str, entity_id: int) -> list[dict]:
    found = fb.client.get(
        "/api/v1/audit",
        query_string={"entity": entity, "entity_id": str(entity_id)},
        headers=fb.accounts["admin"].headers,
    )
    assert found.status_code == 200, found.get_data(as_text=True)
    return found.json["items"]


def test_a_voided_parcel_leaves_the_figures_and_frees_its_voucher(
    app, fb, published, runner, clock
):
    agency = fb.agency()
    household = fb.household(adults=5)
    voucher = fb.voucher(household["id"], agency["id"], ["debt"])
    wrong = fb.parcel(voucher_code=voucher["code"], weight_grams=10000)
    fb.parcel(household_id=household["id"], parcel_type="top_up", weight_grams=3000)
    assert published(MONTH)["parcels.emergency"] == 1
    first = runner.invoke("federation", "publish", "--offline")
    assert first.exit_code == 0, first.output

    refused = fb.call("POST", f"/parcels/{wrong['id']}/void", {"reason": "x"})
    assert refused.status_code == 422 and "reason" in refused.json["details"]
    assert fb.call("POST", f"/parcels/{wrong['id']}/void", {}, role="volunteer").status_code == 403
    voided = fb.ok("POST", f"/parcels/{wrong['id']}/void", {"reason": "logged twice"})
    assert voided["voided_at"] and voided["void_reason"] == "logged twice"
    again = fb.call("POST", f"/parcels/{wrong['id']}/void", {"reason": "logged twice"})
    assert again.status_code == 422

    figures = published(MONTH)
    assert figures["parcels.emergency"] == 0 and figures["parcels.top_up"] == 1
    assert figures["grams_distributed"] == 3000 and figures["adults_fed"] is None  # not settled
    assert _once_settled(published, clock)["adults_fed"] == 5
    assert fb.ok("GET", f"/vouchers/{voucher['id']}", role="volunteer")["status"] == "valid"
    (logged,) = [e for e in _audit(fb, "foodbank_parcel", wrong["id"]) if e["action"] == "void"]
    assert logged["changes"] == {"reason": "logged twice"} and logged["actor"]
    # The voucher can be redeemed again, by the right parcel.
    fb.parcel(voucher_code=voucher["code"], weight_grams=9000)
    second = runner.invoke("federation", "publish", "--offline")
    assert second.exit_code == 0, second.output
    assert "revised" in second.output and " 0 revised" not in second.output


def test_corrections_change_the_figures_and_keep_the_reason(app, fb, published, clock):
    agency = fb.agency()
    other = fb.agency("Riverside School", "school")
    household = fb.household(adults=1)
    voucher = fb.voucher(household["id"], agency["id"], ["debt"])
    parcel = fb.parcel(voucher_code=voucher["code"], weight_grams=10000)

    no_reason = fb.call("PATCH", f"/parcels/{parcel['id']}", {"weight_grams": 9000})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["details"]
    future = (DAY + dt.timedelta(days=3)).isoformat()
    refused = fb.call("PATCH", f"/parcels/{parcel['id']}", {"given_on": future, "reason": "typo"})
    assert refused.status_code == 422 and "given_on" in refused.json["details"]
    fixed = fb.ok(
        "PATCH", f"/parcels/{parcel['id']}", {"weight_grams": 8500, "reason": "weighed again"}
    )
    assert fixed["weight_grams"] == 8500
    assert published(MONTH)["grams_distributed"] == 8500
    (entry,) = [e for e in _audit(fb, "foodbank_parcel", parcel["id"]) if e["action"] == "correct"]
    assert entry["changes"] == {"reason": "weighed again", "weight_grams": [10000, 8500]}

    changed = fb.ok(
        "PATCH",
        f"/vouchers/{voucher['id']}",
        {"agency_id": other["id"], "reasons": ["low_income"], "reason": "wrong agency ticked"},
    )
    assert changed["agency_name"] == "Riverside School" and changed["reasons"] == ["low_income"]
    figures = _once_settled(published, clock)
    # One household: a count of households, suppressed; the correction moved it off debt.
    assert figures["referrals.low_income"] is None and figures["referrals.debt"] == 0
    assert figures["referrals_by_agency.school"] is None
    fb.ok("POST", f"/vouchers/{voucher['id']}/void", {"reason": "issued by mistake"})
    assert _once_settled(published, clock)["referrals.low_income"] == 0

    donation = fb.donation(DAY, "supermarket", [{"category": "tinned_veg", "grams": 30000}])
    corrected = fb.ok(
        "PATCH",
        f"/donations/{donation['id']}",
        {"lines": [{"category": "tinned_veg", "grams": 25000}], "reason": "scale was off"},
    )
    assert corrected["weight_grams"] == 25000
    assert published(MONTH)["grams_donated"] == 25000
    fb.ok("POST", f"/donations/{donation['id']}/void", {"reason": "counted in another"})
    assert published(MONTH)["grams_donated"] == 0
    stock = {row["category"]: row for row in fb.ok("GET", "/stock", role="viewer")}
    assert stock["tinned_veg"]["donated_grams"] == 0


def test_a_coordinator_corrects_and_voids_in_the_pages(app, fb, published):
    agency = fb.agency()
    household = fb.household(adults=2)
    parcel = fb.parcel(household_id=household["id"], weight_grams=10000)
    coordinator = _signed_in(app, fb.accounts["coordinator"])

    page = coordinator.get(f"/foodbank/parcels/{parcel['id']}").get_data(as_text=True)
    assert "Correct this parcel" in page and "Void parcel" in page
    url = f"/foodbank/parcels/{parcel['id']}/correct"
    form = coordinator.get(url).get_data(as_text=True)
    assert 'name="weight_kg" type="text" value="10"' in form
    data = {
        **hidden_inputs(form),
        "given_on": DAY.isoformat(),
        "location_id": str(fb.location_id),
        "parcel_type": "emergency",
        "adults": "2",
        "children": "0",
        "weight_kg": "7.5",
        "method": "collected",
    }
    missing = coordinator.post(url, data=data)
    assert missing.status_code == 422 and 'id="reason-error"' in missing.get_data(as_text=True)
    saved = coordinator.post(url, data={**data, "reason": "weighed again"}, follow_redirects=True)
    assert "Parcel corrected (weight_grams)" in saved.get_data(as_text=True)
    assert published(MONTH)["grams_distributed"] == 7500

    void_url = f"/foodbank/parcels/{parcel['id']}/void"
    short = coordinator.post(void_url, data={**hidden_inputs(page), "reason": ""})
    assert short.status_code == 302
    assert published(MONTH)["parcels.emergency"] == 1
    voided = coordinator.post(
        void_url, data={**hidden_inputs(page), "reason": "wrong household"}, follow_redirects=True
    )
    shown = voided.get_data(as_text=True)
    assert 'id="voided"' in shown and "wrong household" in shown and "Void parcel" not in shown
    assert published(MONTH)["parcels.emergency"] == 0
    listing = coordinator.get("/foodbank/parcels").get_data(as_text=True)
    assert ">void</span>" in listing

    volunteer = _signed_in(app, fb.accounts["volunteer"])
    assert volunteer.post(void_url, data={"reason": "nope"}).status_code in (400, 403)
    assert volunteer.get(url).status_code == 403

    # Agencies: edited and deactivated; a deactivated one is offered no more.
    edit = coordinator.get(f"/foodbank/agencies/{agency['id']}/edit").get_data(as_text=True)
    renamed = coordinator.post(
        f"/foodbank/agencies/{agency['id']}/edit",
        data={**hidden_inputs(edit), "name": "Citizens Advice", "agency_type": "advice"},
    )
    assert renamed.status_code == 302
    agencies = fb.ok("GET", "/agencies", role="viewer")["items"]
    assert [(a["name"], a["active"]) for a in agencies] == [("Citizens Advice", False)]
    voucher_form = coordinator.get(
        f"/foodbank/households/{household['id']}/vouchers/new", follow_redirects=True
    ).get_data(as_text=True)
    assert f'<option value="{agency["id"]}"' not in voucher_form


def test_a_donation_is_corrected_and_voided_in_the_pages(app, fb, published):
    donation = fb.donation(
        DAY,
        "supermarket",
        [{"category": "tinned_veg", "grams": 30000}, {"category": "pasta_rice", "grams": 5000}],
    )
    coordinator = _signed_in(app, fb.accounts["coordinator"])
    url = f"/foodbank/donations/{donation['id']}/correct"
    form = coordinator.get(url).get_data(as_text=True)
    assert 'name="kg_tinned_veg" type="text" value="30"' in form
    saved = coordinator.post(
        url,
        data={
            **hidden_inputs(form),
            "received_on": DAY.isoformat(),
            "donor_type": "supermarket",
            "kg_tinned_veg": "28",
            "kg_pasta_rice": "5",
            "reason": "re-weighed",
        },
    )
    assert saved.status_code == 302
    assert published(MONTH)["grams_donated"] == 33000
    listing = coordinator.get("/foodbank/donations").get_data(as_text=True)
    assert "33.0 kg" in listing and "Showing 1\u20131 of 1" in listing
