"""Loading plugins by entry point, enabling and disabling them, and containing failures."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import inspect

from hub import create_app
from hub.db import database
from hub.plugin_manager import PluginError
from hub.testing import HubRunner, create_account, csrf_token, login, make_instance

GOOD = """
from flask import Blueprint
from hub import plugin_api as api

pages = Blueprint("good", __name__, url_prefix="/good")


@pages.get("/")
def index():
    return "good"


@api.hookimpl
def hub_blueprints():
    return [pages]


@api.hookimpl
def hub_nav_items():
    return [api.NavItem("Good things", "good.index")]


@api.hookimpl
def hub_metrics():
    return [api.Metric("things", "things", "Good things done")]


@api.hookimpl
def hub_compute_metrics_for_periods(session, periods):
    return {period: {"things": 3} for period in periods}


@api.hookimpl
def hub_metric_periods(session):
    import datetime
    return [datetime.date(2025, 3, 3)]
"""

FAILS_TO_IMPORT = """
import lxml_that_is_not_installed  # noqa: F401
"""

MISSPELLED = """
from hub import plugin_api as api


@api.hookimpl
def hub_metricz():
    return []
"""

FLAKY = """
from hub import plugin_api as api


@api.hookimpl
def hub_nav_items():
    raise RuntimeError("nav is broken")


@api.hookimpl
def hub_dashboard_panels():
    raise RuntimeError("panel is broken")


@api.hookimpl
def hub_service_locations():
    raise RuntimeError("cannot tell where it runs")
"""

# Runs at the shed only, and says so; and at a place that is closed, which does not count.
AT_THE_SHED = """
from sqlalchemy import select
from hub import plugin_api as api


@api.hookimpl
def hub_service_locations(session, today):
    names = ("The Shed", "The Old Shed")
    return list(session.scalars(select(api.Location.id).where(api.Location.name.in_(names))))
"""

BROKEN_MODELS = """
from hub import plugin_api as api


@api.hookimpl
def hub_models():
    raise RuntimeError("cannot find my tables")
"""

BROKEN_BLUEPRINTS = """
from hub import plugin_api as api


@api.hookimpl
def hub_blueprints():
    raise KeyError("templates")
"""

UNPREFIXED_TABLE = """
from sqlalchemy import Column, Integer, MetaData, Table
from hub import plugin_api as api


class Visit:
    __table__ = Table("visit", MetaData(), Column("id", Integer, primary_key=True))


@api.hookimpl
def hub_models():
    return api.PluginModels((Visit,), "migrations")
"""

WRONG_PREFIX_BLUEPRINT = """
from flask import Blueprint
from hub import plugin_api as api


@api.hookimpl
def hub_blueprints():
    return [Blueprint("admin", __name__, url_prefix="/admin")]
"""

FOREIGN_PERMISSION = """
from hub import plugin_api as api


@api.hookimpl
def hub_permissions():
    return [api.Permission("users.manage", "Take over user management")]
