"""Every hook goes through pluggy, with its failure policy: ordering and
wrappers work as pluggy documents, the core's own navigation and permissions
are a plugin that others can wrap, and each policy holds at its call sites."""

from __future__ import annotations

import json

import pytest

from hub import create_app
from hub.plugin_manager import API_VERSION, PluginError
from hub.testing import HubRunner, create_account, login, make_instance

PAGES = """
from flask import Blueprint
from hub import plugin_api as api

pages = Blueprint("{name}", __name__, url_prefix="/{name}")


@pages.get("/")
def index():
    return "{name}"


@api.hookimpl
def hub_blueprints():
    return [pages]
"""

FIRST = (
    PAGES.format(name="first")
    + """

@api.hookimpl(tryfirst=True)
def hub_exporters():
    return [api.Exporter("shared", "First's", "text/csv", lambda session, stream, options: 0)]


@api.hookimpl
def hub_nav_items():
    return [api.NavItem("First things", "first.index", order=40)]
"""
)

SECOND = (
    PAGES.format(name="second")
    + """

@api.hookimpl
def hub_exporters():
    return [api.Exporter("shared", "Second's", "text/csv", lambda session, stream, options: 0)]


@api.hookimpl(wrapper=True)
def hub_nav_items(user):
    entries = yield
    # Hide the core's Network entry from everyone but admins, and come first.
    kept = [
        [item for item in items if item.label != "Network" or user.role == "admin"]
        for items in entries
    ]
    return [[api.NavItem("Second things", "second.index", order=1)], *kept]
"""
)


def nav_labels(client):
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('aria-label="Main"') : page.index("</nav>")]
    return [
        label
        for label in ("Dashboard", "Second things", "People", "First things", "Network", "Admin")
        if f">{label}<" in nav
    ]


def test_wrappers_see_and_change_every_plugins_results_including_the_cores(
    make_app, install_plugin
):
    install_plugin("first", FIRST)
    install_plugin("second", SECOND)
    app = make_app(plugins=["first", "second"])
    coordinator = app.test_client()
    login(coordinator, create_account(app, "coordinator"))
    admin = app.test_client()
    login(admin, create_account(app, "admin"))
    assert nav_labels(coordinator) == ["Dashboard", "Second things", "People", "First things"]
    assert nav_labels(admin) == [
        "Dashboard",
        "Second things",
        "People",
        "First things",
        "Network",
        "Admin",
    ]
    # The wrapper's own entry is tagged with its plugin, like any other.
    manager = app.extensions["hub.plugins"]
    user = type("U", (), {"role": "coordinator"})()
    with app.test_request_context():
        tagged = {
            item.label: plugin
            for plugin, item in manager.collect("hub_nav_items", object, user=user).items()
        }
    assert tagged["Second things"] == "second"
    assert tagged["First things"] == "first"
    assert tagged["Dashboard"] == "core"


def test_tryfirst_and_trylast_order_the_results(make_app, install_plugin):
    install_plugin("first", FIRST)
    install_plugin("second", SECOND)
    app = make_app(plugins=["first", "second"])
    with app.app_context():
        calls = app.extensions["hub.plugins"].call("hub_exporters")
    assert [plugin for plugin, _ in calls.values] == ["first", "second"]
    # Formats by name: the later of two with the same name is the one offered.
    formats = app.extensions["hub.plugins"].formats("hub_exporters", object)
    assert formats["shared"][0] == "second"


BROKEN_WRAPPER = """
from hub import plugin_api as api


@api.hookimpl(wrapper=True)
def hub_nav_items():
    entries = yield
    raise RuntimeError("cannot sort: " + str(len(entries)))
"""


def test_a_wrapper_that_raises_is_skipped_and_the_results_pass_through(make_app, install_plugin):
    install_plugin("first", FIRST)
    install_plugin("sorter", BROKEN_WRAPPER)
    app = make_app(plugins=["first", "sorter"])
    client = app.test_client()
    login(client, create_account(app, "coordinator"))
    assert nav_labels(client) == ["Dashboard", "People", "First things", "Network"]
    [failure] = app.extensions["hub.plugins"].records["sorter"].failures
    assert (failure.where, failure.error) == ("hub_nav_items", "RuntimeError: cannot sort: 2")


SMUGGLER = """
from hub import plugin_api as api


@api.hookimpl(wrapper=True)
def hub_permissions():
    permissions = yield
    return [*permissions, [api.Permission("people.everything", "All of it", ("viewer",))]]
"""

LISTLESS_WRAPPER = """
from hub import plugin_api as api


@api.hookimpl(wrapper=True)
def hub_nav_items():
    return [api.NavItem("Never", "shell.dashboard")]
"""

OLD_STYLE_WRAPPER = """
from hub import plugin_api as api


@api.hookimpl(hookwrapper=True)
def hub_nav_items():
    yield
"""

FAILING_PERMISSIONS = """
from hub import plugin_api as api


@api.hookimpl
def hub_permissions():
    raise LookupError("roles table")
"""

