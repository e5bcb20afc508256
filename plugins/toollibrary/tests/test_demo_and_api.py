"""The demo looks like a library of things' year; every operation is documented."""

from __future__ import annotations

import datetime as dt

from openapi_spec_validator import validate

from hub.testing import load_demo_data, login

TODAY = dt.date(2025, 11, 28)


def test_demo_year(app, accounts, clock, published):
    clock.set(TODAY)
    load_demo_data(app, "toollibrary", TODAY)
    coordinator = accounts["coordinator"].headers
    client = app.test_client()

    def total(path: str) -> int:
        response = client.get(f"/api/v1/toollibrary{path}", headers=coordinator)
        assert response.status_code == 200, response.json
        return response.json["total"]

    assert 250 <= total("/items") <= 400
    assert 150 <= total("/members?status=approved") <= 250
    assert total("/loans") > 600  # two sessions a week
    assert 0 < total("/loans?state=overdue") < total("/loans?state=open")
    assert total("/holds?status=waiting") > 5 and total("/holds?status=ready") >= 1
    assert total("/reservations?status=booked") > 0 and total("/tickets?open=true") > 0
    assert total("/renewals?status=approved") > 40
    assert total("/wanted?open=true") >= 3 and total("/wanted?open=false") >= 1

    spring, winter = published("2025-05"), published("2025-01")
    loans = {
        month: sum(v for k, v in f.items() if k.startswith("loans."))
        for month, f in (("may", spring), ("january", winter))
    }
    assert loans["may"] > loans["january"] > 20  # busier in the DIY and gardening season
    assert spring["borrowers"] >= 50
    assert spring["days_on_loan.power_tools"] < spring["days_available.power_tools"]
    # The wanted list is published as needs: the gazebos were asked for in the summer.
    assert spring["needed.gazebos"] == 1 and published("2025-11")["needed.sewing"] == 1

    login(client, accounts["coordinator"])
    dashboard = client.get("/").get_data(as_text=True)
    assert "Loans per week" in dashboard and "Most borrowed" in dashboard
    assert "Items in repair" in dashboard


def test_openapi_documents_every_resource(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    paths = document["paths"]
    for path in (
        "categories",
        "items",
        "items/{item_id}",
        "membership-types",
        "members",
        "members/{member_id}/status",
        "loans",
        "loans/{loan_id}/return",
        "loans/{loan_id}/renew",
        "renewals",
        "renewals/{renewal_id}/decision",
        "holds",
        "reservations",
        "tickets",
        "tickets/{ticket_id}",
    ):
        assert f"/api/v1/toollibrary/{path}" in paths, path
    post = paths["/api/v1/toollibrary/loans"]["post"]
    assert "Idempotency-Key" in post["description"] and "toollibrary.lend" in post["description"]
