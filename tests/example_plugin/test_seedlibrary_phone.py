"""A volunteer lends seed from a phone through the example's quick lend form."""

from __future__ import annotations

import pytest

from hub.testing import browser_login, main_menu


@pytest.mark.browser
def test_volunteer_lends_seed_on_a_phone(phone_page, live_server, accounts, members):
    coordinator = accounts["coordinator"].headers
    created = live_server.app.test_client().post(
        "/api/v1/seedlibrary/varieties",
        json={"name": "Uchiki Kuri squash", "crop": "squash", "packets_in_stock": 4},
        headers=coordinator,
    )
    assert created.status_code == 201
    page = phone_page
    browser_login(page, accounts["volunteer"])
    main_menu(page).get_by_role("link", name="Seed library").tap()
    page.wait_for_url("**/seedlibrary/")
    page.get_by_label("Variety").select_option(label="Uchiki Kuri squash (4 left)")
    page.get_by_label("Member").select_option(label="Owain Bevan")
    page.get_by_label("Packets").fill("3")
    lend = page.get_by_role("button", name="Lend")
    box = lend.bounding_box()
    assert box["height"] >= 44  # a comfortable touch target
    assert box["x"] + box["width"] <= 390  # fits the phone's width
    lend.tap()
    page.get_by_text("Lent 3 packets of Uchiki Kuri squash.").wait_for()
    assert page.get_by_role("cell", name="1", exact=True).count() == 1
