"""A volunteer on a phone: voucher to parcel in three taps; back and tap again, or a lost
reply and a retry, log nothing more."""

from __future__ import annotations

import pytest

from hub.testing import browser_login


class Taps:
    """Taps the screen like a thumb does, and counts them."""

    def __init__(self, page) -> None:
        self.page = page
        self.count = 0

    def __call__(self, selector: str) -> None:
        self.count += 1
        self.page.tap(selector)
        self.page.wait_for_load_state()


@pytest.mark.browser
def test_voucher_to_parcel_in_three_taps(fb, phone_page):
    agency = fb.agency()
    household = fb.household(adults=2, children_5_11=1, children_12_17=1)
    voucher = fb.voucher(household["id"], agency["id"], ["benefit_delays"])
    page = phone_page
    browser_login(page, fb.accounts["volunteer"])
    page.goto("/foodbank/quick")
    page.fill("#code", voucher["code"].lower())  # typed from the paper voucher

    tap = Taps(page)
    tap("#find")
    assert page.locator("#match-h").inner_text() == f"Household {household['code']}"
    tap("#confirm")
    assert page.locator("h1").inner_text() == f"Parcel for {household['code']}"
    tap("#log-parcel")
    assert tap.count == 3
    assert "Logged: emergency parcel" in page.locator(".flash-success").inner_text()

    parcels = fb.ok("GET", f"/parcels?household_id={household['id']}", role="volunteer")["items"]
    assert len(parcels) == 1
    parcel = parcels[0]
    assert (parcel["adults"], parcel["children"]) == (2, 2)
    assert parcel["weight_grams"] == 4000 + 3000 * 4
    assert parcel["voucher_id"] == voucher["id"]

    # Back to the form and tap again (an unsure volunteer): the one parcel is named and
    # linked, and no second one is logged.
    page.go_back()
    page.wait_for_load_state()
    tap("#log-parcel")
    already = page.locator(".flash-info")
    assert "Already logged: emergency parcel" in already.inner_text()
    opened = already.get_by_role("link", name="Open it")
    assert opened.get_attribute("href") == f"/foodbank/parcels/{parcel['id']}"
    assert fb.ok("GET", f"/parcels?household_id={household['id']}", role="volunteer")["total"] == 1


@pytest.mark.browser
def test_an_admin_imports_the_parcel_sheet_from_a_browser(fb, phone_page, tmp_path):
    sheet = tmp_path / "parcels.csv"
    sheet.write_text(
        "Date Given,Ref,Parcel,Adults,Kids,Weight (kg)\n"
        "03/03/2025,AB12,Emergency,2,1,12.5\n"
        "03/03/2025,CD34,Top-up,1,0,3\n"
        "31/02/2025,EF56,Emergency,1,0,7\n",
        encoding="utf-8",
    )
    page = phone_page
    browser_login(page, fb.accounts["admin"])
    page.goto("/admin/")
    page.get_by_role("link", name="Imports").click()
    page.get_by_label("foodbank-parcels").check()
    page.get_by_label("CSV file").set_input_files(str(sheet))
    page.get_by_role("button", name="Check the file").click()
    assert "no column for 'date'" in page.get_by_role("table").inner_text()

    page.get_by_label("date", exact=True).select_option("Date Given")
    page.get_by_label("household", exact=True).select_option("Ref")
    page.get_by_label("type", exact=True).select_option("Parcel")
    page.get_by_label("children", exact=True).select_option("Kids")
    page.get_by_label("weight_kg", exact=True).select_option("Weight (kg)")
    page.get_by_role("button", name="Check again").click()
    status = page.get_by_role("status")
    assert "Would import: 2 new, 0 updated, 0 unchanged, 1 row not taken" in status.inner_text()
    assert "31/02/2025" in page.get_by_role("table").inner_text()
    page.screenshot(path="/tmp/hub-foodbank-import-check.png", full_page=True)

    page.get_by_role("button", name="Import 2 rows").click()
    assert "Imported: 2 new" in page.get_by_role("status").inner_text()
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 2