"""


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_load(make_app, install_plugin):
    install_plugin("good", GOOD)
    install_plugin("broken", FAILS_TO_IMPORT)
    install_plugin("typo", MISSPELLED)
    app = make_app(plugins=["good", "broken", "typo"])
    records = app.extensions["hub.plugins"].records
    assert records["good"].state == "enabled"
    assert records["broken"].state == "failed"
    assert "lxml_that_is_not_installed" in records["broken"].error
    assert records["typo"].state == "failed"
    assert "hub_metricz" in records["typo"].error
    assert app.test_client().get("/good/").get_data(as_text=True) == "good"

    runner = HubRunner(app)
    listing = runner.invoke("plugins")
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    broken = lines.index(next(line for line in lines if line.startswith("broken")))
    assert lines[broken].split() == ["broken", "1.0", "failed"]
    assert lines[broken + 1].startswith("    error: ModuleNotFoundError")
    assert "good           1.0        enabled" in listing.output
    assert "    metrics: things" in listing.output
    rows = {row["name"]: row for row in json.loads(runner.invoke("plugins", "--json").output)}
    assert rows["good"]["metrics"][0]["name"] == "things"
    assert rows["typo"]["state"] == "failed"

    admin = create_account(app, "admin")
    via_api = app.test_client().get("/api/v1/plugins", headers=admin.headers).json
    assert {p["name"]: p["state"] for p in via_api if p["name"] in {"broken", "good", "typo"}} == {
        "broken": "failed",
        "good": "enabled",
        "typo": "failed",
    }
    viewer = create_account(app, "viewer")
    seen_by_viewer = app.test_client().get("/api/v1/plugins", headers=viewer.headers).json
    # Only admins see the technical reason (paths, module names).
    assert next(p for p in seen_by_viewer if p["name"] == "broken")["error"] == "failed to load"


def test_a_robust_hook_that_raises_is_logged_and_skipped(make_app, install_plugin, caplog):
    install_plugin("good", GOOD)
    install_plugin("flaky", FLAKY)
    app = make_app(plugins=["good", "flaky"])
    client = app.test_client()
    login(client, create_account(app, "coordinator"))
    with caplog.at_level(logging.ERROR, logger="hub"):
        page = client.get("/")
    assert page.status_code == 200
    assert "Good things" in page.get_data(as_text=True)
    messages = [r.getMessage() for r in caplog.records]
    assert "plugin flaky: hub_nav_items failed; skipped" in messages
    assert "plugin flaky: hub_dashboard_panels failed; skipped" in messages
    errors = app.extensions["hub.plugins"].records["flaky"].hook_errors
    assert "hub_nav_items: RuntimeError: nav is broken" in errors


def test_the_directory_lists_a_service_where_its_plugin_says_or_everywhere(
    make_app, install_plugin
):
    """A plugin naming its places is listed there; one whose hook raises, like one
    without the hook, is listed at every open place rather than nowhere."""
    install_plugin("good", GOOD)
    install_plugin("flaky", FLAKY)
    install_plugin("shed", AT_THE_SHED)
    app = make_app(plugins=["good", "flaky", "shed"])
    client = app.test_client()
    coordinator = create_account(app, "coordinator").headers
    for name, active in (("The Shed", True), ("The Old Shed", False), ("The Hall", True)):
        body = {"name": name, "active": active}
        assert client.post("/api/v1/locations", json=body, headers=coordinator).status_code == 201

    document = client.get("/public/directory.json").json
    assert {
        service["name"]: sorted(
            each["location"]["name"] for each in service["service_at_locations"]
        )
        for service in document["contents"]
    } == {
        "Good": ["The Hall", "The Shed"],
        "Flaky": ["The Hall", "The Shed"],
        "Shed": ["The Shed"],
    }
    errors = app.extensions["hub.plugins"].records["flaky"].hook_errors
    assert "hub_service_locations: RuntimeError: cannot tell where it runs" in errors


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (BROKEN_MODELS, "plugin 'bad': hub_models failed: RuntimeError: cannot find my tables"),
        (BROKEN_BLUEPRINTS, "plugin 'bad': hub_blueprints failed: KeyError: 'templates'"),
        (UNPREFIXED_TABLE, "plugin 'bad': table 'visit' must start with bad_"),
        (
            WRONG_PREFIX_BLUEPRINT,
            "plugin 'bad': blueprint 'admin' must use url_prefix /bad or /api/v1/bad",
        ),
        (FOREIGN_PERMISSION, "plugin 'bad': permission 'users.manage' must start with bad."),
    ],
)
def test_a_broken_required_hook_stops_start_up_with_one_line(
    source, message, install_plugin, hub_databases, tmp_path, run_hub
):
    install_plugin("bad", source)
    instance = make_instance(tmp_path / "instance", hub_databases.new("bad"), plugins=["bad"])
    with pytest.raises(PluginError) as raised:
        create_app(instance_path=instance)
    assert str(raised.value) == message
    status, out, err = run_hub(instance, "db", "upgrade")
    assert status == 1
    assert err == f"hub: {message}\n"
    assert out == ""


def test_a_misspelled_hook_in_a_directly_registered_plugin_names_it(make_app):
    class Typo:
        from hub.plugin_api import hookimpl

        @hookimpl
        def hub_nav_itemz(self):
            return []

    with pytest.raises(PluginError, match=r"plugin 'typo': .*hub_nav_itemz"):
        make_app(extra_plugins={"typo": Typo()})


def test_a_disabled_plugin_contributes_nothing(make_app, install_plugin, testvisits_installed):
    install_plugin("good", GOOD)
    app = make_app(plugins=["good"])
    manager = app.extensions["hub.plugins"]
    assert manager.records["testvisits"].state == "disabled"
    assert manager.enabled_names() == ["good"]
    admin = create_account(app, "admin")
    client = app.test_client()
    assert client.get("/api/v1/testvisits/visits", headers=admin.headers).status_code == 404
    assert client.get("/testvisits/").status_code == 404
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert not [path for path in paths if "testvisits" in path]
    figures = client.get("/api/v1/metrics", headers=admin.headers).json
    assert {f["plugin"] for f in figures} == {"good"}
    login(client, admin)
    dashboard = client.get("/").get_data(as_text=True)
    assert "Good things" in dashboard
    assert "Visits" not in dashboard
    tables = inspect(database(app).engine).get_table_names()
    assert "testvisits_visit" not in tables
    assert "alembic_version_testvisits" not in tables

    listing = HubRunner(app).invoke("plugins", "--json")
    row = next(r for r in json.loads(listing.output) if r["name"] == "testvisits")
    assert row["state"] == "disabled"
    assert [m["name"] for m in row["metrics"]] == ["visits", "visitors"]


def test_an_enabled_plugin_gets_its_own_tables_and_version_table(visits_app):
    tables = inspect(database(visits_app).engine).get_table_names()
    assert {"testvisits_visit", "alembic_version_testvisits", "alembic_version"} <= set(tables)


FAILING_FIGURES = """
import datetime
from pathlib import Path

