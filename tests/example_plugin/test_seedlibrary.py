"""The worked example of docs/plugins.md, installed and loaded as a third party's
plugin would be, and exercised through the hub's public surfaces: the CLI, the
migrations, the JSON API and its OpenAPI document, pages, metrics, personal data."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from openapi_spec_validator import validate
from sqlalchemy import inspect, select

from hub import migrate
from hub.db import Model, database, get_session
from hub.models import AuditEntry
from hub.testing import HubRunner, csrf_token, login

ALL_HOOKS = {
    "hub_models",
    "hub_settings",
    "hub_blueprints",
    "hub_permissions",
    "hub_cli_commands",
    "hub_nav_items",
    "hub_dashboard_panels",
    "hub_metrics",
    "hub_compute_metrics_for_periods",
    "hub_metric_periods",
    "hub_demo_data",
    "hub_exporters",
    "hub_importers",
    "hub_person_data",
    "hub_erase_person",
    "hub_apply_retention",
}


def add_variety(client, account, name="Czar runner bean", crop="beans", stock=20):
    response = client.post(
        "/api/v1/seedlibrary/varieties",
        json={"name": name, "crop": crop, "packets_in_stock": stock},
        headers=account.headers,
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def lend(client, account, variety, person, packets=2, lent_on="2025-03-12", note=""):
    return client.post(
        "/api/v1/seedlibrary/loans",
        json={
            "variety_id": variety,
            "person_id": person,
            "packets": packets,
            "lent_on": lent_on,
            "note": note,
        },
        headers=account.headers,
    )


def metrics_for(runner, period):
    result = runner.invoke("metrics", "--plugin", "seedlibrary", "--period", period, "--json")
    assert result.exit_code == 0, result.output
    (figures,) = json.loads(result.output)
    return figures["metrics"]


def test_hub_plugins_lists_the_installed_example(runner):
    result = runner.invoke("plugins", "--json")
    assert result.exit_code == 0, result.output
    row = next(row for row in json.loads(result.output) if row["name"] == "seedlibrary")
    assert row["version"] == "0.1.0"
    assert row["state"] == "enabled"
    assert row["error"] is None
    assert [m["name"] for m in row["metrics"]] == ["packets_lent", "packets_returned", "borrowers"]
    borrowers = row["metrics"][2]
    assert borrowers["counts"] == "people" and borrowers["counts_people"] is True
    assert set(row["hooks"]) == ALL_HOOKS

    text = runner.invoke("plugins")
    assert "seedlibrary    0.1.0      enabled" in text.output


def test_migrations_create_its_tables_on_its_own_branch(app, runner):
    tables = set(inspect(database(app).engine).get_table_names())
    assert {"seedlibrary_variety", "seedlibrary_loan", "alembic_version_seedlibrary"} <= tables
    with database(app).engine.connect() as connection:
        version = connection.exec_driver_sql(
            "SELECT version_num FROM alembic_version_seedlibrary"
        ).scalar()
    assert version == "seedlibrary_0001"
    status = runner.invoke("db", "status")
    assert status.exit_code == 0, status.output
    assert "up to date" in status.output


def test_its_migration_matches_its_models(app):
    """What `hub db revision --component seedlibrary` would generate: nothing."""
    (component,) = [c for c in migrate.components(app) if c.name == "seedlibrary"]

    def owned(obj, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in component.tables

    with database(app).engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": owned, "compare_type": True, "target_metadata": Model.metadata},
        )
        assert compare_metadata(context, Model.metadata) == []


def test_api_lends_and_takes_seed_back(client, accounts, members):
    variety = add_variety(client, accounts["coordinator"], stock=6)
    response = lend(client, accounts["volunteer"], variety, members[0], packets=4, note="plot 14")
    assert response.status_code == 201, response.json
    loan = response.json
    assert loan["packets"] == 4 and loan["returned_on"] is None
    assert "note" not in loan  # personal free text is never echoed back

    too_many = lend(client, accounts["volunteer"], variety, members[1], packets=3)
    assert too_many.status_code == 422
    assert too_many.json["details"] == {"packets": ["only 2 packets in stock"]}

    back = client.post(
        f"/api/v1/seedlibrary/loans/{loan['id']}/return",
        json={"packets_returned": 5, "returned_on": "2025-09-20"},
        headers=accounts["volunteer"].headers,
    )
    assert back.status_code == 200, back.json
    assert back.json["packets_returned"] == 5

    listing = client.get(
        "/api/v1/seedlibrary/varieties?crop=beans&in_stock=true", headers=accounts["viewer"].headers
    )
    assert listing.status_code == 200
    assert listing.json["total"] == 1
    assert listing.json["items"][0]["packets_in_stock"] == 6 - 4 + 5


def test_api_refuses_bad_input_and_wrong_roles_with_json_errors(client, accounts, members):
    variety = add_variety(client, accounts["coordinator"])
    volunteer = accounts["volunteer"].headers

    as_volunteer = client.post(
        "/api/v1/seedlibrary/varieties",
        json={"name": "Kale", "crop": "brassicas"},
        headers=volunteer,
    )
    assert as_volunteer.status_code == 403
    assert as_volunteer.json["details"] == {"permission": ["seedlibrary.manage"]}

    viewer = lend(client, accounts["viewer"], variety, members[0])
    assert viewer.status_code == 403

    no_token = client.get("/api/v1/seedlibrary/varieties")
    assert no_token.status_code == 401

    unknown_crop = client.post(
        "/api/v1/seedlibrary/varieties",
        json={"name": "Kale", "crop": "cabbage-ish"},
        headers=accounts["coordinator"].headers,
    )
    assert unknown_crop.status_code == 422
    assert "crop" in unknown_crop.json["details"]

    unknown_field = client.post(
        "/api/v1/seedlibrary/loans",
        json={"variety_id": variety, "person_id": members[0], "packets": 1, "colour": "red"},
        headers=volunteer,
    )
    assert unknown_field.status_code == 422
    assert "colour" in unknown_field.json["details"]

    over_limit = lend(client, accounts["volunteer"], variety, members[0], packets=6)
    assert over_limit.status_code == 422
    assert over_limit.json["details"] == {"packets": ["at most 5 packets per loan"]}

    nobody = lend(client, accounts["volunteer"], variety, 9999)
    assert nobody.json["details"] == {"person_id": ["no person with id 9999"]}

    missing = client.post(
        "/api/v1/seedlibrary/loans/9999/return", json={"packets_returned": 1}, headers=volunteer
    )
    assert missing.status_code == 404


def test_settings_come_from_the_plugins_table_in_hub_toml(seedlibrary_installed, make_app):
    app = make_app(name="strict", seedlibrary={"max_packets_per_loan": 2})
    client = app.test_client()
    from hub.testing import create_account

    coordinator = create_account(app, "coordinator")
    with app.app_context():
        from hub.models import Person

        session = get_session()
        person = Person(name="Nia Rees")
        session.add(person)
        session.commit()
        person_id = person.id
    variety = add_variety(client, coordinator)
    refused = lend(client, coordinator, variety, person_id, packets=3)
    assert refused.json["details"] == {"packets": ["at most 2 packets per loan"]}
    database(app).engine.dispose()


def test_openapi_document_includes_its_operations(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    paths = document["paths"]
    assert set(paths["/api/v1/seedlibrary/varieties"]) == {"get", "post"}
    assert "post" in paths["/api/v1/seedlibrary/loans"]
    assert "post" in paths["/api/v1/seedlibrary/loans/{loan_id}/return"]
    loan_op = paths["/api/v1/seedlibrary/loans"]["post"]
    assert loan_op["tags"] == ["seedlibrary"]
    assert "seedlibrary.lend" in loan_op["description"]
    assert "hub_seedlibrary.Loan" in document["components"]["schemas"]


def test_metrics_are_whole_and_people_counts_are_protected(client, accounts, runner, members):
    beans = add_variety(client, accounts["coordinator"], stock=50)
    kale = add_variety(client, accounts["coordinator"], "Cavolo Nero kale", "brassicas", stock=50)
    for person in members[:3]:
        assert lend(client, accounts["volunteer"], beans, person, packets=2).status_code == 201
    assert lend(client, accounts["volunteer"], kale, members[0], packets=1).status_code == 201

    march = metrics_for(runner, "2025-03")
    assert march["packets_lent.beans"] == 6
    assert march["packets_lent.brassicas"] == 1
    assert march["packets_lent.tomatoes"] == 0  # every code, zeros included
    assert march["packets_returned"] == 0
    assert march["borrowers"] is None  # three people: below the threshold, suppressed

    for person in members[3:]:
        lend(client, accounts["volunteer"], kale, person, packets=1)
    assert metrics_for(runner, "2025-03")["borrowers"] == 5  # six people, rounded to 5
    assert metrics_for(runner, "2025-W11")["packets_lent.brassicas"] == 4

    every_period = runner.invoke("metrics", "--plugin", "seedlibrary", "--json")
    periods = {row["period"] for row in json.loads(every_period.output)}
    assert periods == {"2025-03", "2025-W11"}


def test_pages_nav_panel_and_quick_lend_form(app, client, accounts, members):
    api = app.test_client()
    variety = add_variety(api, accounts["coordinator"], "Gardener's Delight tomato", "tomatoes", 5)
    login(client, accounts["volunteer"])

    dashboard = client.get("/").get_data(as_text=True)
    assert 'href="/seedlibrary/"' in dashboard
    assert 'data-plugin="seedlibrary"' in dashboard
    assert "Varieties in stock" in dashboard

    page = client.get("/seedlibrary/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'aria-current="page"' in html
    assert "Gardener&#39;s Delight tomato (5 left)" in html
    response = client.post(
        "/seedlibrary/lend",
        data={
            "variety_id": variety,
            "person_id": members[0],
            "packets": 2,
            "csrf_token": csrf_token(html),
        },
    )
    assert response.status_code == 302
    after = client.get("/seedlibrary/").get_data(as_text=True)
    assert "Lent 2 packets of Gardener&#39;s Delight tomato." in after
    assert "(3 left)" in after

    refused = client.post(
        "/seedlibrary/lend",
        data={
            "variety_id": variety,
            "person_id": "",
            "packets": 1,
            "csrf_token": csrf_token(after),
        },
        follow_redirects=True,
    )
    assert "Not lent: person is required." in refused.get_data(as_text=True)

    no_csrf = client.post("/seedlibrary/lend", data={"variety_id": variety})
    assert no_csrf.status_code == 400


def test_viewer_sees_the_shelves_but_cannot_lend(client, accounts, members):
    login(client, accounts["viewer"])
    html = client.get("/seedlibrary/").get_data(as_text=True)
    assert "On the shelves" in html
    assert "Lend seed" not in html
    forbidden = client.post(
        "/seedlibrary/lend", data={"variety_id": 1, "csrf_token": csrf_token(html)}
    )
    assert forbidden.status_code == 403


def test_cli_command_and_demo_data(seedlibrary_installed, make_app):
    # Only this plugin, so the other plugins' demo data does not slow the test down.
    app = make_app(name="demo", plugins=["seedlibrary"])
    runner = HubRunner(app)
    demo = runner.invoke("demo", "--no-serve")
    assert demo.exit_code == 0, demo.output
    assert "demo data: seedlibrary" in demo.output
    low = runner.invoke("seedlibrary", "low-stock", "--below", "100")
    assert low.exit_code == 0, low.output
    assert "Czar runner bean" in low.output
    figures = json.loads(runner.invoke("metrics", "--plugin", "seedlibrary", "--json").output)
    assert len({row["period"] for row in figures}) > 40  # a year of weeks and months
    assert sum(sum(v or 0 for v in row["metrics"].values()) for row in figures) > 0
    database(app).engine.dispose()


def test_catalogue_export_and_idempotent_import(client, accounts, runner, tmp_path):
    add_variety(client, accounts["coordinator"], "Calendula", "flowers", stock=7)
    exported = tmp_path / "catalogue.csv"
    result = runner.invoke("export", "seedlibrary-catalogue", "--output", str(exported))
    assert result.exit_code == 0, result.output
    assert exported.read_text().splitlines() == [
        "name,crop,packets_in_stock,saved_locally",
        "Calendula,flowers,7,no",
    ]

    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "name,crop,packets_in_stock,saved_locally\n"
        "Calendula,flowers,12,yes\n"
        "Welsh onion,other,4,yes\n"
        "Mystery,cabbage-ish,3,no\n"
        "Borage,herbs,lots,no\n"
    )
    first = runner.invoke("import", "seedlibrary-catalogue", str(sheet))
    assert first.exit_code == 0, first.output
    assert "1 new, 1 updated, 0 unchanged, 2 rows not taken" in first.output
    assert "row 3 (crop): 'cabbage-ish' is not a crop code" in first.output
    assert "row 4 (packets_in_stock): not a whole number" in first.output
    again = runner.invoke("import", "seedlibrary-catalogue", str(sheet))
    assert "0 new, 0 updated, 2 unchanged" in again.output


def test_person_export_erase_keeps_the_figures(app, client, accounts, runner, members):
    variety = add_variety(client, accounts["coordinator"])
    for person in members:
        lend(client, accounts["volunteer"], variety, person, packets=1, note="plot 14, Ely")
    before = metrics_for(runner, "2025-03")

    exported = json.loads(runner.invoke("person", "export", str(members[0])).output)
    (loan,) = exported["plugins"]["seedlibrary"]["loans"]
    assert loan == {
        "variety": "Czar runner bean",
        "packets": 1,
        "lent_on": "2025-03-12",
        "returned_on": None,
        "packets_returned": 0,
        "note": "plot 14, Ely",
    }

    erased = runner.invoke("person", "erase", str(members[0]), "--yes")
    assert erased.exit_code == 0, erased.output
    assert "seedlibrary: 1" in erased.output
    after = json.loads(runner.invoke("person", "export", str(members[0])).output)
    assert after["plugins"]["seedlibrary"]["loans"][0]["note"] == ""
    assert metrics_for(runner, "2025-03") == before


def test_retention_blanks_old_notes_only(app, client, accounts, runner, members):
    variety = add_variety(client, accounts["coordinator"])
    lend(client, accounts["volunteer"], variety, members[0], lent_on="2024-01-10", note="old")
    lend(client, accounts["volunteer"], variety, members[1], lent_on="2025-03-01", note="recent")
    result = runner.invoke("retention", "--today", "2025-06-01")
    assert result.exit_code == 0, result.output
    assert "seedlibrary 1" in result.output
    with app.app_context():
        from hub_seedlibrary.models import Loan

        session = get_session()
        notes = dict(session.execute(select(Loan.person_id, Loan.note)).all())
        logged = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention")).one()
    assert notes == {members[0]: "", members[1]: "recent"}
    assert logged.changes == {"notes_blanked": 1}


def test_a_disabled_example_contributes_nothing(seedlibrary_installed, make_app):
    app = make_app(name="without", plugins=[])
    client = app.test_client()
    assert client.get("/api/v1/seedlibrary/varieties").status_code == 404
    assert "/api/v1/seedlibrary/varieties" not in client.get("/api/v1/openapi.json").json["paths"]
    assert "alembic_version_seedlibrary" not in inspect(database(app).engine).get_table_names()
    database(app).engine.dispose()


def test_the_example_imports_only_the_plugin_api_from_the_core():
    package = Path(__file__).resolve().parents[2] / "examples/hub-seedlibrary/hub_seedlibrary"
    imported = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
    from_core = {name for name in imported if name == "hub" or name.startswith("hub.")}
    assert from_core == {"hub.plugin_api"}
