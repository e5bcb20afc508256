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

    parcels = fb.ok("GET", f"/parcels?household_id={household['id']}", role="viewer")["items"]
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
    assert already.locator("a").get_attribute("href") == f"/foodbank/parcels/{parcel['id']}"
    assert fb.ok("GET", f"/parcels?household_id={household['id']}", role="viewer")["total"] == 1


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
    assert fb.ok("GET", f"/parcels?household_id={household['id']}", role="viewer")["total"] == 1
    page.unroute("**/foodbank/quick/log*")
    page.go_back()  # back to the form, as it was
    page.wait_for_load_state()
    page.tap("#log-parcel")  # the retry
    page.wait_for_load_state()
    already = page.locator(".flash-info")
    assert "Already logged: emergency parcel" in already.inner_text()
    assert fb.ok("GET", f"/parcels?household_id={household['id']}", role="viewer")["total"] == 1
