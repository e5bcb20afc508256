"""Pages for volunteers and coordinators, the dashboard panels, and stock levels."""

from __future__ import annotations

import datetime as dt
import re

from hub.testing import hidden_inputs, login


def _signed_in(app, account):
    client = app.test_client()
    login(client, account)
    return client


_form_fields = hidden_inputs


def test_quick_log_pages_and_double_tap(app, fb):
    agency = fb.agency()
    household = fb.household(adults=1, children_0_4=1, allergies="nuts")
    voucher = fb.voucher(household["id"], agency["id"], ["low_income"])
    volunteer = _signed_in(app, fb.accounts["volunteer"])

    found = volunteer.get(f"/foodbank/quick?code={voucher['code'].lower()}")
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    assert f"Household {household['code']}" in html and "nuts" in html
    confirm = re.search(r'id="confirm" href="([^"]+)"', html)[1].replace("&amp;", "&")

    form = volunteer.get(confirm, follow_redirects=True)
    html = form.get_data(as_text=True)
    assert 'name="adults" type="number" value="1"' in html  # pre-filled from the household
    assert 'name="weight_kg" type="text" value="10"' in html  # 4 kg + 3 kg x 2 people
    fields = _form_fields(html)
    data = {
        **fields,
        "location_id": str(fb.location_id),
        "parcel_type": "emergency",
        "adults": "1",
        "children": "1",
        "weight_kg": "10",
        "method": "collected",
    }
    first = volunteer.post("/foodbank/quick/log", data=data)
    second = volunteer.post("/foodbank/quick/log", data=data, follow_redirects=True)
    assert first.status_code == 302
    assert "Already logged" in second.get_data(as_text=True)
    parcels = fb.ok("GET", f"/parcels?household_id={household['id']}", role="volunteer")
    assert parcels["total"] == 1
    assert parcels["items"][0]["weight_grams"] == 10000
    assert fb.ok("GET", f"/vouchers/{voucher['id']}", role="volunteer")["status"] == "redeemed"

    # The same voucher again: the page points to the parcel it made, and logs nothing.
    again = volunteer.get(f"/foodbank/quick?code={voucher['code']}").get_data(as_text=True)
    parcel_id = parcels["items"][0]["id"]
    assert 'id="redeemed"' in again and 'id="confirm"' not in again
    assert f'href="/foodbank/parcels/{parcel_id}"' in again
    # Back to the parcel's page (its address holds the token): it says what was logged.
    back = volunteer.get(form.request.full_path).get_data(as_text=True)
    assert 'id="already"' in back and f'href="/foodbank/parcels/{parcel_id}"' in back
    shown = volunteer.get(f"/foodbank/parcels/{parcel_id}").get_data(as_text=True)
    assert voucher["code"] in shown and "10.0 kg" in shown
    unknown = volunteer.get("/foodbank/quick?code=ZZZZZ").get_data(as_text=True)
    assert "No voucher or household has the code" in unknown


def _parcel_form(app, fb, adults):
    """A volunteer signed in, and the quick log's form for a new household, filled in."""
    household = fb.household(adults=adults)
    volunteer = _signed_in(app, fb.accounts["volunteer"])
    html = volunteer.get(
        f"/foodbank/quick/log?household_id={household['id']}", follow_redirects=True
    ).get_data(as_text=True)
    filled = {
        **_form_fields(html),
        "location_id": str(fb.location_id),
        "parcel_type": "emergency",
        "method": "collected",
    }
    return volunteer, filled


def test_quick_log_form_errors_name_the_field(app, fb):
    volunteer, filled = _parcel_form(app, fb, adults=2)
    data = {**filled, "adults": "2", "children": "0", "weight_kg": "heavy"}
    response = volunteer.post("/foodbank/quick/log", data=data)
    assert response.status_code == 422
    assert 'id="weight_kg-error"' in response.get_data(as_text=True)
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 0


