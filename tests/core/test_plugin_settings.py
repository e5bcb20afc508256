"""Plugin settings declared as a marshmallow schema: validated at start-up with
the rest of the configuration, one clear line per mistake, environment
variables read as each field's type, the values given to the plugin typed."""

from __future__ import annotations

import pytest

from hub import create_app
from hub.config import ConfigError
from hub.plugin_manager import PluginError
from hub.testing import HubRunner, make_instance

SEEDS = """
import click
from marshmallow import Schema, fields, validate
from hub import plugin_api as api


class SettingsSchema(Schema):
    max_packets_per_loan = fields.Integer(
        strict=True, validate=validate.Range(min=1), load_default=5
    )
    note_retention_days = fields.Integer(strict=True, load_default=365)
    crops = fields.List(fields.String(), load_default=lambda: ["beans", "peas"])
    labels = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    welcome = fields.String(load_default="Welcome")
    open_to_all = fields.Boolean(load_default=False)
    grams_per_packet = fields.Float(load_default=2.5)


@api.hookimpl
def hub_settings():
    return SettingsSchema


@click.command("settings")
def show():
    values = api.plugin_settings("seeds")
    for key in sorted(values):
        click.echo(f"{key}={values[key]!r}")
    values["crops"].append("changed")  # a copy: the next read is unchanged


@api.hookimpl
def hub_cli_commands():
    return [show]
"""


@pytest.fixture
def instance(install_plugin, hub_databases, tmp_path):
    install_plugin("seeds", SEEDS)

    def make(**settings):
        return make_instance(
            tmp_path / "instance", hub_databases.new("seeds"), plugins=["seeds"], **settings
        )

    return make


def test_every_mistake_is_one_line_naming_where_it_is(instance, monkeypatch, run_hub):
    mistakes = {
        "max_packets_per_lone": 3,
        "note_retention_days": "a year",
        "open_to_all": 1,
        "crops": "beans",
    }
    path = instance(seeds=mistakes, SUPPRESSION_THRESHOLD=2)
    monkeypatch.setenv("HUB_SEEDS_MAX_PACKETS_PER_LOAN", "0")
    monkeypatch.setenv("HUB_SEEDS_GRAMS_PER_PACKET", "heavy")
    monkeypatch.setenv("HUB_SEEDS_LABELS", "[1, 2]")
    status, out, err = run_hub(path, "db", "upgrade")
    assert (status, out) == (1, "")
    # The core's settings first; once they are right, the plugins'.
    assert err.splitlines() == [
        "hub: configuration: SUPPRESSION_THRESHOLD must be at least 3: smaller counts can identify people"
    ]
    path = instance(seeds=mistakes)
    status, out, err = run_hub(path, "db", "upgrade")
    assert status == 1
    assert sorted(err.splitlines()) == sorted(
        [
            "hub: configuration: hub.toml: [seeds] max_packets_per_lone: unknown setting "
            "(did you mean max_packets_per_loan?)",
            "hub: configuration: hub.toml: [seeds] note_retention_days must be a whole number, "
            "not text",
            "hub: configuration: hub.toml: [seeds] open_to_all must be true or false, "
            "not a whole number",
            "hub: configuration: hub.toml: [seeds] crops must be a list, not text",
            "hub: configuration: environment: HUB_SEEDS_GRAMS_PER_PACKET: 'heavy' is not a number",
            "hub: configuration: environment: HUB_SEEDS_LABELS: '[1, 2]' is not a JSON object",
            "hub: configuration: environment: HUB_SEEDS_MAX_PACKETS_PER_LOAN: "
            "Must be greater than or equal to 1.",
        ]
    )


def test_values_are_layered_and_typed(instance, monkeypatch, run_hub):
    path = instance(seeds={"max_packets_per_loan": 3, "welcome": "Croeso", "crops": ["leeks"]})
    monkeypatch.setenv("HUB_SEEDS_MAX_PACKETS_PER_LOAN", "7")
    monkeypatch.setenv("HUB_SEEDS_OPEN_TO_ALL", "yes")
    monkeypatch.setenv("HUB_SEEDS_LABELS", '{"beans": "Ffa"}')
    monkeypatch.setenv("HUB_SEEDS_GRAMS_PER_PACKET", "3")
    assert run_hub(path, "db", "upgrade")[0] == 0
    for _ in range(2):
        status, out, err = run_hub(path, "seeds", "settings")
        assert (status, err) == (0, "")
        assert out.splitlines() == [
            "crops=['leeks']",
            "grams_per_packet=3.0",
            "labels={'beans': 'Ffa'}",
            "max_packets_per_loan=7",
            "note_retention_days=365",
            "open_to_all=True",
            "welcome='Croeso'",
        ]


def test_huge_values_are_taken_and_unset_ones_have_their_defaults(instance):
    path = instance(seeds={"welcome": "x" * 10_000, "max_packets_per_loan": 2**62})
    app = create_app(instance_path=path)
    assert app.config["PLUGIN_SETTINGS"]["seeds"]["max_packets_per_loan"] == 2**62
    assert len(app.config["PLUGIN_SETTINGS"]["seeds"]["welcome"]) == 10_000
    result = HubRunner(app).invoke("seeds", "settings")
    assert "note_retention_days=365" in result.output


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        (
            "class SettingsSchema(Schema):\n    days = fields.Integer()",
            "plugin 'seeds': settings days need a load_default, so the plugin runs with no "
            "settings at all",
        ),
        (
            "SettingsSchema = 42",
            "plugin 'seeds': hub_settings must return a marshmallow Schema class, not int",
        ),
    ],
)
def test_a_schema_the_core_cannot_use_stops_start_up(
    install_plugin, hub_databases, tmp_path, declaration, message
):
    source = (
        SEEDS[: SEEDS.index("class SettingsSchema")]
        + declaration
        + ("\n\n\n@api.hookimpl\ndef hub_settings():\n    return SettingsSchema\n")
    )
    install_plugin("seeds", source)
    path = make_instance(tmp_path / "i", hub_databases.new("seeds"), plugins=["seeds"])
    with pytest.raises(PluginError) as raised:
        create_app(instance_path=path)
    assert str(raised.value) == message


def test_a_disabled_plugins_settings_are_not_checked(instance, hub_databases, tmp_path):
    path = make_instance(
        tmp_path / "off", hub_databases.new("off"), plugins=[], seeds={"anything": "goes"}
    )
    create_app(instance_path=path)
    with pytest.raises(ConfigError):
        create_app(instance_path=instance(seeds={"anything": "goes"}))
