"""Offers and requests: made by members, found by words and filters through the one pager,
a member's own list, and requests matched to offers by category and area."""

from __future__ import annotations

API = "/api/v1/skillshare"
LISTINGS = f"{API}/listings"


def offer(client, member, title, skill, area="Northside", kind="offer", **extra):
    body = {"kind": kind, "title": title, "skill": skill, "area": area, **extra}
    response = client.post(LISTINGS, json=body, headers=member.headers)
    assert response.status_code == 201, response.json
    return response.json


def titles(response):
    assert response.status_code == 200, response.json
    return [item["title"] for item in response.json["items"]]


def test_offers_and_requests_are_found_and_matched(client, make_member, accounts):
    ana, ben, cai = make_member("Ana"), make_member("Ben"), make_member("Cai")
    lawn = offer(client, ana, "Lawn mowing 100% reliable", "gardening", availability=["weekends"])
    assert lawn["category"] == "garden" and lawn["availability"] == ["weekends"]
    offer(client, ben, "Hedge_trimming", "gardening", area="Riverside")
    offer(client, cai, "Veg patch help", "allotment")
    offer(client, cai, "Help with forms", "forms")
    wanted = offer(client, ben, "Someone to cut my grass", "gardening", kind="request")
    viewer = accounts["viewer"].headers

    assert titles(client.get(f"{LISTINGS}?q=100%25", headers=viewer)) == [lawn["title"]]
    assert titles(client.get(f"{LISTINGS}?q=e_t", headers=viewer)) == ["Hedge_trimming"]
    assert titles(client.get(f"{LISTINGS}?q=%25", headers=viewer)) == [lawn["title"]]
    gardens = client.get(f"{LISTINGS}?category=garden&kind=offer&per_page=2", headers=viewer)
    assert gardens.json["total"] == 3 and gardens.json["pages"] == 2
    assert titles(client.get(f"{LISTINGS}?area=Riverside", headers=viewer)) == ["Hedge_trimming"]

    matches = titles(client.get(f"{LISTINGS}/{wanted['id']}/matches", headers=viewer))
    # Same category, not Ben's own; the same area and skill first.
    assert matches == ["Lawn mowing 100% reliable", "Veg patch help"]

    withdrawn = client.patch(
        f"{LISTINGS}/{lawn['id']}", json={"active": False}, headers=ana.headers
    )
    assert withdrawn.status_code == 200
    assert "Lawn mowing 100% reliable" not in titles(client.get(LISTINGS, headers=viewer))
    mine = titles(client.get(f"{LISTINGS}?mine=true", headers=ana.headers))
    assert mine == ["Lawn mowing 100% reliable"]  # one's own list keeps the withdrawn
    not_hers = client.patch(
        f"{LISTINGS}/{wanted['id']}", json={"title": "Mine"}, headers=ana.headers
    )
    assert not_hers.status_code == 409


def test_an_exchange_against_an_offer_takes_its_category(client, make_member):
    ana, ben, cai = make_member("Ana"), make_member("Ben"), make_member("Cai")
    lifts = offer(client, ana, "Lifts to town", "lifts")
    transfer = {"from_account": ben.account, "to_account": ana.account, "minutes": 40}
    made = client.post(
        f"{API}/exchanges",
        json={"listing": lifts["id"], "transfers": [transfer]},
        headers=ben.headers,
    )
    assert made.status_code == 201 and made.json["category"] == "transport"
    assert made.json["listing"] == lifts["id"]
    others = {"from_account": ben.account, "to_account": cai.account, "minutes": 40}
    refused = client.post(
        f"{API}/exchanges",
        json={"listing": lifts["id"], "transfers": [others]},
        headers=ben.headers,
    )
    assert refused.status_code == 422 and "listing" in refused.json["details"]
    nothing = client.post(f"{API}/exchanges", json={"transfers": [transfer]}, headers=ben.headers)
    assert nothing.status_code == 422 and "category" in nothing.json["details"]


def test_listings_refuse_what_does_not_fit(client, make_member, accounts):
    ana = make_member("Ana")
    for body, field in [
        ({"kind": "swap", "title": "Lifts", "skill": "lifts"}, "kind"),
        ({"kind": "offer", "title": "Lifts", "skill": "teleport"}, "skill"),
        ({"kind": "offer", "title": "x" * 10_000, "skill": "lifts"}, "title"),
        ({"kind": "offer", "title": "Lifts", "skill": "lifts", "area": "y" * 61}, "area"),
        (
            {"kind": "offer", "title": "Lifts", "skill": "lifts", "availability": ["never"]},
            "availability",
        ),
    ]:
        response = client.post(LISTINGS, json=body, headers=ana.headers)
        assert response.status_code == 422 and field in response.json["details"], body
    not_a_member = client.post(
        LISTINGS,
        json={"kind": "offer", "title": "Lifts", "skill": "lifts"},
        headers=accounts["volunteer"].headers,
    )
    assert not_a_member.status_code == 409


def test_the_listings_pages(app, make_member):
    from hub.testing import csrf_token, login

    ana = make_member("Ana")
    browser = app.test_client()
    login(browser, ana)
    form = browser.get("/skillshare/listings/new").get_data(as_text=True)
    made = browser.post(
        "/skillshare/listings/new",
        data={"csrf_token": csrf_token(form), "kind": "offer", "title": "Guitar lessons",
              "skill": "music", "availability": ["weekday_evenings", "weekends"]},
    )  # fmt: skip
    assert made.status_code == 302
    shown = browser.get(made.headers["Location"]).get_data(as_text=True)
    assert "Guitar lessons" in shown and "Weekday evenings, Weekends" in shown
    found = browser.get("/skillshare/listings?q=guitar&kind=offer").get_data(as_text=True)
    assert "Guitar lessons" in found and "Showing 1\u20131 of 1" in found
    wrong = browser.post(
        "/skillshare/listings/new",
        data={"csrf_token": csrf_token(form), "kind": "offer", "title": "", "skill": "music"},
    )
    assert wrong.status_code == 422
