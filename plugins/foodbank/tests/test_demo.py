"""The demo looks like a real food bank's year: busy winters, referral evidence, short stock."""

from __future__ import annotations

import datetime as dt

from hub.plugin_api import Location, Period, get_session
from hub.testing import login


def test_demo_year(app, fb, published, runner):
    today = dt.date.today()
    with app.app_context():
        session = get_session()
        from hub.models import OpeningTime

        hall = session.get(Location, fb.location_id)
        hall.opening_times = [
            OpeningTime(weekday=1, opens=dt.time(10), closes=dt.time(13)),
            OpeningTime(weekday=4, opens=dt.time(17), closes=dt.time(19)),
        ]
        centre = Location(name="Riverside Community Centre")
        centre.opening_times = [OpeningTime(weekday=5, opens=dt.time(10), closes=dt.time(14))]
        session.add(centre)
        session.flush()
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
