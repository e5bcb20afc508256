"""A volunteer whose browser asks for Welsh signs in, logs a parcel and a repair, and
reads the dashboard and /public: every text on those pages that the catalogues know in
English is shown in Welsh. On an instance running the food bank and the repair café,
the two services whose pages are translated."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest

from hub.db import get_session
from hub.models import Location
from hub.testing import browser_login, english_messages, hidden_inputs, login

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = [
    ROOT / "hub/translations/cy/LC_MESSAGES/messages.po",
    ROOT / "plugins/foodbank/hub_foodbank/translations/cy/LC_MESSAGES/foodbank.po",
    ROOT / "plugins/repaircafe/hub_repaircafe/translations/cy/LC_MESSAGES/repaircafe.po",
]
WELSH = {"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"}
PHONE = {"width": 390, "height": 844}


ENGLISH = english_messages(CATALOGUES)


def visible_texts(page: str) -> list[str]:
    page = re.sub(r"<(script|style|code)\b.*?</\1>", " ", page, flags=re.S | re.I)
    attributes = re.findall(r'\b(?:title|aria-label|placeholder|alt|data-label)="([^"]*)"', page)
    texts = [*attributes, *re.sub(r"<[^>]*>", "\n", page).split("\n")]
    return [" ".join(html.unescape(text).split()) for text in texts if text.strip()]


def english_on(page: str) -> list[str]:
    return [text for text in visible_texts(page) if text in ENGLISH]


@pytest.fixture
def app(make_app):
    return make_app(plugins=["foodbank", "repaircafe"])


def _setup(app, accounts):
    with app.app_context():
        session = get_session()
        session.add(Location(name="Neuadd yr Eglwys", postcode="CF11 6AA"))
        session.commit()
    client = app.test_client()
    coordinator = accounts["coordinator"].headers
    event = client.post(
        "/api/v1/repaircafe/events",
        json={"title": "Caffi Trwsio Treganna", "date": dt.date.today().isoformat()},
        headers=coordinator,
    )
    assert event.status_code == 201, event.text
    household = client.post(
        "/api/v1/foodbank/households", json={"adults": 2, "children_5_11": 1}, headers=coordinator
    )
    assert household.status_code == 201, household.text
    return event.json["id"], household.json


def test_a_welsh_volunteer_meets_no_english(app, accounts, runner):
    event_id, household = _setup(app, accounts)
    client = app.test_client()
    signin = client.get("/login", headers=WELSH)
    assert '<html lang="cy">' in signin.text and not english_on(signin.text)
    login(client, accounts["volunteer"])

    form = client.get(
        f"/foodbank/quick/log?household_id={household['id']}", headers=WELSH, follow_redirects=True
    )
    assert form.status_code == 200 and not english_on(form.text), english_on(form.text)
    assert f"Parsel i {household['code']}" in form.text and "Parsel bwyd brys" in form.text
    fields = {**hidden_inputs(form.text), "parcel_type": "emergency"}
    refused = client.post(form.request.full_path, data=fields, headers=WELSH)  # no location
    assert refused.status_code == 422 and "Mae angen llenwi’r maes hwn." in refused.text
    assert not english_on(refused.text), english_on(refused.text)
    where = re.search(r'<option value="(\d+)" selected>', form.text)
    assert where, "the location is chosen already"
    fields |= {"location_id": where[1], "method": "collected", "adults": "2", "children": "1"}
    fields["given_on"] = dt.date.today().isoformat()
    logged = client.post(form.request.full_path, data=fields, headers=WELSH, follow_redirects=True)
    assert f"Wedi’i gofnodi: parsel bwyd brys i aelwyd {household['code']}" in logged.text
    assert not english_on(logged.text), english_on(logged.text)

    repair = client.get(f"/repaircafe/events/{event_id}/log", headers=WELSH, follow_redirects=True)
    assert "Cofnodi eitem" in repair.text and "Tegell" in repair.text
    assert not english_on(repair.text), english_on(repair.text)
    saved = client.post(
        repair.request.full_path,
        data={**hidden_inputs(repair.text), "product_category_id": "14", "status": "fixed"},
        headers=WELSH,
        follow_redirects=True,
    )
    assert "Wedi’i gadw: Tegell, Wedi’i drwsio. Yn barod am yr eitem nesaf." in saved.text
    assert not english_on(saved.text), english_on(saved.text)

    published = runner.invoke("federation", "publish")
    assert published.exit_code == 0, published.output
    public = client.get("/public", headers=WELSH).text
    assert "Parseli bwyd a roddwyd" in public and "Eitemau a ddaeth" in public, public
    for address in ("/", "/public"):
        page = client.get(address, headers=WELSH)
        assert page.status_code == 200 and '<html lang="cy">' in page.text
        assert not english_on(page.text), (address, english_on(page.text))
    dashboard = client.get("/", headers=WELSH).text
    assert "Parseli bwyd bob wythnos" in dashboard and "Atgyweiriadau dros y 12 mis" in dashboard
    # Dates are Welsh: the weeks of the parcels chart are labelled with Welsh months.
    month = dt.date.today().month
    welsh_months = [
        "Ion",
        "Chwef",
        "Maw",
        "Ebr",
        "Mai",
        "Meh",
        "Gorff",
        "Awst",
        "Medi",
        "Hyd",
        "Tach",
        "Rhag",
    ]
    assert welsh_months[month - 1] in dashboard


def test_the_english_detector_finds_english(app, accounts):
    """The check above would catch an English page: the same pages in English fail it."""
    _setup(app, accounts)
    client = app.test_client()
    login(client, accounts["volunteer"])
    english = client.get("/", headers={"Accept-Language": "en-GB"}).text
    assert {"Dashboard", "Sign out", "Food parcels per week"} <= set(english_on(english))


@pytest.mark.browser
def test_the_quick_logs_in_welsh_fit_a_phone(app, accounts, browser, live_server):
    event_id, household = _setup(app, accounts)
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, base_url=live_server.url, locale="cy-GB"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)

    def fits() -> None:
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (page.url, width)

    try:
        browser_login(page, accounts["volunteer"])
        assert page.locator("html").get_attribute("lang") == "cy"
        fits()
        page.goto("/foodbank/quick")
        fits()
        page.fill("#code", household["code"])
        with page.expect_navigation():
            page.tap("#find")
        fits()
        with page.expect_navigation():
            page.tap("#confirm")
        assert page.locator("h1").inner_text() == f"Parsel i {household['code']}"
        fits()
        with page.expect_navigation():
            page.tap("#log-parcel")
        assert "Wedi’i gofnodi: parsel bwyd brys" in page.locator(".flash-success").inner_text()
        fits()

        page.goto(f"/repaircafe/events/{event_id}/log")
        fits()
        page.fill("#category-search", "teg")
        page.get_by_label("Tegell").tap()
        page.get_by_label("Wedi’i drwsio").tap()
        page.get_by_role("button", name="Cadw’r eitem").tap()
        page.get_by_text("Wedi’i gadw: Tegell, Wedi’i drwsio").wait_for()
        fits()
        page.get_by_label("Diwedd oes").tap()  # the barriers open: the longest form
        fits()
        page.goto("/")
        fits()
        page.goto("/public")
        fits()
    finally:
        context.close()
