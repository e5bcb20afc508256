"""Hooks through their public surfaces: metrics, ORDS import problems, settings, demo data."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hub_repaircafe.models import RepairEvent, RepairRecord
from sqlalchemy import select

from hub.plugin_api import get_session

HEADER = "id,data_provider,country,partner_product_category,product_category,product_category_id,brand,year_of_manufacture,product_age,repair_status,repair_barrier_if_end_of_life,group_identifier,event_date,problem\n"


def metrics(runner, period: str) -> dict:
    result = runner.invoke("metrics", "--plugin", "repaircafe", "--period", period, "--json")
    assert result.exit_code == 0, result.output
    [figures] = json.loads(result.output)
    return figures["metrics"]


@pytest.fixture
def month_of_repairs(app):
    """Two events in March 2025 and one in April, with known outcomes and weights."""
    with app.app_context():
        session = get_session()
        first = RepairEvent(date=dt.date(2025, 3, 8), visitors=23, fixers_present=7)
        second = RepairEvent(date=dt.date(2025, 3, 22), visitors=14)
        april = RepairEvent(date=dt.date(2025, 4, 12), visitors=3)
        first.records = [
            RepairRecord(product_category_id=14, status="fixed"),  # kettle, default 1200 g
            RepairRecord(product_category_id=14, status="fixed", weight_g=2000),
            RepairRecord(product_category_id=34, status="end_of_life", barrier="too-worn-out"),
            RepairRecord(product_category_id=34, status="end_of_life"),
        ]
        second.records = [
            RepairRecord(product_category_id=16, status="repairable"),
            RepairRecord(product_category_id=16, status="unknown"),
        ]
        april.records = [RepairRecord(product_category_id=19, status="fixed")]
        session.add_all([first, second, april])
        session.commit()


def test_monthly_and_weekly_metrics(runner, month_of_repairs):
    march = metrics(runner, "2025-03")
    assert march["events_held"] == 2
    assert march["items_brought"] == 6
    assert (
        march["items_fixed"],
        march["items_repairable"],
        march["items_end_of_life"],
        march["items_unknown"],
    ) == (2, 1, 2, 1)
    assert (march["fix_rate_numerator"], march["fix_rate_denominator"]) == (2, 5)
    # kettles: 1200 g (category default) + 2000 g (weighed) at 6 kg CO2e per kg
    assert march["waste_prevented_g"] == 3200
    assert march["co2e_avoided_g"] == 3200 * 6
    assert march["visitors"] == 35  # 37 people, a people count: rounded to the nearest 5
    assert march["items_by_category.kettle"] == 2 and march["items_by_category.vacuum"] == 2
    assert march["items_by_barrier.too-worn-out"] == 1
    assert sum(v for k, v in march.items() if k.startswith("items_by_barrier.")) == 1

    april = metrics(runner, "2025-04")
    assert april["visitors"] is None  # 3 people: below the threshold, suppressed
    assert april["items_by_category.mobile"] == 1

    week = metrics(runner, "2025-W10")  # 3 to 9 March
    assert (week["events_held"], week["items_brought"]) == (1, 4)
    empty = metrics(runner, "2025-06")
    assert empty["items_brought"] == 0 and empty["waste_prevented_g"] == 0


def test_metric_definitions_and_periods(runner, month_of_repairs):
    listing = json.loads(runner.invoke("plugins", "--json").output)
    [plugin] = [p for p in listing if p["name"] == "repaircafe"]
    definitions = {metric["name"]: metric for metric in plugin["metrics"]}
    assert {"items_by_category", "items_by_barrier", "fix_rate_numerator"} <= set(definitions)
    assert definitions["visitors"]["counts"] == "people"
    assert definitions["items_by_barrier"]["codes"]["too-worn-out"] == "Too worn out"
    assert len(definitions["items_by_category"]["codes"]) == 40
    everything = json.loads(runner.invoke("metrics", "--plugin", "repaircafe", "--json").output)
    assert {f["period"] for f in everything} == {
        "2025-03",
        "2025-04",
        "2025-W10",
        "2025-W12",
        "2025-W15",
    }


def test_impact_override_changes_the_figures(client, runner, accounts, month_of_repairs):
    body = {"weight_g": 1000, "co2e_g_per_kg": 5000, "source": "Weighed here"}
    client.put(
        "/api/v1/repaircafe/categories/14/impact", json=body, headers=accounts["admin"].headers
    )
    march = metrics(runner, "2025-03")
    assert march["waste_prevented_g"] == 1000 + 2000
    assert march["co2e_avoided_g"] == 3000 * 5


def test_import_reports_bad_rows_and_keeps_going(runner, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        HEADER
        + "abc-1,Riverside,GBR,Toaster,Toaster,31,Dualit,1998,25,Fixed,,Riverside,2024-05-11,Element broken\n"
        + "abc-2,Riverside,GBR,,Kettle,14,,,,Mended,,Riverside,2024-05-11,\n"
        + "abc-3,Riverside,GBR,,Lamp,99,,,,Fixed,,Riverside,2024-05-11,\n"
        + "abc-4,Riverside,GBR,,Lamp,15,,,,Fixed,Too worn out,Riverside,2024-05-11,\n"
        + "abc-5,Riverside,GBR,,Lamp,15,,,,Fixed,,Riverside,11/05/2024,\n"
        + "not an id,Riverside,GBR,,Lamp,15,,,,Fixed,,Riverside,2024-05-11,\n"
        + "abc-1,Riverside,GBR,,Lamp,15,,,,Fixed,,Riverside,2024-05-11,\n"
        + "abc-6,Riverside,GBR,,Vacuum,34,Vax,,3.5,End of life,Product too worn out,Riverside,2024-05-11,\n"
        + "abc-7,short row\n"
    )
    result = runner.invoke("import", "ords", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["created"] == 2
    problems = {p["row"]: p["field"] for p in report["problems"]}
    assert problems == {
        2: "repair_status",
        3: "product_category_id",
        4: "repair_barrier_if_end_of_life",
        5: "event_date",
        6: "id",
        7: "id",
        9: None,
    }
    assert "also on row 1" in next(p["message"] for p in report["problems"] if p["row"] == 7)
    assert metrics(runner, "2024-05")["items_by_barrier.too-worn-out"] == 1


def test_import_dry_run_and_missing_columns(runner, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "abc-1,Riverside,GBR,,Toaster,31,,,,Fixed,,Riverside,2024-05-11,\n")
    dry = json.loads(runner.invoke("import", "ords", str(path), "--dry-run", "--json").output)
    assert dry["created"] == 1 and dry["dry_run"]
    assert metrics(runner, "2024-05")["items_brought"] == 0

    broken = tmp_path / "broken.csv"
    broken.write_text("name,colour\nkettle,white\n")
    result = runner.invoke("import", "ords", str(broken))
    assert "lacks ORDS columns: id, product_category_id, repair_status, event_date" in result.output


def test_export_uses_plugin_settings_and_the_id_pattern(make_app, tmp_path):
    from hub.testing import HubRunner

    app = make_app(
        repaircafe={
            "data_provider": "Riverside Repair Café",
            "group_identifier": "Riverside",
            "country": "GBR",
        }
    )
    with app.app_context():
        session = get_session()
        event = RepairEvent(date=dt.date(2025, 2, 8))
        event.records = [
            RepairRecord(product_category_id=27, status="fixed", brand="Singer", product_age=30.0)
        ]
        session.add(event)
        session.commit()
        record_id = event.records[0].id
    runner = HubRunner(app)
    out = tmp_path / "ords.csv"
    assert runner.invoke("export", "ords", "--output", str(out)).exit_code == 0
    [_header, row] = out.read_text().splitlines()
    assert (
        row
        == f"riversiderepaircafe-{record_id},Riverside Repair Café,GBR,,Sewing machine,27,Singer,,30,Fixed,,Riverside,2025-02-08,"
    )
    again = json.loads(runner.invoke("import", "ords", str(out), "--json").output)
    assert (again["created"], again["unchanged"]) == (0, 1)

    bad = make_app(name="bad", repaircafe={"country": "UK"})
    result = HubRunner(bad).invoke("export", "ords")
    assert result.exit_code != 0 and "3-letter ISO code" in result.output


def test_demo_data_looks_like_a_year_of_cafes(runner, app):
    result = runner.invoke("demo", "--no-serve")
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = get_session()
        events = session.query(RepairEvent).order_by(RepairEvent.date).all()
        records = session.query(RepairRecord).all()
    today = dt.date.today()
    past = [e for e in events if e.date < today]
    assert len(past) >= 11 and any(e.date >= today for e in events)
    assert all(e.visitors and e.fixers_present for e in past)
    assert 24 * len(past) <= len(records) <= 42 * len(past)
    fixed = sum(r.status == "fixed" for r in records) / len(records)
    assert 0.4 < fixed < 0.7
    assert all(r.barrier is None for r in records if r.status != "end_of_life")


def test_importer_hook_reports_progress(app, tmp_path):
    lines = [
        f"abc-{n},Riverside,GBR,,Lamp,15,,,,Fixed,,Riverside,2024-{n % 12 + 1:02d}-14,\n"
        for n in range(1, 4501)
    ]
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "".join(lines))
    [importer] = [
        item
        for _, item in app.extensions["hub.plugins"].call("hub_importers").items()
        if item.format == "ords"
    ]
    seen: list[tuple[int, int]] = []
    with app.app_context(), path.open(newline="") as stream:
        session = get_session()
        report = importer.read(session, stream, {}, lambda done, total: seen.append((done, total)))
        session.commit()
        assert session.query(RepairEvent).count() == 12
    assert report.created == 4500
    assert seen == [(2000, 4500), (4000, 4500), (4500, 4500)]


def test_reimport_updates_changed_rows_only(runner, tmp_path):
    path = tmp_path / "cafe.csv"
    rows = [
        "abc-1,Riverside,GBR,,Toaster,31,,,,Repairable,,Riverside,2024-05-11,Needs a new element\n",
        "abc-2,Riverside,GBR,,Kettle,14,,,,Fixed,,Riverside,2024-05-11,\n",
    ]
    path.write_text(HEADER + "".join(rows))
    assert json.loads(runner.invoke("import", "ords", str(path), "--json").output)["created"] == 2
    rows[0] = rows[0].replace("Repairable,", "Fixed,")
    path.write_text(HEADER + "".join(rows))
    report = json.loads(runner.invoke("import", "ords", str(path), "--json").output)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 1)
    assert metrics(runner, "2024-05")["items_fixed"] == 2


def test_a_voided_repair_leaves_the_figures_and_a_corrected_one_changes_them(
    app, client, accounts, runner, month_of_repairs
):
    from hub.testing import hidden_inputs, login

    with app.app_context():
        kettle = (
            get_session().scalars(select(RepairRecord).where(RepairRecord.weight_g == 2000)).one()
        )
        vacuum = (
            get_session()
            .scalars(select(RepairRecord).where(RepairRecord.barrier == "too-worn-out"))
            .one()
        )
        kettle_id, vacuum_id, event_id = kettle.id, vacuum.id, kettle.event_id
    login(client, accounts["coordinator"])
    page = client.get(f"/repaircafe/records/{kettle_id}/edit").get_data(as_text=True)
    voided = client.post(
        f"/repaircafe/records/{kettle_id}/void",
        data={**hidden_inputs(page), "reason": "logged twice"},
        follow_redirects=True,
    )
    assert ">void</span>" in voided.get_data(as_text=True)
    march = metrics(runner, "2025-03")
    assert (march["items_brought"], march["items_fixed"]) == (5, 1)
    assert march["waste_prevented_g"] == 1200

    form = client.get(f"/repaircafe/records/{vacuum_id}/edit").get_data(as_text=True)
    fields = {**hidden_inputs(form), "product_category_id": "34", "status": "fixed"}
    missing = client.post(f"/repaircafe/records/{vacuum_id}/edit", data=fields)
    assert missing.status_code == 422 and 'id="reason-error"' in missing.get_data(as_text=True)
    corrected = client.post(
        f"/repaircafe/records/{vacuum_id}/edit", data={**fields, "reason": "it was mended"}
    )
    assert corrected.status_code == 302
    march = metrics(runner, "2025-03")
    assert (march["items_fixed"], march["items_end_of_life"]) == (2, 1)
    detail = client.get(f"/repaircafe/events/{event_id}").get_data(as_text=True)
    assert "<dt>Items</dt><dd>3</dd>" in detail

    refused = client.post(
        f"/api/v1/repaircafe/records/{vacuum_id}/void",
        json={"reason": ""},
        headers=accounts["coordinator"].headers,
    )
    assert refused.status_code == 422 and "reason" in refused.json["details"]
    done = client.post(
        f"/api/v1/repaircafe/records/{vacuum_id}/void",
        json={"reason": "not ours"},
        headers=accounts["coordinator"].headers,
    )
    assert done.status_code == 200 and done.json["void_reason"] == "not ours"
    assert metrics(runner, "2025-03")["items_brought"] == 4
    audit = client.get(
        "/api/v1/audit",
        query_string={"entity": "repaircafe_record", "entity_id": str(vacuum_id)},
        headers=accounts["admin"].headers,
    ).json["items"]
    reasons = {entry["action"]: entry["changes"].get("reason") for entry in audit}
    assert reasons["correct"] == "it was mended" and reasons["void"] == "not ours"


def test_waste_and_co2e_avoided_per_event_and_on_the_dashboard(
    app, client, accounts, clock, month_of_repairs
):
    from hub.testing import login

    clock.set(dt.date(2025, 4, 30))
    with app.app_context():
        first = (
            get_session()
            .scalars(select(RepairEvent).where(RepairEvent.date == dt.date(2025, 3, 8)))
            .one()
        )
        event_id = first.id
    login(client, accounts["viewer"])
    detail = client.get(f"/repaircafe/events/{event_id}").get_data(as_text=True)
    # Two kettles fixed: 1.2 kg (the category's average) and 2.0 kg (weighed), 6 kg CO2e per kg.
    assert "<dt>Waste prevented</dt><dd>3.2 kg</dd>" in detail
    assert "<dt>CO<sub>2</sub>e avoided</dt><dd>19.2 kg</dd>" in detail
    assert '<th scope="row">Kettle</th><td>2</td><td>3.2 kg</td><td>19.2 kg</td>' in detail
    dashboard = client.get("/").get_data(as_text=True)
    panel = dashboard[dashboard.index("Waste and CO2e avoided (last 12 months)") :]
    assert '<th scope="row">Kettle</th><td>2</td><td>3.2 kg</td><td>19.2 kg</td>' in panel
