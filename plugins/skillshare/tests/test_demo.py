"""The demo: a year of a time bank that adds up, with figures and pages to show."""

from __future__ import annotations

import datetime as dt
import json

from hub.testing import load_demo_data, login


def test_a_year_of_demo_data_adds_up_and_is_published(app, accounts, runner, clock):
    clock.set(dt.date(2025, 11, 28))
    load_demo_data(app, "skillshare")
    check = runner.invoke("skillshare", "check")
    assert check.exit_code == 0, check.output
    result = runner.invoke("metrics", "--plugin", "skillshare", "--period", "2025-10", "--json")
    assert result.exit_code == 0, result.output
    (october,) = json.loads(result.output)
    figures = october["metrics"]
    assert figures["exchanges"] > 20 and figures["minutes_exchanged.garden"] > 0
    assert figures["active_members"] >= 10
    assert figures["workshops_held"] == 1 and figures["workshop_attendances"] >= 3
    browser = app.test_client()
    login(browser, accounts["coordinator"])
    dashboard = browser.get("/").get_data(as_text=True)
    assert "Hours exchanged per week" in dashboard and "Exchanges to confirm" in dashboard
    broker = browser.get("/skillshare/broker").get_data(as_text=True)
    assert "Waiting for an answer you can give" in broker
    volunteer = app.test_client()
    login(volunteer, accounts["volunteer"])  # the demo's volunteer is a member
    mine = volunteer.get("/skillshare/").get_data(as_text=True)
    assert "My balance" in mine
    coming = browser.get("/skillshare/workshops").get_data(as_text=True)
    assert coming.count('class="card"') == 2 and "full: waitlist" in coming
    listed = browser.get("/skillshare/listings").get_data(as_text=True)
    assert "Lifts to appointments in town" in listed and "tame an overgrown garden" in listed
    assert "Putting up a curtain pole" not in listed  # withdrawn