@pytest.mark.browser
def test_a_lost_reply_then_a_retry_logs_one_parcel(fb, phone_page):
    household = fb.household(adults=1)
    page = phone_page
    browser_login(page, fb.accounts["volunteer"])
    page.goto(f"/foodbank/quick?code={household['code']}")
    page.tap("#confirm")
    page.wait_for_load_state()

    def lose_the_reply(route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fetch()  # the server logs the parcel; its answer never reaches the phone
        route.abort("connectionreset")

    page.route("**/foodbank/quick/log*", lose_the_reply)
    page.tap("#log-parcel")
    with pytest.raises(Exception, match="ERR_CONNECTION_RESET"):  # "no connection"
        page.wait_for_url("**/foodbank/quick")
    assert fb.ok("GET", f"/parcels?household_id={household['id']}", role="volunteer")["total"] == 1
    page.unroute("**/foodbank/quick/log*")
    page.go_back()  # back to the form, as it was
    page.wait_for_load_state()
    page.tap("#log-parcel")  # the retry
    page.wait_for_load_state()
    already = page.locator(".flash-info")
    assert "Already logged: emergency parcel" in already.inner_text()
    assert fb.ok("GET", f"/parcels?household_id={household['id']}", role="volunteer")["total"] == 1


@pytest.mark.browser
def test_a_walk_in_with_a_paper_voucher_is_one_form(fb, phone_page):
    agency = fb.agency()
    page = phone_page
    browser_login(page, fb.accounts["volunteer"])
    page.goto("/foodbank/quick")
    page.fill("#code", "v-77k2q")  # typed once, from the paper voucher
    tap = Taps(page)
    tap("#find")
    tap("#walk-in")
    assert page.locator("#voucher_code").input_value() == "V77K2Q"
    page.select_option("#agency_id", str(agency["id"]))
    page.get_by_label("Low income").check()
    page.fill("#adults", "2")
    page.fill("#children_5_11", "1")
    tap("#log-walk-in")
    assert "a new household with voucher V77K2Q" in page.locator(".flash-success").inner_text()

    (parcel,) = fb.ok("GET", "/parcels", role="volunteer")["items"]
    (voucher,) = fb.ok("GET", "/vouchers", role="volunteer")["items"]
    assert voucher["code"] == "V77K2Q" and voucher["status"] == "redeemed"
    assert parcel["voucher_id"] == voucher["id"]
    assert (parcel["adults"], parcel["children"]) == (2, 1)
    assert parcel["weight_grams"] == 4000 + 3000 * 3  # the usual weight for three people

    # The back button and the button again: still one household, voucher and parcel.
    page.go_back()
    page.wait_for_load_state()
    tap("#log-walk-in")
    assert "Already logged" in page.locator(".flash-info").inner_text()
    assert fb.ok("GET", "/households", role="coordinator")["total"] == 1
    assert fb.ok("GET", "/parcels", role="viewer")["total"] == 1


def focus_moves_to(page, element_id: str) -> None:
    """Wait (up to the page's timeout) for focus to reach ``element_id``: the page
    moves it from a script once it has loaded, later on a busy machine."""
    page.wait_for_function("id => document.activeElement?.id === id", arg=element_id)


@pytest.mark.browser
def test_focus_follows_the_quick_log(fb, phone_page, live_server):
    household = fb.household(adults=1)
    page = phone_page
    browser_login(page, fb.accounts["volunteer"])
    page.goto("/foodbank/quick")
    focus_moves_to(page, "code")  # ready to type
    page.keyboard.type(household["code"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focus_moves_to(page, "confirm")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focus_moves_to(page, "log-parcel")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Logged: emergency parcel" in page.locator(".flash-success").inner_text()
    focus_moves_to(page, "code")  # the next person
    manifest = page.request.get(f"{live_server.url}/manifest.webmanifest").json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"any", "192x192", "512x512"}
    for icon in manifest["icons"]:
        assert page.request.get(live_server.url + icon["src"]).ok
    assert page.locator("link[rel=icon]").count() == 1


@pytest.mark.browser
def test_a_coordinator_corrects_and_voids_on_a_phone(fb, phone_page, published):
    import datetime as dt

    household = fb.household(adults=2)
    first = fb.parcel(household_id=household["id"], weight_grams=10000)
    twice = fb.parcel(household_id=household["id"], weight_grams=10000)
    month = dt.date.today().strftime("%Y-%m")
    page = phone_page
    browser_login(page, fb.accounts["coordinator"])

    page.goto(f"/foodbank/parcels/{first['id']}")
    page.get_by_role("link", name="Correct this parcel").tap()
    page.fill("#weight_kg", "8.5")
    page.get_by_role("button", name="Save the correction").tap()
    # A correction needs its reason: the browser asks for it before anything is sent.
    assert page.locator("#reason").evaluate("box => box.validity.valueMissing")
    page.fill("#reason", "weighed again")
    page.get_by_role("button", name="Save the correction").tap()
    assert "Parcel corrected (weight_grams)" in page.locator(".flash-success").inner_text()
    assert "8.5 kg" in page.locator("dl").inner_text()

    page.goto(f"/foodbank/parcels/{twice['id']}")
    reason = page.get_by_label("Why is it void?")
    page.get_by_role("button", name="Void parcel").tap()  # no reason yet: not sent
    assert reason.evaluate("box => box.validity.valueMissing")
    reason.fill("logged twice")
    page.get_by_role("button", name="Void parcel").tap()
    assert "logged twice" in page.locator("#voided").inner_text()
    assert page.get_by_role("button", name="Void parcel").count() == 0
    assert published(month)["grams_distributed"] == 8500
    assert published(month)["parcels.emergency"] == 1


@pytest.mark.browser
def test_a_parcel_logged_after_the_session_on_a_phone(fb, phone_page):
    import datetime as dt

    household = fb.household(adults=1)
    page = phone_page
    browser_login(page, fb.accounts["volunteer"])
    page.goto(f"/foodbank/quick?code={household['code']}")
    page.tap("#confirm")
    page.get_by_text("People fed, date, help offered").tap()
    late = dt.date.today() - dt.timedelta(days=2)
    page.fill("#given_on", late.isoformat())
    page.locator("details button[type=submit]").tap()
    assert f"given {late:%-d %b}" in page.locator(".flash-success").inner_text()
    (parcel,) = fb.ok("GET", "/parcels", role="volunteer")["items"]
    assert parcel["given_on"] == late.isoformat()