FAILING_COMMANDS = """
from hub import plugin_api as api


@api.hookimpl
def hub_cli_commands():
    return ["not a command"]
"""


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (SMUGGLER, "plugin 'bad': permission 'people.everything' must start with bad."),
        (FAILING_PERMISSIONS, "plugin 'bad': hub_permissions failed: LookupError: roles table"),
        (
            FAILING_COMMANDS,
            "plugin 'bad': hub_cli_commands failed: returned str in its list, not Command",
        ),
    ],
)
def test_startup_hooks_stop_start_up_naming_the_plugin(
    install_plugin, hub_databases, tmp_path, source, message
):
    install_plugin("bad", source)
    instance = make_instance(tmp_path / "instance", hub_databases.new("bad"), plugins=["bad"])
    with pytest.raises(PluginError) as raised:
        create_app(instance_path=instance)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (LISTLESS_WRAPPER, "plugin 'bad': hub_nav_items is a wrapper but does not yield"),
        (OLD_STYLE_WRAPPER, "plugin 'bad': hub_nav_items is an old-style hookwrapper"),
    ],
)
def test_a_malformed_wrapper_fails_the_plugin_at_load(make_app, install_plugin, source, error):
    install_plugin("bad", source)
    app = make_app(plugins=["bad"])
    record = app.extensions["hub.plugins"].records["bad"]
    assert record.state == "failed"
    assert record.error.startswith(error)


def versioned(requirement):
    return f"HUB_API = {requirement!r}\n" + PAGES.format(name="versioned")


@pytest.mark.parametrize(
    ("requirement", "state", "error"),
    [
        (">=1.1,<2", "enabled", None),
        ("~=1.0", "enabled", None),
        (
            ">=2",
            "failed",
            f"plugin 'versioned' needs plugin API >=2; this hub offers {API_VERSION}",
        ),
        (
            "one point one",
            "failed",
            "plugin 'versioned': HUB_API = 'one point one' is not a version range such as '>=1.1,<2'",
        ),
    ],
)
def test_a_plugin_needing_another_plugin_api_is_refused_at_load(
    make_app, install_plugin, requirement, state, error
):
    install_plugin("versioned", versioned(requirement))
    install_plugin("first", FIRST)
    app = make_app(plugins=["versioned", "first"])
    records = app.extensions["hub.plugins"].records
    assert (records["versioned"].state, records["versioned"].error) == (state, error)
    assert records["first"].state == "enabled"
    listing = HubRunner(app).invoke("plugins")
    if error:
        assert f"    error: {error}" in listing.output.splitlines()


NO_DEFINITIONS = """
from hub import plugin_api as api


@api.hookimpl
def hub_metrics():
    raise ValueError("codelist file missing")


@api.hookimpl
def hub_exporters():
    raise OSError("templates folder gone")
"""


def test_isolated_and_robust_failures_leave_the_other_plugins_whole(
    make_app, install_plugin, testvisits_installed
):
    install_plugin("broken", NO_DEFINITIONS)
    app = make_app(plugins=["broken", "testvisits"])
    client = app.test_client()
    described = client.get("/.well-known/hub").json
    assert [plugin["name"] for plugin in described["plugins"]] == ["testvisits"]
    admin = create_account(app, "admin")
    login(client, admin)
    exports = client.get("/admin/exports/").get_data(as_text=True)
    assert "testvisits-csv" in exports
    runner = HubRunner(app)
    assert "testvisits-csv" in runner.invoke("export", "nosuch").output
    rows = {row["name"]: row for row in json.loads(runner.invoke("plugins", "--json").output)}
    parts = {failure["part"]: failure["error"] for failure in rows["broken"]["failures"]}
    assert parts == {
        "hub_metrics": "ValueError: codelist file missing",
        "hub_exporters": "OSError: templates folder gone",
    }
    assert rows["testvisits"]["failures"] == []


def test_the_cores_default_plugin_is_listed_only_when_asked_for(visits_runner):
    plain = json.loads(visits_runner.invoke("plugins", "--json").output)
    assert "core" not in {row["name"] for row in plain}
    everything = json.loads(visits_runner.invoke("plugins", "--all", "--json").output)
    core = next(row for row in everything if row["name"] == "core")
    assert core["default"] is True
    assert core["hooks"] == ["hub_blueprints", "hub_nav_items", "hub_permissions"]
    text = visits_runner.invoke("plugins", "--all").output
    assert text.splitlines()[0].split() == ["core", "-", "enabled"]


FAILING_EXPORT = """
from hub import plugin_api as api


@api.hookimpl
def hub_person_data(session, person):
    raise PermissionError("cannot read the archive")
"""


def test_a_strict_hook_that_fails_stops_the_whole_operation(
    make_app, install_plugin, testvisits_installed
):
    install_plugin("archive", FAILING_EXPORT)
    app = make_app(plugins=["archive", "testvisits"])
    admin = create_account(app, "admin").headers
    client = app.test_client()
    person = client.post("/api/v1/people", json={"name": "Nia Bevan"}, headers=admin).json
    response = client.get(f"/api/v1/people/{person['id']}/export", headers=admin)
    assert response.status_code == 500
    assert response.json["details"] == {
        "plugin": [
            "plugin 'archive': hub_person_data failed: PermissionError: cannot read the archive"
        ]
    }
    result = HubRunner(app).invoke("person", "export", str(person["id"]))
    assert result.exit_code == 1


RAISING_COMMANDS = """
import click
from hub import plugin_api as api


@click.command("hello")
def hello():
    click.echo("hello")


@api.hookimpl
def hub_cli_commands():
    raise ImportError("click extras missing")
"""


def test_a_plugins_command_on_an_instance_that_cannot_start_says_why(
    install_plugin, hub_databases, tmp_path, run_hub
):
    install_plugin("greeter", RAISING_COMMANDS)
    instance = make_instance(tmp_path / "i", hub_databases.new("greeter"), plugins=["greeter"])
    why = "hub: plugin 'greeter': hub_cli_commands failed: ImportError: click extras missing\n"
    assert run_hub(instance, "greeter", "hello") == (1, "", why)
    status, out, _ = run_hub(instance, "--help")
    assert status == 0 and "federation" in out
