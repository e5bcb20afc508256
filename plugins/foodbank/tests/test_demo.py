"""The demo looks like a real food bank's year: busy winters, referral evidence, short stock."""

from __future__ import annotations

from hub.plugin_api import Period, today
from hub.testing import load_demo_data, login


def test_demo_year(app, fb, published, runner):
    load_demo_data(app, "foodbank")

    # The month before last: last month's people counts may still be settling.
    settled_month = str(Period.month_of(today()).previous().previous())
    figures = published(settled_month)
    parcels = sum(v for k, v in figures.items() if k.startswith("parcels."))
    assert 150 < parcels < 600  # three sessions a week, 15-25 parcels each
    reasons = {k: v for k, v in figures.items() if k.startswith("referrals.")}
    assert max(reasons, key=lambda name: reasons[name] or 0) == "referrals.low_income"
    assert figures["households_served"] >= 50 and figures["grams_donated"] > 0

    flagged = runner.invoke("foodbank", "flagged")
    assert flagged.exit_code == 0 and not flagged.output.startswith("0 households")

    client = app.test_client()
    login(client, fb.accounts["coordinator"])
    dashboard = client.get("/").get_data(as_text=True)
    assert "Low income" in dashboard and "Food parcels per week" in dashboard
    stock = fb.ok("GET", "/stock", role="viewer")
    assert sum(level["on_hand_grams"] for level in stock) > 100_000