from flask import current_app
from hub import plugin_api as api


@api.hookimpl
def hub_metrics():
    return [api.Metric("meals", "meals", "Meals served")]


@api.hookimpl
def hub_metric_periods(session):
    return [datetime.date(2025, 3, 3)]


@api.hookimpl
def hub_compute_metrics_for_periods(session, periods):
    fixed = (Path(current_app.instance_path) / "meals-fixed").exists()
    return {period: {"meals": 1 if fixed else 1 / 0} for period in periods}
"""


def published_plugins(feed):
    """The plugin of each summary in a feed (which carries statements too)."""
    payloads = [json.loads(item["payload"]) for item in feed["items"]]
    return sorted(payload["plugin"] for payload in payloads if "plugin" in payload)


MEALS_FAILED = (
    "plugin 'meals': hub_compute_metrics_for_periods failed: ZeroDivisionError: division by zero"
)
GOOD_FIGURES = [
    {"plugin": "good", "period": "2025-03", "metrics": {"things": 3}},
    {"plugin": "good", "period": "2025-W10", "metrics": {"things": 3}},
]


def test_a_plugin_whose_figures_fail_is_named_and_the_others_still_publish(
    make_app, install_plugin
):
    install_plugin("good", GOOD)
    install_plugin("meals", FAILING_FIGURES)
    app = make_app(plugins=["good", "meals"])
    runner = HubRunner(app)

    listed = runner.invoke("metrics")
    assert listed.exit_code == 1
    assert listed.stdout.splitlines() == [
        "good 2025-03",
        "  things                                   3",
        "good 2025-W10",
        "  things                                   3",
    ]
    assert listed.stderr == f"error: {MEALS_FAILED}\n"
    as_json = runner.invoke("metrics", "--json")
    assert as_json.exit_code == 1
    failed_entry = {"plugin": "meals", "period": None, "metrics": None, "error": MEALS_FAILED}
    assert json.loads(as_json.stdout) == [*GOOD_FIGURES, failed_entry]
    assert runner.invoke("metrics", "--plugin", "good").exit_code == 0

    client = app.test_client()
    admin = create_account(app, "admin")
    viewer = create_account(app, "viewer")
    response = client.get("/api/v1/metrics", headers=viewer.headers)
    assert response.status_code == 200
    assert response.json == [
        *GOOD_FIGURES,
        {**failed_entry, "error": "its figures could not be computed"},
    ]
    assert client.get("/api/v1/metrics", headers=admin.headers).json[-1] == failed_entry

    published = runner.invoke("federation", "publish", "--offline")
    assert published.exit_code == 1
    assert published.stdout == "Published: 2 new, 0 revised, 0 unchanged.\n"
    assert published.stderr == f"error: {MEALS_FAILED}\n"
    feed = client.get("/federation/v1/summaries").json
    assert published_plugins(feed) == [
        "good",
        "good",
    ]

    # Once fixed it publishes; broken again, what it published stands, unrevised.
    (Path(app.instance_path) / "meals-fixed").touch()
    assert runner.invoke("federation", "publish", "--offline").exit_code == 0
    (Path(app.instance_path) / "meals-fixed").unlink()
    again = runner.invoke("federation", "publish", "--offline")
    assert (again.exit_code, again.stdout) == (1, "Published: 0 new, 0 revised, 2 unchanged.\n")
    feed = client.get("/federation/v1/summaries").json
    assert published_plugins(feed) == [
        "good",
        "good",
        "meals",
        "meals",
    ]

    # Every process's failures are kept: the API's, and these commands'.
    plugins = runner.invoke("plugins")
    assert plugins.exit_code == 0
    lines = plugins.output.splitlines()
    meals = lines.index(next(line for line in lines if line.startswith("meals")))
    assert lines[meals + 1] == "    metrics: meals"
    assert re.fullmatch(
        r"    failed: hub_compute_metrics_for_periods: ZeroDivisionError: division by zero "
        r"\(\dx, last 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\)",
        lines[meals + 2],
    )
    rows = {row["name"]: row for row in json.loads(runner.invoke("plugins", "--json").output)}
    assert rows["good"]["failures"] == []
    assert rows["meals"]["state"] == "enabled"
    [failure] = rows["meals"]["failures"]
    assert failure["part"] == "hub_compute_metrics_for_periods"
    seen_by_viewer = client.get("/api/v1/plugins", headers=viewer.headers).json
    assert next(p for p in seen_by_viewer if p["name"] == "meals")["failures"][0]["error"] == (
        "failed"
    )

    login(client, admin)
    page = client.get("/admin/plugins/").get_data(as_text=True)
    assert "ZeroDivisionError: division by zero" in page
    assert "1 failing" in page
    token = csrf_token(page)
    cleared = client.post("/admin/plugins/meals/failures/clear", data={"csrf_token": token})
    assert cleared.status_code == 302
    assert "ZeroDivisionError" not in client.get("/admin/plugins/").get_data(as_text=True)
    assert "ZeroDivisionError" not in runner.invoke("plugins").output


def test_a_plugin_breaking_the_figures_contract_is_named(make_app, install_plugin):
    install_plugin("good", GOOD)
    install_plugin(
        "meals",
        FAILING_FIGURES.replace('{"meals": 1 if fixed else 1 / 0}', '{"meals": 2, "extra": 1}'),
    )
    app = make_app(plugins=["good", "meals"])
    result = HubRunner(app).invoke("metrics", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[-1]["error"] == (
        "plugin 'meals': hub_compute_metrics_for_periods failed: "
        "2025-03: computed undeclared metrics: ['extra']"
    )


FAILS_TO_ERASE = """
from hub import plugin_api as api


@api.hookimpl
def hub_erase_person(session, person):
    raise RuntimeError("records are locked")
"""


def test_an_erasure_a_plugin_cannot_finish_changes_nothing(make_app, install_plugin, run_hub):
    install_plugin("locked", FAILS_TO_ERASE)
    app = make_app(plugins=["locked"])
    admin = create_account(app, "admin").headers
    client = app.test_client()
    person = client.post("/api/v1/people", json={"name": "Nia Bevan"}, headers=admin).json
    response = client.post(f"/api/v1/people/{person['id']}/erase", headers=admin)
    assert response.status_code == 500
    assert response.json["details"] == {
        "plugin": ["plugin 'locked': hub_erase_person failed: RuntimeError: records are locked"]
    }
    assert client.get(f"/api/v1/people/{person['id']}", headers=admin).json["name"] == "Nia Bevan"
    status, _, err = run_hub(app.instance_path, "person", "erase", str(person["id"]), "--yes")
    assert (status, err) == (
        1,
        "hub: plugin 'locked': hub_erase_person failed: RuntimeError: records are locked\n",
    )
    assert client.get(f"/api/v1/people/{person['id']}", headers=admin).json["name"] == "Nia Bevan"