def test_quick_log_refuses_the_worst_input_box_by_box(app, fb):
    volunteer, base = _parcel_form(app, fb, adults=1)
    cases = [
        ({"weight_kg": "9" * 10_000}, "weight_kg", "Enter a weight in kg"),
        ({"weight_kg": "-5"}, "weight_kg", "0.001 kg (1 g) to 200 kg"),
        ({"weight_kg": "abc"}, "weight_kg", "Enter a weight in kg, like 2.5."),
        ({"weight_kg": "0"}, "weight_kg", "0.001 kg (1 g) to 200 kg"),
        ({"adults": "0", "children": "0"}, "adults", "a parcel feeds at least one person"),
        ({"adults": "9" * 10_000}, "adults", "is out of range"),
        ({"adults": "1.5"}, "adults", "Enter a whole number"),
        ({"parcel_type": "x" * 10_000}, "parcel_type", "must be one of"),
        ({"location_id": "99999"}, "location_id", "no location with id 99999"),
    ]
    for changes, field, message in cases:
        response = volunteer.post("/foodbank/quick/log", data={**base, **changes})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, changes
        assert f'id="{field}-error"' in page and message in page, changes
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 0


def test_register_household_issue_voucher_add_agency(app, fb):
    coordinator = _signed_in(app, fb.accounts["coordinator"])
    page = coordinator.get("/foodbank/agencies", follow_redirects=True).get_data(as_text=True)
    added = coordinator.post(
        "/foodbank/agencies",
        data={**hidden_inputs(page), "name": "Riverside School", "agency_type": "school"},
    )
    assert added.status_code == 302

    page = coordinator.get("/foodbank/households/new", follow_redirects=True).get_data(as_text=True)
    bad = coordinator.post(
        "/foodbank/households/new",
        data={**hidden_inputs(page), "adults": "1", "postcode_district": "nowhere"},
    )
    assert bad.status_code == 422
    assert 'id="postcode_district-error"' in bad.get_data(as_text=True)
    made = coordinator.post(
        "/foodbank/households/new",
        data={
            **hidden_inputs(page),
            "adults": "2",
            "children_5_11": "2",
            "postcode_district": "CF5 1AB",
            "dietary": ["vegetarian"],
        },
    )
    assert made.status_code == 302
    household = fb.ok("GET", "/households", role="coordinator")["items"][0]
    assert (household["adults"], household["children_5_11"], household["postcode_district"]) == (
        2,
        2,
        "CF5",
    )
    assert household["dietary"] == ["vegetarian"]

    edit = made.headers["Location"] + "/edit"
    page = coordinator.get(edit, follow_redirects=True).get_data(as_text=True)
    assert 'name="adults" type="number" value="2"' in page
    changed = coordinator.post(
        edit,
        data={
            **hidden_inputs(page),
            "adults": "3",
            "children_5_11": "2",
            "postcode_district": "CF5",
            "dietary": ["vegetarian", "halal"],
        },
    )
    assert changed.status_code == 302
    household = fb.ok("GET", f"/households/{household['id']}", role="volunteer")
    assert (household["adults"], household["dietary"]) == (3, ["vegetarian", "halal"])

    page = coordinator.get(
        made.headers["Location"] + "/vouchers/new", follow_redirects=True
    ).get_data(as_text=True)
    agency_id = re.search(r'<option value="(\d+)">Riverside School', page)[1]
    issued = coordinator.post(
        made.headers["Location"] + "/vouchers/new",
        data={
            **hidden_inputs(page),
            "agency_id": agency_id,
            "reasons": ["child_holiday_hunger", "low_income"],
        },
    )
    assert issued.status_code == 302
    voucher = fb.ok("GET", f"/vouchers?household_id={household['id']}", role="volunteer")["items"][
        0
    ]
    assert voucher["reasons"] == ["child_holiday_hunger", "low_income"]


def test_viewers_see_figures_not_households(app, fb):
    fb.household()
    viewer = _signed_in(app, fb.accounts["viewer"])
    assert viewer.get("/foodbank/").status_code == 200
    assert viewer.get("/foodbank/stock").status_code == 200
    assert viewer.get("/foodbank/parcels").status_code == 200
    for path in (
        "/foodbank/households",
        "/foodbank/vouchers",
        "/foodbank/quick",
        "/foodbank/households/new",
    ):
        assert viewer.get(path).status_code == 403, path
    page = viewer.get("/foodbank/agencies").get_data(as_text=True)
    assert (
        viewer.post(
            "/foodbank/agencies",
            data={**hidden_inputs(page), "name": "X", "agency_type": "other"},
        ).status_code
        == 403
    )
    nav = viewer.get("/").get_data(as_text=True)
    assert "/foodbank/households" not in nav and "/foodbank/quick" not in nav


