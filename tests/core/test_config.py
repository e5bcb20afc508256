"""Configuration: hub.toml, HUB_* overrides, and one clear message per mistake."""

from __future__ import annotations

import sys

import pytest
from marshmallow import Schema, fields

from hub import config
from hub.cli import main
from hub.config import ConfigError

SECRET = "s" * 40


def write(instance, text):
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "hub.toml").write_text(text)
    return instance


def load(instance, installed=frozenset({"foodbank"})):
    return config.load(instance, None, installed=set(installed))


def problems(instance, **kwargs):
    with pytest.raises(ConfigError) as raised:
        load(instance, **kwargs)
    return raised.value.problems


def test_file_then_environment(tmp_path, monkeypatch):
    instance = write(
        tmp_path,
        f'SECRET_KEY = "{SECRET}"\nINSTANCE_NAME = "Riverside Food Bank"\n'
        'BASE_URL = "https://hub.example.org/"\nSUPPRESSION_THRESHOLD = 10\n'
        'LOCALITY = { town = "Riverside", region = "Wales", country = "GB" }\n',
    )
    settings = load(instance)
    assert settings["INSTANCE_NAME"] == "Riverside Food Bank"
    assert settings["BASE_URL"] == "https://hub.example.org"
    assert settings["DATABASE_URL"] == f"sqlite:///{instance / 'hub.sqlite3'}"
    assert settings["PLUGINS"] == ["*"]
    assert settings["SUPPRESSION_THRESHOLD"] == 10

    monkeypatch.setenv("HUB_INSTANCE_NAME", "Riverside Hub")
    monkeypatch.setenv("HUB_SUPPRESSION_THRESHOLD", "7")
    monkeypatch.setenv("HUB_FEDERATION_ALLOW_PRIVATE", "yes")
    monkeypatch.setenv("HUB_PLUGINS", "foodbank, ")
    monkeypatch.setenv("HUB_LOCALITY", "Aberystwyth, Wales, GB")
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql+psycopg://hub@db/hub")
    monkeypatch.setenv("HUB_PROTOCOL", "https")  # another tool's variable: ignored
    settings = load(instance)
    assert settings["INSTANCE_NAME"] == "Riverside Hub"
    assert settings["SUPPRESSION_THRESHOLD"] == 7
    assert settings["FEDERATION_ALLOW_PRIVATE"] is True
    assert settings["PLUGINS"] == ["foodbank"]
    assert settings["LOCALITY"] == {"town": "Aberystwyth", "region": "Wales", "country": "GB"}
    assert settings["DATABASE_URL"] == "postgresql+psycopg://hub@db/hub"
    monkeypatch.setenv("HUB_LOCALITY", '{"town": "Bala", "country": "GB"}')
    assert load(instance)["LOCALITY"] == {"town": "Bala", "country": "GB"}


def test_every_mistake_is_reported_at_once(tmp_path):
    instance = write(
        tmp_path,
        'SECRET_KEY = "short"\n'
        'DATABSE_URL = "sqlite:///x"\n'
        'DATABASE_URL = "mysql://hub@localhost/hub"\n'
        'BASE_URL = "hub.example.org/path"\n'
        'PLUGINS = ["foodbank", "toolshed"]\n'
        "SUPPRESSION_THRESHOLD = 2\n"
        'LOCALITY = { town = "Rhyl", county = "Denbighshire" }\n'
        "RETENTION_DAYS = 0\n"
        'SESSION_HOURS = "twelve"\n'
        'FEDERATION_ALLOW_PRIVATE = "no"\n'
        "COLOUR = 3\n",
    )
    assert problems(instance) == [
        "hub.toml: unknown setting 'DATABSE_URL' (did you mean DATABASE_URL?)",
        "hub.toml: unknown setting 'COLOUR'",
        "FEDERATION_ALLOW_PRIVATE must be true or false, not text",
        "SESSION_HOURS must be a whole number, not text",
        "SECRET_KEY must be set to at least 32 random characters (hub init makes one)",
        "DATABASE_URL: 'mysql' is not supported; use sqlite or postgresql",
        "BASE_URL: 'hub.example.org/path' must be http(s)://host[:port] with no path",
        "PLUGINS: 'toolshed' is not installed (installed: foodbank)",
        "SUPPRESSION_THRESHOLD must be at least 3: smaller counts can identify people",
        "LOCALITY: unknown keys ['county']; use town, region, country",
        "RETENTION_DAYS must be at least 1",
    ]


