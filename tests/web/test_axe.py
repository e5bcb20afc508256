"""Every page, on a phone, checked by axe-core (vendored, never fetched) and for width:
no serious or critical accessibility problem, nothing that scrolls sideways, and no
chart label cut off at its chart's edge."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from hub.testing import CLIPPED_CHART_LABELS, browser_login, load_demo_data

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PLUGINS = ["foodbank", "repaircafe", "toollibrary", "skillshare"]
# Not pages: downloads, feeds, the API and its documents, signing out.
NOT_PAGES = (
    "/api/",
    "/static/",
    ".ics",
    ".csv",
    ".json",
    ".svg",
    "/logout",
    "/exports/",
    "/downloads/",
)


@pytest.fixture
def app(make_app: Any) -> Any:
    """The hub with the plugins whose pages this session's issue covers."""
    return make_app(plugins=PLUGINS)


def _api(client: Any, account: Any, method: str, path: str, body: Any, **headers: str) -> Any:
    answer = client.open(path, method=method, json=body, headers={**account.headers, **headers})
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)
    return answer.json


@pytest.fixture
def records(app: Any, client: Any, accounts: dict[str, Any]) -> dict[str, int]:
    """One of everything a page shows: a household with a voucher and a parcel (and a
    voided one), a donation, a repair café event with a record; the tool library's and
    the skill-share's demo data (items, members, loans, accounts, exchanges, offers and
    requests, workshops)."""
    coordinator = accounts["coordinator"]
    location = _api(client, coordinator, "POST", "/api/v1/locations", {"name": "Church Hall"})
    food = "/api/v1/foodbank"
    agency = _api(
        client, coordinator, "POST", f"{food}/agencies", {"name": "Advice", "agency_type": "advice"}
    )
    household = _api(
        client,
        coordinator,
        "POST",
        f"{food}/households",
        {"adults": 2, "postcode_district": "CF11"},
    )
    voucher = _api(
        client,
        coordinator,
        "POST",
        f"{food}/vouchers",
        {"household_id": household["id"], "agency_id": agency["id"], "reasons": ["debt"]},
    )
    parcels = [
        _api(
            client,
            coordinator,
            "POST",
            f"{food}/parcels",
            {"location_id": location["id"], **whose},
            **{"Idempotency-Key": uuid.uuid4().hex},
        )
        for whose in ({"voucher_code": voucher["code"]}, {"household_id": household["id"]})
    ]
    _api(
        client, coordinator, "POST", f"{food}/parcels/{parcels[1]['id']}/void", {"reason": "twice"}
    )
    donation = _api(
        client,
        coordinator,
        "POST",
        f"{food}/donations",
        {"donor_type": "public", "lines": [{"category": "tinned_veg", "grams": 5000}]},
    )
    cafe = "/api/v1/repaircafe"
    event = _api(
        client,
        coordinator,
        "POST",
        f"{cafe}/events",
        {
            "title": "Repair Café",
            "date": dt.date.today().isoformat(),
            "location_id": location["id"],
        },
    )
    record = _api(
        client,
        coordinator,
        "POST",
        f"{cafe}/records",
        {
            "event_id": event["id"],
            "product_category_id": 14,
            "status": "end_of_life",
            "barrier": "spare-parts-not-available",
            "problem": "Element gone; " + "the long story of the kettle " * 12,
            "brand": "Russell Hobbs",
        },
    )
    for plugin in ("toollibrary", "skillshare"):
        load_demo_data(app, plugin)
    viewer = accounts["admin"]
    item = _api(client, viewer, "GET", "/api/v1/toollibrary/items", None)["items"][0]
    member = _api(client, viewer, "GET", "/api/v1/toollibrary/members", None)["items"][0]
    listing = _api(client, viewer, "GET", "/api/v1/skillshare/listings", None)["items"][0]
    workshop = _api(client, viewer, "GET", "/api/v1/skillshare/workshops", None)["items"][0]
    return {
        "item_id": item["id"],
        # The skill-share's members are numbered from 1 too: this id opens one of each.
        "member_id": member["id"],
        "account_id": _api(client, viewer, "GET", "/api/v1/skillshare/accounts/bank", None)["id"],
        "listing_id": listing["id"],
        "workshop_id": workshop["id"],
        "household_id": household["id"],
        "voucher_id": voucher["id"],
        "parcel_id": parcels[0]["id"],
        "donation_id": donation["id"],
        "event_id": event["id"],
        "record_id": record["id"],
        "agency_id": agency["id"],
        "location_id": location["id"],
    }


def _pages(app: Any, ids: dict[str, int]) -> list[str]:
    """Every page the hub serves: each GET address, its ids filled in from ``ids``."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or any(part in rule.rule for part in NOT_PAGES):
            continue
        values = {}
        for argument in rule.arguments:
            if argument not in ids:
                break
            values[argument] = ids[argument]
        else:
            with app.test_request_context():
                from flask import url_for

                pages.append(url_for(rule.endpoint, **values))
    return sorted(set(pages))


def test_every_page_passes_axe_and_fits_a_phone(app, records, accounts, phone_page):
    page = phone_page
    # The tool library's label sheet loads a barcode and a QR code per demo item: on a
    # busy machine that takes longer than the other pages' ten seconds.
    page.set_default_navigation_timeout(60_000)
    browser_login(page, accounts["admin"])
    problems: dict[str, Any] = {}
    pages = _pages(app, records)
    assert len(pages) > 30, pages
    assert f"/skillshare/listings/{records['listing_id']}" in pages
    axe_source = AXE.read_text(encoding="utf-8") + "\n;true"
    for address in pages:
        # A download (an export) is no page: asked for first, as the browser would.
        first = page.request.get(address, max_redirects=0)
        kind = first.headers.get("content-type") or ""
        if "attachment" in (first.headers.get("content-disposition") or "") or not (
            kind.startswith("text/html") or first.status in (301, 302, 303, 307, 308)
        ):
            continue
        answer = page.goto(address)
        assert answer is not None and answer.status < 500, address
        if not (answer.headers.get("content-type") or "").startswith("text/html"):
            continue
        page.wait_for_load_state()
        # Evaluated through the browser's devtools, which the pages' script policy allows.
        page.evaluate(axe_source)
        found = page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations
                    .filter(v => v.impact === "serious" || v.impact === "critical")
                    .map(v => ({id: v.id, impact: v.impact,
                                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
            }"""
        )
        wide = page.evaluate("document.documentElement.scrollWidth - screen.width")
        clipped = page.evaluate(CLIPPED_CHART_LABELS)
        if found or wide > 0 or clipped:
            problems[address] = {"axe": found, "too_wide_px": max(wide, 0), "clipped": clipped}
    assert not problems, json.dumps(problems, indent=1)