def test_stock_levels_and_dashboard(app, fb, runner):
    today = dt.date.today()
    fb.donation(
        today - dt.timedelta(days=20),
        "supermarket",
        [
            {
                "category": "tinned_veg",
                "grams": 30000,
                "best_before": (today + dt.timedelta(days=10)).isoformat(),
            },
            {"category": "pasta_rice", "grams": 10000},
        ],
    )
    fb.donation(
        today - dt.timedelta(days=2),
        "faith_group",
        [
            {
                "category": "tinned_veg",
                "grams": 20000,
                "best_before": (today + dt.timedelta(days=100)).isoformat(),
            }
        ],
    )
    agency = fb.agency()
    household = fb.household(adults=2)
    voucher = fb.voucher(household["id"], agency["id"], ["debt"])
    fb.parcel(voucher_code=voucher["code"], weight_grams=10000)
    fb.ok(
        "POST",
        "/stock/adjustments",
        {"category": "tinned_veg", "grams": -1000, "reason": "dented tins"},
    )

    levels = {row["category"]: row for row in fb.ok("GET", "/stock", role="viewer")}
    veg, pasta = levels["tinned_veg"], levels["pasta_rice"]
    # Emergency parcels are 20% tinned vegetables and 20% pasta and rice by weight.
    assert veg["on_hand_grams"] == 50000 - 2000 - 1000 and not veg["low"]
    assert pasta["on_hand_grams"] == 8000 and pasta["low"]
    # Oldest out first: 27 kg of the 30 kg delivery with a 10-day best-before is still here.
    assert veg["expiring"] == [
        {"best_before": (today + dt.timedelta(days=10)).isoformat(), "grams": 27000}
    ]

    coordinator = _signed_in(app, fb.accounts["coordinator"])
    form = coordinator.get("/foodbank/donations/new", follow_redirects=True).get_data(as_text=True)
    bad = coordinator.post(
        "/foodbank/donations/new",
        data={**hidden_inputs(form), "donor_type": "public", "kg_baby": "lots"},
    )
    assert bad.status_code == 422 and "Weights:" in bad.get_data(as_text=True)
    given = coordinator.post(
        "/foodbank/donations/new",
        data={
            **hidden_inputs(form),
            "donor_type": "public",
            "kg_toiletries": "2.5",
            "bb_toiletries": (today + dt.timedelta(days=400)).isoformat(),
        },
    )
    assert given.status_code == 302
    levels = {row["category"]: row for row in fb.ok("GET", "/stock", role="viewer")}
    assert levels["toiletries"]["on_hand_grams"] == 2500
    stock_page = coordinator.get("/foodbank/stock").get_data(as_text=True)
    assert "Pasta, rice and noodles" in stock_page and "badge-bad" in stock_page
    overview = coordinator.get("/foodbank/").get_data(as_text=True)
    assert "<dt>Parcels</dt><dd>1</dd>" in overview
    assert "<dt>People fed</dt><dd>2</dd>" in overview
    assert "Pasta, rice and noodles: 8.0 kg" in overview
    dashboard = coordinator.get("/").get_data(as_text=True)
    for title in ("Food parcels per week", "Why people were referred", "Stock on hand (kg)"):
        assert title in dashboard
    assert "Debt" in dashboard and "<svg" in dashboard
    cli = runner.invoke("foodbank", "stock")
    assert cli.exit_code == 0, cli.output
    assert re.search(r"Pasta, rice and noodles +8\.0 kg +LOW", cli.output)
    assert re.search(r"Tinned vegetables and beans +47\.0 kg +27\.0 kg close to expiry", cli.output)


def test_lists_page_through_everything_instead_of_stopping_at_100(app, fb):
    made = [fb.household(adults=1)["code"] for _ in range(130)]
    coordinator = _signed_in(app, fb.accounts["coordinator"])
    first = coordinator.get("/foodbank/households").get_data(as_text=True)
    assert "Showing 1\u201350 of 130" in first and 'rel="next"' in first
    last = coordinator.get("/foodbank/households?page=3").get_data(as_text=True)
    assert "Showing 101\u2013130 of 130" in last and made[0] in last  # the oldest, on the last page
    volunteer = _signed_in(app, fb.accounts["volunteer"])
    for path in ("/foodbank/vouchers", "/foodbank/parcels"):
        assert "None yet" in volunteer.get(path).get_data(as_text=True)
    found = volunteer.get(f"/foodbank/households?code={made[7][1:4].lower()}").get_data(
        as_text=True
    )
    assert made[7] in found