def test_environment_mistakes(tmp_path, monkeypatch):
    instance = write(tmp_path, f'SECRET_KEY = "{SECRET}"\n')
    monkeypatch.setenv("HUB_SUPPRESSION_THRESHOLD", "five")
    monkeypatch.setenv("HUB_FEDERATION_ALLOW_PRIVATE", "perhaps")
    monkeypatch.setenv("HUB_LOCALITY", "{broken")
    monkeypatch.setenv("HUB_DATABSE_URL", "sqlite:///x")
    monkeypatch.setenv("HUB_DATABASE_URL", "not a url")
    assert sorted(problems(instance)) == sorted(
        [
            "environment: HUB_SUPPRESSION_THRESHOLD: 'five' is not a whole number",
            "environment: HUB_FEDERATION_ALLOW_PRIVATE: 'perhaps' is not true or false",
            "environment: HUB_LOCALITY: not valid JSON: Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)",
            "environment: unknown setting HUB_DATABSE_URL (did you mean HUB_DATABASE_URL?)",
            "DATABASE_URL: 'not a url' is not a database URL",
        ]
    )


def test_unreadable_toml(tmp_path):
    instance = write(tmp_path, "SECRET_KEY = \n")
    [problem] = [p for p in problems(instance) if "TOML" in p]
    assert problem.startswith(f"{instance / 'hub.toml'}: not valid TOML: ")


class FoodbankSettings(Schema):
    parcel_days = fields.Integer(strict=True, load_default=7)
    voucher_required = fields.Boolean(load_default=True)
    label = fields.String(load_default="")
    max_per_month = fields.Integer(strict=True, load_default=4)


def test_plugin_settings_tables(tmp_path, monkeypatch):
    instance = write(
        tmp_path,
        f'SECRET_KEY = "{SECRET}"\n[foodbank]\nparcel_days = 3\nvoucher_required = true\n'
        "[toolshed]\nloan_days = 7\n[foodbnk]\nparcel_days = 2\n",
    )
    assert problems(instance) == [
        "hub.toml: unknown setting 'toolshed'",
        "hub.toml: unknown setting 'foodbnk' (did you mean [foodbank]?)",
    ]
    instance = write(
        tmp_path, f'SECRET_KEY = "{SECRET}"\n[foodbank]\nparcel_days = 3\nlabel = "Parcel"\n'
    )
    monkeypatch.setenv("HUB_FOODBANK_VOUCHER_REQUIRED", "false")
    monkeypatch.setenv("HUB_FOODBANK_PARCEL_DAYS", "5")
    settings = load(instance)
    assert config.plugin_settings(settings, [("foodbank", FoodbankSettings)]) == {
        "foodbank": {
            "parcel_days": 5,
            "voucher_required": False,
            "label": "Parcel",
            "max_per_month": 4,
        }
    }


def test_a_plugin_table_spelt_otherwise_stops_start_up(tmp_path, monkeypatch):
    """[FOODBANK] and [plugins.foodbank] would be read by nobody: each is a mistake
    saying the name it should have, never settings silently ignored."""
    instance = write(
        tmp_path,
        f'SECRET_KEY = "{SECRET}"\n[FOODBANK]\nparcel_days = 3\n'
        "[plugins.Foodbank]\nparcel_days = 2\n",
    )
    assert problems(instance) == [
        "hub.toml: [FOODBANK]: a plugin's settings table is named in lowercase, "
        "as the plugin is: [foodbank]",
        "hub.toml: [plugins.…]: a plugin's settings go in a table of the plugin's own name, "
        "[foodbank], not under plugins (which lists the enabled plugins)",
    ]
    # The environment's upper case is the convention there, and is read as before.
    instance = write(tmp_path, f'SECRET_KEY = "{SECRET}"\n[foodbank]\nparcel_days = 3\n')
    monkeypatch.setenv("HUB_FOODBANK_PARCEL_DAYS", "5")
    settings = load(instance)
    assert (
        config.plugin_settings(settings, [("foodbank", FoodbankSettings)])["foodbank"][
            "parcel_days"
        ]
        == 5
    )


def test_the_command_line_prints_one_line_per_mistake(tmp_path, monkeypatch, capsys):
    instance = write(tmp_path, 'SECRET_KEY = "short"\nRETENTION_DAYS = -5\n')
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(instance))
    monkeypatch.setattr(sys, "argv", ["hub", "db", "upgrade"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        "hub: configuration: SECRET_KEY must be set to at least 32 random characters "
        "(hub init makes one)",
        "hub: configuration: RETENTION_DAYS must be at least 1",
    ]
