"""On phones (390x844, touch): two members record and confirm an exchange; a broker
confirms for an offline member and records one for them."""

from __future__ import annotations

import pytest

from hub import plugin_api as api
from hub.testing import browser_login

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def second_phone(browser, live_server):
    """Another member's phone, on the same hub."""
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def record(page, main_menu, other: str, minutes: str, category: str) -> None:
    main_menu(page).get_by_role("link", name="My time").tap()
    page.get_by_role("link", name="Record an exchange").tap()
    page.get_by_label("I gave time").tap()
    page.get_by_label("With whom?").select_option(label=other)
    page.get_by_label("How long, in minutes?").fill(minutes)
    page.get_by_label("What kind of help?").select_option(label=category)
    page.get_by_role("button", name="Record it").tap()


@pytest.mark.browser
def test_two_members_record_and_confirm_on_their_phones(
    make_member, phone_page, second_phone, main_menu
):
    ana, ben = make_member("Ana Price"), make_member("Ben Okafor")
    browser_login(phone_page, ana)
    record(phone_page, main_menu, "Ben Okafor, Northside", "90", "Gardening and outdoors")
    phone_page.get_by_text("waiting for the other member to confirm").wait_for()
    assert phone_page.locator("#balance").inner_text() == "0 min"

    browser_login(second_phone, ben)
    main_menu(second_phone).get_by_role("link", name="My time").tap()
    waiting = second_phone.get_by_role("region", name="To confirm")
    assert "Ben Okafor → Ana Price: 1 h 30 min" in waiting.inner_text()
    waiting.get_by_role("button", name="Confirm").tap()
    second_phone.get_by_text("Confirmed: the time is on both statements.").wait_for()
    assert second_phone.locator("#balance").inner_text() == "-1 h 30 min"

    phone_page.reload()
    assert phone_page.locator("#balance").inner_text() == "1 h 30 min"
    phone_page.get_by_role("link", name="My statement").tap()
    assert "Gardening and outdoors" in phone_page.locator("table").inner_text()


@pytest.mark.browser
def test_a_broker_confirms_and_records_for_an_offline_member(
    make_member, accounts, phone_page, second_phone, main_menu
):
    ana = make_member("Ana Price")
    make_member("Cai Rees", offline=True)
    make_member("Dee Walsh", offline=True)
    browser_login(second_phone, ana)
    record(
        second_phone,
        main_menu,
        "Cai Rees, Northside (offline)",
        "60",
        "Lifts, errands and shopping",
    )
    second_phone.get_by_text("waiting for the other member to confirm").wait_for()

    broker = phone_page
    browser_login(broker, accounts["coordinator"])
    main_menu(broker).get_by_role("link", name="Brokers").tap()
    waiting = broker.get_by_role("region", name="Waiting for an answer you can give")
    waiting.get_by_role("button", name="Confirm for Cai Rees").tap()
    broker.get_by_text("Confirmed: the time is on both statements.").wait_for()

    broker.get_by_label("Who helped?").select_option(label="Dee Walsh, Northside (offline)")
    broker.get_by_label("Who was helped?").select_option(label="Cai Rees, Northside (offline)")
    broker.get_by_label("How long, in minutes?").fill("45")
    broker.get_by_label("What kind of help?").select_option(label="Care and companionship")
    broker.get_by_role("button", name="Record it").tap()
    broker.get_by_text("Recorded and confirmed: 45 min.").wait_for()

    second_phone.reload()
    assert second_phone.locator("#balance").inner_text() == "1 h"
    recent = second_phone.get_by_role("region", name="Recent exchanges").inner_text()
    assert "confirmed by a broker" in recent


@pytest.mark.browser
def test_a_workshop_on_phones_offered_signed_up_for_and_attended(
    make_member, phone_page, second_phone, main_menu
):
    hal, ana = make_member("Hal Moss"), make_member("Ana Price")
    host, member = phone_page, second_phone
    browser_login(host, hal)
    main_menu(host).get_by_role("link", name="Workshops").tap()
    host.get_by_role("link", name="Offer a workshop").tap()
    host.get_by_label("What will people learn?").fill("Mending bicycles")
    host.get_by_label("Kind").select_option(label="Teaching, tutoring and languages")
    host.get_by_label("Date").fill(api.today().isoformat())
    host.get_by_label("Starts at").fill("18:30")
    host.get_by_label("How long, in minutes?").fill("120")
    host.get_by_label("Where?").fill("Northside library")
    host.get_by_label("How many places?").fill("8")
    host.get_by_role("button", name="Offer it").tap()
    host.get_by_text("Offered: Mending bicycles.").wait_for()

    browser_login(member, ana)
    main_menu(member).get_by_role("link", name="Workshops").tap()
    member.get_by_role("link", name="Mending bicycles").tap()
    member.get_by_role("button", name="Sign up").tap()
    member.get_by_text("You have a place.").wait_for()
    assert member.locator("#places-left").inner_text() == "7 of 8"

    host.reload()
    host.get_by_role("link", name="Take attendance").tap()
    host.get_by_label("Ana Price").check()
    host.get_by_role("button", name="Save attendance").tap()
    host.get_by_text("Attendance saved: 1 came. Hal Moss is credited 2 h.").wait_for()
    main_menu(host).get_by_role("link", name="My time").tap()
    assert host.locator("#balance").inner_text() == "2 h"