def test_volunteers_find_households_by_search_but_cannot_browse_the_register(app, fb):
    made = [fb.household(adults=2, postcode_district="CF24")["code"] for _ in range(25)]
    volunteer = _signed_in(app, fb.accounts["volunteer"])
    unsearched = volunteer.get("/foodbank/households").get_data(as_text=True)
    assert not any(code in unsearched for code in made)
    assert "Only a coordinator can list every household" in unsearched
    beyond = volunteer.get("/foodbank/households?page=2").get_data(as_text=True)
    assert not any(code in beyond for code in made)

    broad = volunteer.get("/foodbank/households?postcode_district=CF24&page=2")
    html = broad.get_data(as_text=True)
    shown = [code for code in made if code in html]
    assert len(shown) == 20 and 'rel="next"' not in html  # the first 20, no further pages
    assert "The first 20 of 25 that match: narrow the search" in html
    exact = volunteer.get(f"/foodbank/households?code={made[3]}").get_data(as_text=True)
    assert [code for code in made if code in exact] == [made[3]]
    assert "narrow the search" not in exact


def test_a_household_is_found_without_its_code(app, fb):
    """Someone who forgot their code: the first part of their postcode, how many they
    are and roughly when they last came find them."""
    today = dt.date.today()
    them = fb.household(adults=2, children_5_11=1, postcode_district="CF11 6AA")
    fb.household(adults=2, children_5_11=1, postcode_district="CF5")  # another area
    fb.household(adults=1, postcode_district="CF11")  # another size
    long_ago = fb.household(adults=2, children_5_11=1, postcode_district="CF11")
    fb.parcel(household_id=them["id"], given_on=(today - dt.timedelta(days=6)).isoformat())
    fb.parcel(household_id=long_ago["id"], given_on=(today - dt.timedelta(days=90)).isoformat())
    fb.ok(
        "POST",
        f"/parcels/{fb.parcel(household_id=long_ago['id'])['id']}/void",
        {"reason": "wrong household"},
    )
    volunteer = _signed_in(app, fb.accounts["volunteer"])

    def found(**query):
        page = volunteer.get("/foodbank/households", query_string=query)
        assert page.status_code == 200, page.get_data(as_text=True)
        html = page.get_data(as_text=True)
        return {code for code in (them["code"], long_ago["code"]) if code in html}, html

    codes, html = found(postcode_district="cf11", size="3")
    assert codes == {them["code"], long_ago["code"]} and "narrow the search" not in html
    since = (today - dt.timedelta(days=30)).isoformat()
    codes, html = found(postcode_district="CF11", size="3", last_visit_from=since)
    assert codes == {them["code"]}  # the voided parcel is no visit
    assert (today - dt.timedelta(days=6)).strftime("%-d %b %Y") in html
    codes, _ = found(last_visit_to=since, size="3")
    assert codes == {long_ago["code"]}
    bad = volunteer.get("/foodbank/households", query_string={"postcode_district": "nowhere"})
    assert bad.status_code == 422 and 'id="postcode_district-error"' in bad.get_data(as_text=True)
    assert volunteer.get("/foodbank/households?size=lots").status_code == 422


