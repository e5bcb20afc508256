"""A fixer logs items from a phone-sized browser in a few taps."""

from __future__ import annotations

import datetime as dt

import pytest
from hub_repaircafe.models import RepairEvent, RepairRecord

from hub.plugin_api import get_session
from hub.testing import browser_login


@pytest.mark.browser
def test_fixer_logs_items_from_a_phone(app, accounts, phone_page, main_menu):
    with app.app_context():
        session = get_session()
        session.add(RepairEvent(title="Riverside Repair Café", date=dt.date.today()))
        session.commit()
    page = phone_page
    browser_login(page, accounts["volunteer"])
    main_menu(page).get_by_role("link", name="Log an item").tap()
    page.wait_for_url("**/log?once=*")  # a fresh one-time token in the address

    barrier = page.locator("#barrier-choices")
    assert barrier.is_hidden()  # asked for only when the item is End of life
    page.fill("#category-search", "kett")
    kettle = page.get_by_label("Kettle")
    assert page.get_by_label("Vacuum").is_hidden()
    kettle.tap()
    page.wait_for_function("document.activeElement.name === 'status'")  # on to the outcome
    page.get_by_label("Fixed").tap()
    page.get_by_role("button", name="Save item").tap()
    page.get_by_text("Saved: Kettle, Fixed").wait_for()

    page.fill("#category-search", "vacuum")
    page.get_by_label("Vacuum").tap()
    page.get_by_label("End of life").tap()
    assert barrier.is_visible()
    page.get_by_label("Spare parts not available").tap()
    page.get_by_role("button", name="Save item").tap()
    page.get_by_text("Saved: Vacuum, End of life").wait_for()
    assert page.evaluate("document.activeElement.id") == "category-search"  # the next item

    # Back to the vacuum's form, unsure it was saved: the page says it was, and links it.
    page.go_back()
    page.wait_for_load_state()
    already = page.locator("#already")
    assert "Already logged: Vacuum, End of life" in already.inner_text()
    assert "#record-" in already.get_by_role("link", name="Open it").get_attribute("href")

    with app.app_context():
        saved = [
            (r.product_category_id, r.status, r.barrier)
            for r in get_session().query(RepairRecord).order_by(RepairRecord.id)
        ]
    assert saved == [(14, "fixed", None), (34, "end_of_life", "spare-parts-not-available")]
