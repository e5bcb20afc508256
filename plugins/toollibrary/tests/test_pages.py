"""The counter and the coordinators' pages, through the real sign-in and forms."""

from __future__ import annotations

import re

from hub.testing import csrf_token, login


def _token(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, "the check-out form carries a one-time token"
    return found.group(1)


def test_check_out_and_in_at_the_counter(library, app, accounts):
    drill = library.item(kit_parts=["battery", "charger"], deposit_pence=1000)
    ann = library.member()
    browser = app.test_client()
    login(browser, accounts["volunteer"])

    page = browser.get(f"/toollibrary/counter?item={drill['number'].lower()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Check out" in html and drill["number"] in html
    form = {"csrf_token": csrf_token(html), "token": _token(html), "item_number": drill["number"]}

    lent = browser.post("/toollibrary/counter/checkout", data={**form, "member_code": ann["code"]})
    assert lent.status_code == 302
    again = browser.post("/toollibrary/counter/checkout", data={**form, "member_code": ann["code"]})
    assert again.status_code == 302  # a double tap: the same loan, said so
    followed = browser.get("/toollibrary/counter").get_data(as_text=True)
    assert "Already lent" in followed and "Take a deposit of £10.00" in followed
    assert library.ok("GET", f"/loans?item_id={drill['id']}")["total"] == 1

    html = browser.get(f"/toollibrary/counter?item={drill['number']}").get_data(as_text=True)
    assert "Check in" in html and ann["code"] in html
    (loan,) = library.ok("GET", f"/loans?item_id={drill['id']}")["items"]
    back = browser.post(
        f"/toollibrary/counter/checkin/{loan['id']}",
        data={
            "csrf_token": csrf_token(html),
            "condition": "good",
            "missing_parts": "charger",
            "deposit_returned": "y",
        },
    )
    assert back.status_code == 302
    followed = browser.get("/toollibrary/counter").get_data(as_text=True)
    assert "Maintenance ticket" in followed and "Give back the deposit of £10.00" in followed
    assert library.ok("GET", f"/items/{drill['id']}")["availability"] == "in_repair"


def test_the_counter_finds_a_member_by_name_and_says_what_is_wrong(library, app, accounts):
    drill = library.item()
    ann = library.member("Ann Jones")
    browser = app.test_client()
    login(browser, accounts["volunteer"])
    html = browser.get(f"/toollibrary/counter?item={drill['number']}").get_data(as_text=True)
    form = {"csrf_token": csrf_token(html), "token": _token(html), "item_number": drill["number"]}

    found = browser.post("/toollibrary/counter/checkout", data={**form, "member_code": "ann"})
    assert found.status_code == 422
    assert f'value="{ann["code"]}"' in found.get_data(as_text=True)  # one tap on her name
    nobody = browser.post("/toollibrary/counter/checkout", data={**form, "member_code": "zed"})
    assert nobody.status_code == 422 and "No member has this code or name" in nobody.get_data(
        as_text=True
    )
    assert browser.get("/toollibrary/counter?item=NOPE").status_code == 404
    bad = browser.post("/toollibrary/counter/checkout", data={**form, "token": "x"})
    assert bad.status_code == 400


def test_the_pages_render_for_each_role(library, app, accounts):
    drill = library.item("Drill 50% off_", kit_parts=["battery"])
    library.lend(drill, library.member())
    for role, pages in {
        "viewer": [
            "/toollibrary/",
            "/toollibrary/loans?state=overdue",
            "/toollibrary/tickets",
            f"/toollibrary/items/{drill['id']}",
            "/",
        ],
        "coordinator": [
            "/toollibrary/members",
            "/toollibrary/renewals",
            "/toollibrary/items/new",
            "/toollibrary/members/new",
            "/toollibrary/counter",
        ],
    }.items():
        browser = app.test_client()
        login(browser, accounts[role])
        for path in pages:
            response = browser.get(path)
            assert response.status_code == 200, (role, path)
    browser = app.test_client()
    login(browser, accounts["viewer"])
    assert browser.get("/toollibrary/counter").status_code == 403
    # A search for "%" finds only names with a "%" in them.
    found = browser.get("/toollibrary/?q=50%25").get_data(as_text=True)
    assert "Showing 1\u20131 of 1" in found
    assert "None yet" in browser.get("/toollibrary/?q=%25%25").get_data(as_text=True)
