"""Plugins and published figures over the API, matching the command line."""

from __future__ import annotations

import json


def test_plugins_list_state_and_metric_definitions(visits_client, visits_accounts):
    response = visits_client.get("/api/v1/plugins", headers=visits_accounts["viewer"].headers)
    assert response.status_code == 200
    plugin = next(p for p in response.json if p["name"] == "testvisits")
    assert plugin["state"] == "enabled"
    assert plugin["version"] == "1.0"
    assert plugin["error"] is None
    assert "hub_compute_metrics_for_periods" in plugin["hooks"]
    visitors = next(m for m in plugin["metrics"] if m["name"] == "visitors")
    assert visitors == {
        "name": "visitors",
        "unit": "people",
        "description": "Different people who visited",
        "counts": "people",
        "counts_people": True,
        "window": "period",
        "codes": None,
    }
    assert visits_client.get("/api/v1/plugins").status_code == 401


def test_metrics_match_the_command_line(visits_client, visits_accounts, visits_runner):
    coordinator = visits_accounts["coordinator"].headers
    for number in range(6):
        person = visits_client.post(
            "/api/v1/people", json={"name": f"P{number}"}, headers=coordinator
        ).json
        for day in ("2025-02-03", "2025-02-10")[: number % 2 + 1]:
            visits_client.post(
                "/api/v1/testvisits/visits",
                json={"person_id": person["id"], "day": day},
                headers=coordinator,
            )
    viewer = visits_accounts["viewer"].headers
    for query, args in [
        ("", []),
        ("?plugin=testvisits", ["--plugin", "testvisits"]),
        ("?period=2025-W06", ["--period", "2025-W06"]),
        ("?plugin=testvisits&period=2025-02", ["--plugin", "testvisits", "--period", "2025-02"]),
    ]:
        api = visits_client.get(f"/api/v1/metrics{query}", headers=viewer)
        assert api.status_code == 200, api.json
        cli = visits_runner.invoke("metrics", "--json", *args)
        assert cli.exit_code == 0, cli.output
        assert api.json == json.loads(cli.output), query
    month = visits_client.get("/api/v1/metrics?plugin=testvisits&period=2025-02", headers=viewer)
    # 9 visits by 6 people: the people count is rounded to the nearest 5.
    assert month.json == [
        {"plugin": "testvisits", "period": "2025-02", "metrics": {"visits": 9, "visitors": 5}}
    ]
    week = visits_client.get("/api/v1/metrics?plugin=testvisits&period=2025-W07", headers=viewer)
    # Three people in that week: suppressed, published as null.
    assert week.json[0]["metrics"] == {"visits": 3, "visitors": None}


def test_metrics_query_errors_name_the_parameter(visits_client, visits_accounts):
    viewer = visits_accounts["viewer"].headers
    for query, field in [
        ("period=2025-W60", "period"),
        ("period=last+week", "period"),
        ("period=2025-13", "period"),
        ("plugin=nosuchplugin", "plugin"),
        ("format=xml", "format"),
    ]:
        response = visits_client.get(f"/api/v1/metrics?{query}", headers=viewer)
        assert response.status_code == 422, (query, response.json)
        assert field in response.json["details"], (query, response.json)
    assert visits_client.get("/api/v1/metrics").status_code == 401
