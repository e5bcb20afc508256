"""The web shell in a real browser, on a phone-sized screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from hub.db import get_session
from hub.models import Person
from hub.testing import PHONE, browser_login, main_menu

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/hub-web-{}.png"


def fits_the_screen(page):
    # A phone widens its layout viewport to fit wide content, so compare with
    # the screen itself, once the stylesheet has loaded.
    page.wait_for_load_state()
    return page.evaluate("document.documentElement.scrollWidth <= screen.width")


def test_sign_in_on_a_phone_and_find_the_way_around(phone_page, accounts, records):
    page = phone_page
    page.goto("/people/")
    assert page.url.endswith("/login?next=/people/")
    page.get_by_label("Email").fill(accounts["coordinator"].email)
    page.get_by_label("Password").fill(accounts["coordinator"].password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/people/")  # back where the sign-in began

    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    assert fits_the_screen(page)
    page.screenshot(path=SCREENSHOTS.format("dashboard"), full_page=True)
    nav = main_menu(page)
    for label in ("Dashboard", "People", "Locations", "Account"):
        link = nav.get_by_role("link", name=label)
        assert link.is_visible()
        assert link.bounding_box()["height"] >= 44  # a finger can hit it
    assert nav.get_by_role("link", name="Admin").count() == 0
    assert fits_the_screen(page)

    nav.get_by_role("link", name="Locations").click()
    page.wait_for_url("**/locations/")
    assert page.get_by_role("cell", name="10:00\u201313:00").is_visible()
    assert fits_the_screen(page)


def test_keyboard_users_can_skip_to_the_content(phone_page, accounts):
    page = phone_page
    browser_login(page, accounts["viewer"])
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.bounding_box()["x"] >= 0  # shown on screen while focused


def test_add_a_person_on_a_phone(app, phone_page, accounts):
    page = phone_page
    browser_login(page, accounts["coordinator"])
    page.goto("/people/")
    page.get_by_role("link", name="Add a person").click()
    page.wait_for_url("**/people/new?once=*")

    page.get_by_label("Email (optional)").fill("not-an-email")
    page.get_by_role("button", name="Add person").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    assert summary.is_visible()
    assert page.get_by_label("Name", exact=True).get_attribute("aria-invalid") == "true"
    assert fits_the_screen(page)
    page.screenshot(path=SCREENSHOTS.format("person-form-errors"), full_page=True)

    page.get_by_label("Name", exact=True).fill("Siân Llewellyn")
    page.get_by_label("Email (optional)").fill("sian@example.net")
    page.get_by_label("They agreed to us keeping these details").check()
    page.get_by_label("What they agreed to").fill("Reminders about appointments")
    page.get_by_role("button", name="Add person").click()
    page.wait_for_url("**/people/*")
    assert page.get_by_role("heading", level=1).inner_text() == "Siân Llewellyn"
    assert page.get_by_role("status").inner_text() == "Siân Llewellyn is added."
    page.screenshot(path=SCREENSHOTS.format("person"), full_page=True)

    with app.app_context():
        person = get_session().scalar(select(Person).where(Person.email == "sian@example.net"))
    assert person.consent_purpose == "Reminders about appointments"
    assert person.retention_until == dt.date.today() + dt.timedelta(
        days=app.config["RETENTION_DAYS"]
    )


def test_back_and_add_the_person_again_makes_no_second_one(app, phone_page, accounts):
    page = phone_page
    browser_login(page, accounts["coordinator"])
    page.goto("/people/new")
    page.get_by_label("Name", exact=True).fill("Siân Llewellyn")
    page.get_by_role("button", name="Add person").click()
    page.wait_for_url(re.compile(r".*/people/\d+$"))
    first = page.url

    page.go_back()
    page.wait_for_url("**/people/new?once=*")
    page.get_by_role("button", name="Add person").click()
    page.wait_for_url(first)
    assert "Already saved: person" in page.get_by_role("status").inner_text()
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Person)) == 1


def test_a_form_without_its_csrf_token_is_refused_in_the_browser(app, phone_page, accounts):
    page = phone_page
    browser_login(page, accounts["coordinator"])
    page.goto("/people/new")
    page.get_by_label("Name", exact=True).fill("Forged Person")
    page.evaluate("document.querySelector('main form input[name=csrf_token]').value = 'forged'")
    page.get_by_role("button", name="Add person").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Bad Request"
    assert "nothing was changed" in page.content()
    with app.app_context():
        assert get_session().scalar(select(Person).where(Person.name == "Forged Person")) is None

    # Reloading the form gives a good token again, and it goes through.
    page.goto("/people/new")
    page.get_by_label("Name", exact=True).fill("Real Person")
    page.get_by_role("button", name="Add person").click()
    page.wait_for_url("**/people/*")
    assert page.get_by_role("heading", level=1).inner_text() == "Real Person"


def test_sign_out_in_the_browser(phone_page, accounts):
    page = phone_page
    browser_login(page, accounts["volunteer"])
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.get_by_role("status").inner_text() == "You are signed out."
    page.goto("/")
    assert "/login" in page.url


def test_every_core_page_fits_a_phone_screen(phone_page, accounts, records):
    """Wide tables scroll inside their box; the page itself never scrolls sideways."""
    page = phone_page
    browser_login(page, accounts["admin"])
    page.goto("/account/")
    page.get_by_label("What the token is for").fill("Till laptop")
    page.get_by_role("button", name="Create a token").click()
    assert page.get_by_role("textbox", name="Token", exact=True).input_value().startswith("hub_")
    assert fits_the_screen(page)
    page.screenshot(path=SCREENSHOTS.format("account"), full_page=True)
    for url in (
        "/people/",
        f"/people/{records.person_id}",
        f"/people/{records.person_id}/erase",
        "/locations/",
        f"/locations/{records.location_id}/edit",
        "/admin/",
        "/admin/users/",
        f"/admin/users/{records.user_id}",
        "/admin/plugins/",
        "/admin/audit/",
        "/admin/exports/",
        "/no/such/page",
    ):
        page.goto(url)
        assert fits_the_screen(page), url
        assert page.get_by_role("heading", level=1).count() == 1, url
    page.goto("/admin/audit/")
    page.wait_for_load_state()
    page.screenshot(path=SCREENSHOTS.format("audit"), full_page=True)


def test_a_phone_folds_the_links_behind_a_menu_that_works_without_javascript(
    browser, live_server, accounts
):
    """Both plugins' links once wrapped to four rows above the volunteers' quick log."""
    context = browser.new_context(
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        java_script_enabled=False,
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    browser_login(page, accounts["volunteer"])
    page.goto("/foodbank/quick")
    nav = page.get_by_role("navigation", name="Main")
    links = nav.get_by_role("link", include_hidden=True)  # role queries skip hidden ones
    labels = links.all_text_contents()
    assert {"Log a parcel", "Households", "Log an item", "Repairs"} <= set(labels)
    assert not any(link.is_visible() for link in links.all())
    # Was 288 (four rows of links); now the menu and one row of the other quick logs.
    assert page.get_by_role("main").bounding_box()["y"] <= 180
    quick = page.get_by_role("navigation", name="Quick logs").get_by_role("link")
    assert quick.all_inner_texts() == ["Log an item"]  # the one on this page left out
    assert quick.first.is_visible() and quick.first.bounding_box()["height"] >= 44
    assert page.get_by_label("Voucher or household code").is_visible()

    menu = nav.locator("summary")
    assert " ".join(menu.text_content().split()) == "Menu, this page: Log a parcel"
    assert menu.bounding_box()["height"] >= 44
    menu.tap()
    for link in links.all():
        assert link.is_visible()
        box = link.bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"]
    assert nav.locator("[aria-current]").all_inner_texts() == ["Log a parcel"]
    assert fits_the_screen(page)
    page.screenshot(path=SCREENSHOTS.format("menu-open"), full_page=True)

    nav.get_by_role("link", name="Repair café").tap()
    page.wait_for_url("**/repaircafe/")
    assert links.count() == len(labels) and not links.first.is_visible()  # folded again
    assert " ".join(menu.text_content().split()) == "Menu, this page: Repair café"
    context.close()


def test_a_desktop_shows_every_link_without_a_menu(desktop_page, accounts):
    page = desktop_page
    browser_login(page, accounts["volunteer"])
    page.goto("/foodbank/quick")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.locator("summary").is_hidden()
    links = nav.get_by_role("link")
    assert links.count() >= 10
    for link in links.all():
        assert link.is_visible()
    assert nav.locator("[aria-current]").all_inner_texts() == ["Log a parcel"]
    page.screenshot(path=SCREENSHOTS.format("desktop-nav"))

    nav.get_by_role("link", name="Households").click()
    page.wait_for_url("**/foodbank/households")