def test_a_late_entry_and_a_top_up_chosen_without_javascript(app, fb, published):
    volunteer, filled = _parcel_form(app, fb, adults=1)
    assert filled["weight_shown"] == "7"  # 4 kg + 3 kg for one person, as first shown
    today = dt.date.today()
    for given_on, message in (
        (today + dt.timedelta(days=1), "must not be in the future"),
        (today - dt.timedelta(days=40), "more than 31 days ago"),
    ):
        refused = volunteer.post(
            "/foodbank/quick/log",
            data={**filled, "weight_kg": "7", "given_on": given_on.isoformat()},
        )
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    late = today - dt.timedelta(days=3)
    # The top-up radio ticked, the weight box left as it was (no script to change it).
    logged = volunteer.post(
        "/foodbank/quick/log",
        data={**filled, "parcel_type": "top_up", "weight_kg": "7", "given_on": late.isoformat()},
        follow_redirects=True,
    )
    assert "top-up parcel for household" in logged.get_data(as_text=True)
    (parcel,) = fb.ok("GET", "/parcels", role="viewer")["items"]
    assert parcel["given_on"] == late.isoformat() and parcel["parcel_type"] == "top_up"
    usual_top_up = parcel["weight_grams"]
    assert usual_top_up != 7000
    assert f"{usual_top_up / 1000:g} kg, given {late:%-d %b}" in logged.get_data(as_text=True)

    volunteer, filled = _parcel_form(app, fb, adults=1)
    volunteer.post("/foodbank/quick/log", data={**filled, "weight_kg": "8.5"})
    weights = sorted(p["weight_grams"] for p in fb.ok("GET", "/parcels", role="viewer")["items"])
    assert 8500 in weights  # a weight typed is kept


