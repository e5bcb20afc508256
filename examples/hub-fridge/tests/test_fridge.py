"""The community fridge through the hub's public surfaces: its API, its page, its panel,
its published figures, its demo and its export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from hub.testing import csrf_token, load_demo_data, login

FRIDAY = dt.date(2025, 3, 14)  # in ISO week 2025-W11


def published(runner, period: str) -> dict[str, int | None]:
    result = runner.invoke("metrics", "--plugin", "fridge", "--period", period, "--json")
    assert result.exit_code == 0, result.output
    (figures,) = json.loads(result.output)
    return figures["metrics"]


def signed_in(app, account):
    browser = app.test_client()
    login(browser, account)
    return browser


def test_food_in_and_visits_over_the_api_are_published(client, accounts, runner, clock):
    clock.set(FRIDAY)
    volunteer = accounts["volunteer"].headers
    for body in ({"source": "shop", "grams": 12_500}, {"source": "public", "grams": 800}):
        assert (
            client.post("/api/v1/fridge/donations", json=body, headers=volunteer).status_code == 201
        )
    for people in (1, 4, 2):
        made = client.post("/api/v1/fridge/visits", json={"people": people}, headers=volunteer)
        assert made.status_code == 201 and made.json["visited_on"] == FRIDAY.isoformat()
    listed = client.get("/api/v1/fridge/visits", headers=accounts["viewer"].headers).json
    assert listed["total"] == 3 and [v["people"] for v in listed["items"]] == [2, 4, 1]

    week = published(runner, "2025-W11")
    assert week == {
        "donations.public": 1,
        "donations.shop": 1,
        "donations.grower": 0,
        "grams_donated": 13_300,
        "visits": 3,
        "people_fed": None,  # a people count: published for months only
    }
    assert published(runner, "2025-W12")["visits"] == 0
    # A month's people counts wait until it has settled, a week after it ends.
    assert published(runner, "2025-03")["people_fed"] is None
    clock.set(dt.date(2025, 4, 8))
    assert published(runner, "2025-03")["people_fed"] == 5  # 7 people, rounded to 5


def test_a_people_count_under_five_is_suppressed(client, accounts, runner, clock):
    clock.set(FRIDAY)
    client.post("/api/v1/fridge/visits", json={"people": 2}, headers=accounts["volunteer"].headers)
    clock.set(dt.date(2025, 4, 8))  # settled: suppressed for being small, not for being new
    assert published(runner, "2025-03")["people_fed"] is None


def test_the_api_refuses_what_does_not_fit(client, accounts, clock):
    clock.set(FRIDAY)
    volunteer = accounts["volunteer"].headers
    for path, body, field in [
        ("/donations", {"source": "shop", "grams": 2.5}, "grams"),
        ("/donations", {"source": "shop", "grams": "2500"}, "grams"),
        ("/donations", {"source": "shop", "grams": 0}, "grams"),
        ("/donations", {"source": "pirates", "grams": 500}, "source"),
        ("/donations", {"source": "shop", "grams": 500, "given_on": "2025-03-15"}, "given_on"),
        ("/visits", {"people": 0}, "people"),
        ("/visits", {"people": True}, "people"),
        ("/visits", {"people": 10**40}, "people"),
        ("/visits", {"people": 1, "colour": "red"}, "colour"),
    ]:
        response = client.post(f"/api/v1/fridge{path}", json=body, headers=volunteer)
        assert response.status_code == 422, (path, body)
        assert field in response.json["details"], (path, body)
    viewer = client.post("/api/v1/fridge/visits", json={}, headers=accounts["viewer"].headers)
    assert viewer.status_code == 403
    assert client.get(f"/api/v1/fridge/visits?page={2**62}", headers=volunteer).json["items"] == []


def test_the_quick_page_logs_a_visit_in_one_tap_and_says_what_is_wrong(app, accounts, clock):
    clock.set(FRIDAY)
    browser = signed_in(app, accounts["volunteer"])
    page = browser.get("/fridge/").get_data(as_text=True)
    assert 'name="people" type="number" value="1"' in page
    token = csrf_token(page)
    assert (
        browser.post("/fridge/visits", data={"csrf_token": token, "people": "1"}).status_code == 302
    )
    given = browser.post(
        "/fridge/donations", data={"csrf_token": token, "grams": "2,5", "source": "grower"}
    )
    assert given.status_code == 302
    thanked = browser.get("/fridge/").get_data(as_text=True)
    assert "Thank you: 2.5 kg recorded." in thanked and "2.5 kg" in thanked
    for field, data in [
        ("grams", {"grams": "9" * 10_000, "source": "shop"}),
        ("grams", {"grams": "-5", "source": "shop"}),
        ("source", {"grams": "2", "source": "x" * 10_000}),
        ("given_on", {"grams": "2", "source": "shop", "given_on": "2025-03-15"}),
    ]:
        wrong = browser.post("/fridge/donations", data={"csrf_token": token, **data})
        assert wrong.status_code == 422, data
        assert f'id="{field}-error"' in wrong.get_data(as_text=True), data
    viewer = signed_in(app, accounts["viewer"])
    seen = viewer.get("/fridge/").get_data(as_text=True)
    assert "Log the visit" not in seen
    refused = viewer.post("/fridge/visits", data={"csrf_token": csrf_token(seen), "people": "1"})
    assert refused.status_code == 403


def test_the_dashboard_panel_shows_the_week(app, client, accounts, clock):
    clock.set(FRIDAY)
    client.post("/api/v1/fridge/visits", json={"people": 3}, headers=accounts["volunteer"].headers)
    dashboard = signed_in(app, accounts["viewer"]).get("/").get_data(as_text=True)
    assert "The fridge this week" in dashboard and "<dt>People fed</dt><dd>3</dd>" in dashboard


def test_a_year_of_demo_data(app, runner, clock):
    clock.set(FRIDAY)
    load_demo_data(app, "fridge")
    february = published(runner, "2025-02")
    assert 28 * 2 <= february["visits"] <= 28 * 9 and february["grams_donated"] > 0
    result = runner.invoke("metrics", "--plugin", "fridge", "--json")
    assert result.exit_code == 0 and len(json.loads(result.output)) > 60  # weeks and months


def test_the_export_is_a_spreadsheet_of_food_given_in(client, accounts, runner, clock):
    clock.set(FRIDAY)
    client.post(
        "/api/v1/fridge/donations",
        json={"source": "grower", "grams": 4200},
        headers=accounts["volunteer"].headers,
    )
    result = runner.invoke("export", "fridge-donations")
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.output))) == [
        ["date", "source", "grams"],
        ["2025-03-14", "grower", "4200"],
    ]
