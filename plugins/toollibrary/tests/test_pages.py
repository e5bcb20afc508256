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
    ann = library.member()
    library.lend(drill, ann)
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


def test_holds_and_bookings_from_the_item_page(library, app, accounts):
    gazebo, ann, bob = library.item("Gazebo", "gazebos"), library.member(), library.member("Bob")
    library.lend(gazebo, ann)
    browser = app.test_client()
    login(browser, accounts["volunteer"])
    page = browser.get(f"/toollibrary/items/{gazebo['id']}").get_data(as_text=True)
    token = csrf_token(page)
    held = browser.post(
        f"/toollibrary/items/{gazebo['id']}/holds",
        data={"csrf_token": token, "member_code": bob["code"]},
        follow_redirects=True,
    )
    assert f"{bob['code']} is number 1 in the queue" in held.get_data(as_text=True)
    booking = {"csrf_token": token, "member_code": bob["code"]}
    early = browser.post(
        f"/toollibrary/items/{gazebo['id']}/reservations",
        data={**booking, "starts_on": "2025-03-20", "ends_on": "2025-03-22"},
        follow_redirects=True,
    )
    assert "on loan until" in early.get_data(as_text=True)
    booked = browser.post(
        f"/toollibrary/items/{gazebo['id']}/reservations",
        data={**booking, "starts_on": "2025-04-05", "ends_on": "2025-04-06"},
        follow_redirects=True,
    )
    assert f"Booked for {bob['code']}: Sat 05 Apr to Sun 06 Apr" in booked.get_data(as_text=True)
    (hold,) = library.ok("GET", f"/holds?item_id={gazebo['id']}")["items"]
    cancelled = browser.post(
        f"/toollibrary/holds/{hold['id']}/cancel", data={"csrf_token": token}, follow_redirects=True
    )
    assert "cancelled" in cancelled.get_data(as_text=True)
    stats = browser.get(f"/toollibrary/members/{ann['id']}").get_data(as_text=True)
    assert "Gazebo" in stats and "Out now" in stats


def test_a_coordinator_adds_a_membership_type(library, app, accounts):
    browser = app.test_client()
    login(browser, accounts["coordinator"])
    token = csrf_token(browser.get("/toollibrary/membership-types").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "name": "Family",
        "fee_pence": "3500",
        "length_days": "365",
        "borrowing_limit": "6",
        "loan_days": "14",
        "renewal_limit": "2",
        "active": "y",
    }
    assert browser.post("/toollibrary/membership-types", data=form).status_code == 302
    wrong = browser.post(
        "/toollibrary/membership-types", data={**form, "name": "Other", "loan_days": "0"}
    )
    assert wrong.status_code == 422 and 'id="loan_days-error"' in wrong.get_data(as_text=True)
    twice = browser.post("/toollibrary/membership-types", data=form)
    assert twice.status_code == 422 and "already a membership type" in twice.get_data(as_text=True)
    kinds = library.ok("GET", "/membership-types")["items"]
    assert [
        (k["name"], k["loan_days"], k["borrowing_limit"]) for k in kinds if k["name"] == "Family"
    ] == [("Family", 14, 6)]