def test_a_walk_in_makes_all_three_records_or_none(app, fb):
    agency = fb.agency()
    known = fb.household()
    fb.voucher(known["id"], agency["id"], ["debt"], code="VTAKEN1")
    volunteer = _signed_in(app, fb.accounts["volunteer"])
    page = volunteer.get("/foodbank/walk-in?code=vnew-1", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert 'name="voucher_code" type="text" value="VNEW1"' in html
    base = {
        **hidden_inputs(html),
        "voucher_code": "VNEW1",
        "agency_id": str(agency["id"]),
        "reasons": ["low_income"],
        "adults": "1",
        "location_id": str(fb.location_id),
        "parcel_type": "emergency",
        "method": "collected",
    }
    for changes, field in (
        ({"voucher_code": "VTAKEN1"}, "voucher_code"),
        ({"agency_id": "999"}, "agency_id"),
        ({"reasons": ["made_up"]}, "reasons"),
        ({"adults": "0"}, "adults"),
    ):
        refused = volunteer.post(page.request.full_path, data={**base, **changes})
        assert refused.status_code == 422, changes
        assert f'id="{field}-error"' in refused.get_data(as_text=True), changes
    assert fb.ok("GET", "/households", role="coordinator")["total"] == 1
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 0
    made = volunteer.post(page.request.full_path, data=base)
    assert made.status_code == 302
    assert fb.ok("GET", "/households", role="coordinator")["total"] == 2
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 1


def test_a_coordinator_corrects_stock_in_the_page(app, fb):
    fb.donation(dt.date.today(), "public", [{"category": "tinned_veg", "grams": 10000}])
    coordinator = _signed_in(app, fb.accounts["coordinator"])
    page = coordinator.get("/foodbank/stock/correct?category=tinned_veg", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert '<option value="tinned_veg" selected>' in html
    data = {**hidden_inputs(html), "category": "tinned_veg", "kg": "-2.5"}
    missing = coordinator.post(page.request.full_path, data=data)
    assert missing.status_code == 422 and 'id="reason-error"' in missing.get_data(as_text=True)
    done = coordinator.post(
        page.request.full_path, data={**data, "reason": "dented tins"}, follow_redirects=True
    )
    assert "corrected by -2.5 kg" in done.get_data(as_text=True)
    again = coordinator.post(page.request.full_path, data={**data, "reason": "dented tins"})
    assert again.status_code == 302  # the same form twice: one correction
    levels = {row["category"]: row for row in fb.ok("GET", "/stock", role="viewer")}
    assert levels["tinned_veg"]["on_hand_grams"] == 7500
    volunteer = _signed_in(app, fb.accounts["volunteer"])
    assert volunteer.get("/foodbank/stock/correct").status_code == 403


def test_a_coordinator_changes_settings_in_a_page(app, fb):
    coordinator = _signed_in(app, fb.accounts["coordinator"])
    page = coordinator.get("/settings/foodbank").get_data(as_text=True)
    assert "emergency = 4000" in page and "Low stock grams" in page
    fields = dict(
        re.findall(r'<input id="(\w+)" name="\w+" type="text"[^>]* value="([^"]*)"', page)
    )
    lines = dict(re.findall(r'<textarea id="(\w+)"[^>]*>([^<]*)</textarea>', page))
    form = {**hidden_inputs(page), **fields, **lines}
    bad = coordinator.post(
        "/settings/foodbank",
        data={**form, "policy_parcels": "0", "parcel_grams_base": "emergency = lots"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="parcel_grams_base-error"' in html and "not a whole number" in html
    bad = coordinator.post("/settings/foodbank", data={**form, "policy_parcels": "0"})
    assert bad.status_code == 422 and 'id="policy_parcels-error"' in bad.get_data(as_text=True)

    reasons = lines["referral_reasons"].replace("&#39;", "'") + "\nfuel = Fuel poverty"
    base = lines["parcel_grams_base"].replace("emergency = 4000", "emergency = 5000")
    saved = coordinator.post(
        "/settings/foodbank",
        data={**form, "referral_reasons": reasons, "parcel_grams_base": base},
        follow_redirects=True,
    )
    assert "Settings of foodbank saved" in saved.get_data(as_text=True)
    assert "changed here" in saved.get_data(as_text=True)

    household = fb.household(adults=1)
    volunteer = _signed_in(app, fb.accounts["volunteer"])
    parcel_form = volunteer.get(
        f"/foodbank/quick/log?household_id={household['id']}", follow_redirects=True
    ).get_data(as_text=True)
    assert 'name="weight_kg" type="text" value="8"' in parcel_form  # 5 kg + 3 kg, no restart
    voucher_form = volunteer.get(
        f"/foodbank/households/{household['id']}/vouchers/new", follow_redirects=True
    ).get_data(as_text=True)
    assert "Fuel poverty" in voucher_form
    audit = fb.client.get(
        "/api/v1/audit",
        query_string={"entity": "plugin_setting"},
        headers=fb.accounts["admin"].headers,
    ).json["items"]
    assert {entry["entity_id"] for entry in audit} == {
        "foodbank/referral_reasons",
        "foodbank/parcel_grams_base",
    }
    assert volunteer.get("/settings/foodbank").status_code == 403


def test_a_coordinator_changes_a_table_of_tables_in_the_settings_page(app, fb):
    """A parcel's contents (percent of its weight per stock category, per parcel type)
    are edited as row.column = value lines, and the next parcel draws stock by them."""
    coordinator = _signed_in(app, fb.accounts["coordinator"])
    page = coordinator.get("/settings/foodbank").get_data(as_text=True)
    assert "baby.baby = 100" in page and "emergency.tinned_veg = 20" in page
    fields = dict(
        re.findall(r'<input id="(\w+)" name="\w+" type="text"[^>]* value="([^"]*)"', page)
    )
    lines = {
        key: text.replace("&#39;", "'")
        for key, text in re.findall(r'<textarea id="(\w+)"[^>]*>([^<]*)</textarea>', page)
    }
    form = {**hidden_inputs(page), **fields, **lines}
    contents = lines["parcel_contents"]

    for wrong, says in (
        ("baby baby = 100", "row.column = value"),
        ("baby.baby = lots", "not a whole number"),
        ("baby.baby = 120", "parcel_contents"),
    ):
        bad = coordinator.post(
            "/settings/foodbank",
            data={**form, "parcel_contents": contents.replace("baby.baby = 100", wrong)},
        )
        html = bad.get_data(as_text=True)
        assert bad.status_code == 422, wrong
        assert says in html, (wrong, says)

    changed = contents.replace("baby.baby = 100", "baby.baby = 60\nbaby.toiletries = 40")
    saved = coordinator.post(
        "/settings/foodbank", data={**form, "parcel_contents": changed}, follow_redirects=True
    )
    html = saved.get_data(as_text=True)
    assert "Settings of foodbank saved" in html and "baby.toiletries = 40" in html

    def on_hand() -> dict[str, int]:
        return {row["category"]: row["on_hand_grams"] for row in fb.ok("GET", "/stock")}

    fb.donation(
        dt.date.today(),
        "supermarket",
        [{"category": "baby", "grams": 20000}, {"category": "toiletries", "grams": 20000}],
    )
    before = on_hand()
    fb.parcel(household_id=fb.household(adults=1)["id"], parcel_type="baby", weight_grams=10000)
    after = on_hand()
    assert before["baby"] - after["baby"] == 6000
    assert before["toiletries"] - after["toiletries"] == 4000
