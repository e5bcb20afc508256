"""The demo looks like a real food bank's year: busy winters, referral evidence, short stock."""

from __future__ import annotations

import datetime as dt

from hub.plugin_api import Location, Period, get_session


def test_demo_year(app, fb, published, runner, login):
    today = dt.date.today()
    coordinator = fb.accounts["coordinator"].headers
    hours = [
        {"weekday": 1, "opens": "10:00", "closes": "13:00"},
        {"weekday": 4, "opens": "17:00", "closes": "19:00"},
    ]
    changed = fb.client.patch(
        f"/api/v1/locations/{fb.location_id}", json={"opening_times": hours}, headers=coordinator
    )
    assert changed.status_code == 200, changed.json
    centre_id = fb.client.post(
        "/api/v1/locations",
        json={
            "name": "Riverside Community Centre",
            "opening_times": [{"weekday": 5, "opens": "10:00", "closes": "14:00"}],
        },
        headers=coordinator,
    ).json["id"]
    with app.app_context():
        session = get_session()
        hall, centre = session.get(Location, fb.location_id), session.get(Location, centre_id)
        plugins = app.extensions["hub.plugins"]
        plugins.call(
            "hub_demo_data",
            plugin="foodbank",
            session=session,
            today=today,
            locations=[hall, centre],
        )
        session.commit()

    last_month = str(Period.month_of(today).previous())
    figures = published(last_month)
    parcels = sum(v for k, v in figures.items() if k.startswith("parcels."))
    assert 150 < parcels < 600  # three sessions a week, 15-25 parcels each
    reasons = {k: v for k, v in figures.items() if k.startswith("referrals.")}
    assert max(reasons, key=reasons.get) == "referrals.low_income"
    assert figures["households_served"] >= 50 and figures["grams_donated"] > 0

    flagged = runner.invoke("foodbank", "flagged")
    assert flagged.exit_code == 0 and not flagged.output.startswith("0 households")

    client = app.test_client()
    login(client, fb.accounts["coordinator"])
    dashboard = client.get("/").get_data(as_text=True)
    assert "Low income" in dashboard and "Food parcels per week" in dashboard
    stock = fb.ok("GET", "/stock", role="viewer")
    assert sum(level["on_hand_grams"] for level in stock) > 100_000
