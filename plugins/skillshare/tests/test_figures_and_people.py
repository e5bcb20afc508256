"""Published figures against hand-computed ones; statements as a page and CSV; export and
erasure of a member, after which the ledger still balances and no figure changes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from hub import plugin_api as api
from hub.testing import login
from hub_skillshare import metrics

API = "/api/v1/skillshare"
EXCHANGES = f"{API}/exchanges"
WEEK, MONTH = api.Period.parse("2025-W11"), api.Period.parse("2025-03")


def exchange(giver, receiver, minutes, category, on="2025-03-12", description=""):
    transfer = {"from_account": giver.account, "to_account": receiver.account, "minutes": minutes}
    body = {"category": category, "occurred_on": on, "transfers": [transfer]}
    return body | ({"description": description} if description else {})


@pytest.fixture
def march(client, make_member, accounts, clock):
    """A fortnight of a small time bank, every figure of which is worked out by hand below."""
    clock.set(dt.date(2025, 3, 14))
    ana, ben, dee = make_member("Ana"), make_member("Ben"), make_member("Dee")
    cai = make_member("Cai", offline=True, debit=60)
    coordinator = accounts["coordinator"].headers

    def post(body, by):
        response = client.post(EXCHANGES, json=body, headers=by)
        assert response.status_code == 201, response.json
        return response.json["id"]

    def confirm(exchange_id, by):
        answer = client.post(f"{EXCHANGES}/{exchange_id}/confirm", json={}, headers=by)
        assert answer.status_code == 200, answer.json

    # 1. Ben helped Ana in the garden for 90 minutes: counted.
    confirm(
        post(exchange(ana, ben, 90, "garden", description="=HYPERLINK(1)"), ana.headers),
        ben.headers,
    )
    # 2. Still waiting for Ana: not counted.
    post(exchange(ana, ben, 60, "tech"), ben.headers)
    # 3. A broker for Cai (offline), who received an hour of care from Ana: counted;
    #    Cai is now at his debit limit of an hour.
    confirm(post(exchange(cai, ana, 60, "care"), coordinator), ana.headers)
    # 4. Confirmed, then reversed as a mistake: counted nowhere.
    mistake = post(exchange(ana, dee, 30, "garden"), ana.headers)
    confirm(mistake, dee.headers)
    client.post(f"{EXCHANGES}/{mistake}/reverse", json={"reason": "Twice"}, headers=coordinator)
    # 5. Declined: not counted.
    declined = post(exchange(dee, ben, 45, "pets"), dee.headers)
    client.post(f"{EXCHANGES}/{declined}/decline", json={}, headers=ben.headers)
    # 6. The bank credited Ben for the community day, in the week before (month only).
    bank = client.get(f"{API}/accounts/bank", headers=coordinator).json["id"]
    day = exchange(ben, ben, 120, "community", on="2025-03-03")
    day["transfers"][0]["from_account"] = bank
    confirm(post(day, coordinator), ben.headers)
    return {"ana": ana, "ben": ben, "cai": cai, "dee": dee}


def raw_figures(app):
    with app.app_context():
        return metrics.compute(api.get_session(), [WEEK, MONTH])


def test_the_figures_are_the_hand_computed_ones(app, march):
    figures = raw_figures(app)
    zero = {f"minutes_exchanged.{code}": 0 for code in metrics.CATEGORIES} | dict.fromkeys(
        ("workshops_held", "workshop_attendances", "workshop_attendees"), 0
    )
    zero |= {f"needed.{code}": 0 for code in metrics.CATEGORIES}  # nobody asked for help
    assert figures[WEEK] == zero | {
        "minutes_exchanged.garden": 90,
        "minutes_exchanged.care": 60,
        "exchanges": 2,
        "active_members": 3,  # Ana, Ben, Cai (Dee's only exchanges were reversed or declined)
        "new_members": 4,
        "members_at_debit_limit": 1,  # Cai
    }
    assert figures[MONTH] == zero | {
        "minutes_exchanged.garden": 90,
        "minutes_exchanged.care": 60,
        "minutes_exchanged.community": 120,
        "exchanges": 3,
        "active_members": 3,
        "new_members": 4,
        "members_at_debit_limit": 1,
    }


def test_unmet_requests_are_the_hand_computed_needs(app, client, make_member, accounts, clock):
    """Spring 2025, with requests left unmet for 28 days (the default) published as
    needs at the end of March, April, and on 10 May for May under way."""
    coordinator = accounts["coordinator"].headers
    clock.set(dt.date(2025, 3, 3))
    ana, ben, cai, dee, eve, fay = (
        make_member(n) for n in ("Ana", "Ben", "Cai", "Dee", "Eve", "Fay")
    )

    def listing(member, skill, kind="request"):
        body = {"kind": kind, "title": f"Help with {skill}", "skill": skill}
        made = client.post(f"{API}/listings", json=body, headers=member.headers)
        assert made.status_code == 201, made.json
        return made.json["id"]

    def helped(helper, member, request, on):
        transfer = {"from_account": member.account, "to_account": helper.account, "minutes": 60}
        body = {"listing": request, "occurred_on": on, "transfers": [transfer]}
        made = client.post(EXCHANGES, json=body, headers=helper.headers)
        assert made.status_code == 201, made.json
        confirmed = client.post(
            f"{EXCHANGES}/{made.json['id']}/confirm", json={}, headers=member.headers
        )
        assert confirmed.status_code == 200, confirmed.json
        return made.json["id"]

    garden = listing(ana, "gardening")  # never met (its one exchange is reversed)
    lifts = listing(ben, "lifts")  # met on 20 March, then waits again
    tutoring = listing(dee, "tutoring")  # withdrawn on 15 April
    listing(cai, "cooking", kind="offer")  # an offer is never a need
    listing(cai, "pets")  # Cai leaves: a former member's request is no need
    client.patch(f"{API}/members/{cai.id}", json={"status": "left"}, headers=coordinator)
    clock.set(dt.date(2025, 3, 20))
    helped(eve, ben, lifts, "2025-03-20")
    computers = listing(fay, "computers")  # 28 days old on 17 April; met on 5 May
    clock.set(dt.date(2025, 4, 3))
    listing(ana, "music")  # 28 days old on 1 May: needed from May
    clock.set(dt.date(2025, 4, 15))
    client.patch(f"{API}/listings/{tutoring}", json={"active": False}, headers=dee.headers)
    clock.set(dt.date(2025, 5, 10))
    helped(eve, fay, computers, "2025-05-05")
    mistake = helped(eve, ana, garden, "2025-05-08")
    client.post(
        f"{EXCHANGES}/{mistake}/reverse", json={"reason": "Never happened"}, headers=coordinator
    )

    months = [api.Period.parse(m) for m in ("2025-03", "2025-04", "2025-05")]
    with app.app_context():
        figures = metrics.compute(api.get_session(), months)
    needs = {
        str(period): {
            k.partition(".")[2] for k, v in figures[period].items() if k.startswith("needed.") and v
        }
        for period in months
    }
    assert needs == {
        "2025-03": {"garden", "learning"},
        "2025-04": {"garden", "transport", "tech"},
        "2025-05": {"garden", "transport", "arts"},
    }
    assert {v for k, v in figures[months[0]].items() if k.startswith("needed.")} == {0, 1}


def test_the_workshop_figures_are_the_hand_computed_ones(app, client, make_member, clock, runner):
    """March 2025: a workshop on the 5th (Ana and Ben came, Cai did not), one on the
    12th (Ana and Dee came), one on the 13th nobody came to, one on the 14th whose
    attendance is not taken yet."""
    clock.set(dt.date(2025, 3, 3))
    hal = make_member("Hal")
    ana, ben, cai, dee = (make_member(name) for name in ("Ana", "Ben", "Cai", "Dee"))

    def workshop(day, signed_up, came):
        body = {"title": "Knitting circle", "category": "arts", "date": day, "starts_at": "14:00",
                "minutes": 60, "place": "Library", "places": 4}  # fmt: skip
        made = client.post(f"{API}/workshops", json=body, headers=hal.headers).json
        for member in signed_up:
            client.post(f"{API}/workshops/{made['id']}/signups", json={}, headers=member.headers)
        return made["id"], [m.id for m in came]

    held = [
        ("2025-03-05", *workshop("2025-03-05", [ana, ben, cai], [ana, ben])),
        ("2025-03-12", *workshop("2025-03-12", [ana, dee], [ana, dee])),
        ("2025-03-13", *workshop("2025-03-13", [ana], [])),
    ]
    workshop("2025-03-14", [ben], [])
    for day, workshop_id, present in held:
        clock.set(dt.date.fromisoformat(day))
        taken = client.post(
            f"{API}/workshops/{workshop_id}/attendance",
            json={"present": present},
            headers=hal.headers,
        )
        assert taken.status_code == 200, taken.json
    figures = raw_figures(app)
    workshops_of = {
        period: {k: v for k, v in figures[period].items() if k.startswith("workshop")}
        for period in (WEEK, MONTH)
    }
    assert workshops_of[WEEK] == {
        "workshops_held": 1,  # the 12th: the 13th had nobody, the 14th is not taken yet
        "workshop_attendances": 2,
        "workshop_attendees": 2,
    }
    assert workshops_of[MONTH] == {
        "workshops_held": 2,
        "workshop_attendances": 4,
        "workshop_attendees": 3,  # Ana twice, Ben, Dee
    }
    # Hal was credited an hour for each workshop someone came to, as time exchanged.
    assert figures[MONTH]["minutes_exchanged.arts"] == 120
    published = runner.invoke("metrics", "--plugin", "skillshare", "--period", "2025-03", "--json")
    (month,) = json.loads(published.output)
    assert month["metrics"]["workshop_attendances"] == 4  # events: exact
    assert month["metrics"]["workshop_attendees"] is None  # three people: suppressed


def test_the_statement_page_and_csv(app, march):
    ana = march["ana"]
    browser = app.test_client()
    login(browser, ana)
    page = browser.get(f"/skillshare/accounts/{ana.account}").get_data(as_text=True)
    assert "Statement" in page and "Showing 1\u20134 of 4" in page
    download = browser.get(f"/skillshare/accounts/{ana.account}/statement.csv")
    assert download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [int(r["minutes"]) for r in rows] == [-90, 60, -30, 30]
    assert [int(r["balance_after"]) for r in rows] == [-90, -30, -60, -30]
    assert rows[0]["description"] == "'=HYPERLINK(1)"  # a formula arrives as text
    other = browser.get(f"/skillshare/accounts/{march['ben'].account}")
    assert other.status_code == 403  # another member's statement is not Ana's to read


def test_export_and_erasure_leave_the_ledger_and_figures_whole(
    app, client, march, runner, accounts
):
    coordinator = accounts["coordinator"].headers
    cai = client.get(f"{API}/members/{march['cai'].id}", headers=coordinator).json
    exported = runner.invoke("person", "export", str(cai["person"]))
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["plugins"]["skillshare"]["account"]["balance_minutes"] == -60
    before = raw_figures(app)
    ana_before = client.get(
        f"{API}/accounts/{march['ana'].account}/statement", headers=coordinator
    ).json
    erased = runner.invoke("person", "erase", str(cai["person"]), "--yes")
    assert erased.exit_code == 0, erased.output
    assert runner.invoke("skillshare", "check").exit_code == 0
    assert raw_figures(app) == before
    ana_after = client.get(
        f"{API}/accounts/{march['ana'].account}/statement", headers=coordinator
    ).json
    assert [(i["minutes"], i["balance_after"]) for i in ana_after["items"]] == [
        (i["minutes"], i["balance_after"]) for i in ana_before["items"]
    ]
    gone = client.get(f"{API}/members/{march['cai'].id}", headers=coordinator).json
    assert gone["name"] == "(erased)" and gone["area"] == "" and gone["balance"] == -60


def test_the_published_figures_are_whole_and_people_counts_suppressed(runner, march):
    result = runner.invoke("metrics", "--plugin", "skillshare", "--period", "2025-W11", "--json")
    assert result.exit_code == 0, result.output
    (week,) = json.loads(result.output)
    assert week["metrics"]["exchanges"] == 2 and week["metrics"]["minutes_exchanged.care"] == 60
    # Fewer than five people: published as suppressed, never as the count.
    assert week["metrics"]["active_members"] is None
    assert week["metrics"]["members_at_debit_limit"] is None


def test_a_coordinator_approves_a_join_request_and_sets_a_limit(app, client, accounts):
    from hub.testing import csrf_token

    asking = client.post(
        f"{API}/join", json={"name": "Zofia Nowak", "area": "Old Town"},
        headers=accounts["volunteer"].headers,
    )  # fmt: skip
    assert asking.status_code == 201 and asking.json["status"] == "pending"
    twice = client.post(
        f"{API}/join", json={"name": "Zofia"}, headers=accounts["volunteer"].headers
    )
    assert twice.status_code == 409
    browser = app.test_client()
    login(browser, accounts["coordinator"])
    page = browser.get("/skillshare/members").get_data(as_text=True)
    assert "Asking to join" in page and "Approve Zofia Nowak" in page
    member_id = asking.json["id"]
    approved = browser.post(
        f"/skillshare/members/{member_id}/approve", data={"csrf_token": csrf_token(page)}
    )
    assert approved.status_code == 302
    me = client.get(f"{API}/members/me", headers=accounts["volunteer"].headers).json
    assert me["status"] == "active" and me["balance"] == 0
    form = browser.get(f"/skillshare/members/{member_id}").get_data(as_text=True)
    saved = browser.post(
        f"/skillshare/members/{member_id}",
        data={"csrf_token": csrf_token(form), "name": "Zofia Nowak", "area": "Old Town",
              "debit_limit": "300"},
    )  # fmt: skip
    assert saved.status_code == 302, saved.get_data(as_text=True)
    account = client.get(f"{API}/accounts/{me['account']}", headers=accounts["coordinator"].headers)
    assert account.json["debit_limit"] == 300 and account.json["credit_limit"] == 3000
    again = client.post(
        f"{API}/members/{member_id}/approve", headers=accounts["coordinator"].headers
    )
    assert again.status_code == 409
