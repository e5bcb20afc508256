"""Configuration: defaults, then the instance folder's ``hub.toml``, then ``HUB_*``
environment variables (or, in tests, a mapping), validated in one go so that an
admin sees every mistake at once, each on its own line.

Plugin settings live in a table named after the plugin (``[repaircafe]``) and
are overridden by ``HUB_<PLUGIN>_<KEY>``. Each plugin declares them as a
marshmallow schema (``hub_settings``); :func:`plugin_settings` validates each
enabled plugin's layers of values against it once the plugins are loaded.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from hub import i18n, mail

CONFIG_FILE = "hub.toml"
ENV_PREFIX = "HUB_"

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "",  # empty: SQLite file hub.sqlite3 in the instance folder
    "SECRET_KEY": "",
    "BASE_URL": "http://127.0.0.1:5000",
    "PLUGINS": ["*"],  # "*": every installed plugin
    "INSTANCE_NAME": "Community Hub",
    # The language of a reader with no setting of their own whose browser asks for
    # none this hub speaks (hub/i18n.py): en_GB or cy.
    "DEFAULT_LANGUAGE": "en_GB",
    "LOCALITY": {"town": "", "region": "", "country": "GB"},
    "FEDERATION_ALLOW_PRIVATE": False,
    "SUPPRESSION_THRESHOLD": 5,
    "PUBLISH_REQUIRES_APPROVAL": False,
    "RETENTION_DAYS": 1095,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_MINUTES": 15,
    "SESSION_HOURS": 12,
    "TOKEN_DAYS": 90,
    "MAX_UPLOAD_MB": 32,
    # Outgoing mail (hub/mail.py): an empty MAIL_HOST sends none.
    "MAIL_HOST": "",
    "MAIL_PORT": 587,
    "MAIL_SECURITY": "starttls",
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "",
    "TESTING": False,
}

# Keys read from the environment but never written to hub.toml.
ENV_ONLY = {"INSTANCE_PATH"}


class ConfigError(Exception):
    """One or more configuration mistakes; ``str()`` gives one line per mistake."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def instance_path_from_env() -> Path:
    return Path(os.environ.get("HUB_INSTANCE_PATH", "instance")).resolve()


def load(
    instance_path: Path, overrides: Mapping[str, Any] | None = None, *, installed: set[str]
) -> dict[str, Any]:
    """The validated configuration of the instance at ``instance_path``.

    ``overrides`` (tests) replace the environment. ``installed`` names the
    plugins whose settings tables are allowed.
    """
    problems: list[str] = []
    config: dict[str, Any] = {key: _copy(value) for key, value in DEFAULTS.items()}
    file_values = _read_file(instance_path / CONFIG_FILE, problems)
    _merge(config, file_values, f"{CONFIG_FILE}", installed, problems)
    if overrides is not None:
        _merge(config, dict(overrides), "test config", installed, problems)
    else:
        _merge(config, _from_environment(installed, problems), "environment", installed, problems)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'hub.sqlite3'}"
    _validate(config, installed, problems)
    if problems:
        raise ConfigError(problems)
    return config


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _read_file(path: Path, problems: list[str]) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: not valid TOML: {exc}")
    except OSError as exc:
        problems.append(f"{path}: cannot be read: {exc.strerror}")
    return {}


def _merge(
    config: dict[str, Any],
    values: dict[str, Any],
    where: str,
    installed: set[str],
    problems: list[str],
) -> None:
    for key, value in values.items():
        upper = key.upper()
        if upper == "PLUGINS" and isinstance(value, dict):
            problems.append(_plugin_tables_under_plugins(where, key, value))
        elif upper in DEFAULTS:
            config[upper] = value
        elif key.lower() in installed and isinstance(value, dict) and key != key.lower():
            # A plugin's table is named as the plugin is: [SKILLSHARE] would be read by
            # nobody who looks for [skillshare], and two spellings could disagree.
            problems.append(
                f"{where}: [{key}]: a plugin's settings table is named in lowercase, "
                f"as the plugin is: [{key.lower()}]"
            )
        elif key.lower() in installed and isinstance(value, dict):
            layer = SettingsLayer(where, value, text=where == "environment")
            config.setdefault("PLUGIN_SETTINGS", {}).setdefault(key.lower(), []).append(layer)
        elif upper in ENV_ONLY:
            continue
        else:
            hint = _did_you_mean(key, installed)
            problems.append(f"{where}: unknown setting {key!r}{hint}")


def _plugin_tables_under_plugins(where: str, key: str, tables: dict[str, Any]) -> str:
    """The mistake of ``[plugins.skillshare]``: PLUGINS lists the enabled plugins; each
    plugin's settings are a table of its own name, at the top level."""
    named = ", ".join(f"[{name.lower()}]" for name in tables) or "[<plugin>]"
    return (
        f"{where}: [{key}.…]: a plugin's settings go in a table of the plugin's own name, "
        f"{named}, not under {key} (which lists the enabled plugins)"
    )


def _did_you_mean(key: str, installed: Iterable[str]) -> str:
    tables = {name: f"[{name}]" for name in installed}
    found = difflib.get_close_matches(key.upper(), DEFAULTS, n=1)
    found += [tables[n] for n in difflib.get_close_matches(key.lower(), tables, n=1)]
    return f" (did you mean {found[0]}?)" if found else ""


def _from_environment(installed: set[str], problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, raw in os.environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :]
        if key in ENV_ONLY or key.startswith("TEST_"):
            continue
        if key in DEFAULTS:
            try:
                values[key] = _parse_env(DEFAULTS[key], raw)
            except ValueError as exc:
                problems.append(f"environment: {name}: {exc}")
            continue
        plugin, _, setting = key.lower().partition("_")
        if plugin in installed and setting:
            values.setdefault(plugin, {})[setting] = raw
            continue
        # Other tools use HUB_* too (GitHub's hub), so only a near miss is a mistake.
        hint = difflib.get_close_matches(key, DEFAULTS, n=1, cutoff=0.8)
        if hint:
            problems.append(
                f"environment: unknown setting {name} (did you mean {ENV_PREFIX}{hint[0]}?)"
            )
    return values


def _parse_env(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"{raw!r} is not true or false")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(default, dict):
        if raw.lstrip().startswith("{"):
            try:
                return json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON: {exc}") from None
        parts = [part.strip() for part in raw.split(",")]
        return dict(zip(("town", "region", "country"), parts, strict=False))
    return raw


EXPECTED_TYPES: dict[str, type] = {key: type(value) for key, value in DEFAULTS.items()}


def _validate(config: dict[str, Any], installed: set[str], problems: list[str]) -> None:
    # Every mistake is reported at once: a key of the wrong type skips only its own checks.
    wrong = set()
    for key, kind in EXPECTED_TYPES.items():
        value = config[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append(f"{key} must be {_kind_name(kind)}, not {_kind_name(type(value))}")
            wrong.add(key)
    checks = {
        "SECRET_KEY": _check_secret_key,
        "DATABASE_URL": check_database_url,
        "BASE_URL": _check_base_url,
        "PLUGINS": lambda value: _check_plugins(value, installed),
        "SUPPRESSION_THRESHOLD": _check_threshold,
        "LOCALITY": _check_locality,
        "DEFAULT_LANGUAGE": i18n.check_language,
    }
    for key in (
        "RETENTION_DAYS",
        "LOGIN_MAX_FAILURES",
        "LOGIN_WINDOW_MINUTES",
        "SESSION_HOURS",
        "TOKEN_DAYS",
        "MAX_UPLOAD_MB",
    ):
        checks[key] = _at_least_one(key)
    for key, check in checks.items():
        if key not in wrong:
            problems.extend(check(config[key]))
    if not wrong & {"MAIL_HOST", "MAIL_PORT", "MAIL_SECURITY", "MAIL_FROM"}:
        problems.extend(mail.check_settings(config))
    if "BASE_URL" not in wrong:
        config["BASE_URL"] = config["BASE_URL"].rstrip("/")


def _kind_name(kind: type) -> str:
    return {
        str: "text",
        int: "a whole number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
        float: "a decimal number",
    }.get(kind, kind.__name__)


def _check_secret_key(value: str) -> list[str]:
    if len(value) < 32:
        return ["SECRET_KEY must be set to at least 32 random characters (hub init makes one)"]
    return []


def check_database_url(value: str) -> list[str]:
    try:
        backend = make_url(value).get_backend_name()
    except ArgumentError:
        return [f"DATABASE_URL: {value!r} is not a database URL"]
    if backend not in {"sqlite", "postgresql"}:
        return [f"DATABASE_URL: {backend!r} is not supported; use sqlite or postgresql"]
    return []


def _check_base_url(value: str) -> list[str]:
    base = urlsplit(value)
    if base.scheme not in {"http", "https"} or not base.netloc or base.path not in {"", "/"}:
        return [f"BASE_URL: {value!r} must be http(s)://host[:port] with no path"]
    return []


def _check_plugins(value: list[Any], installed: set[str]) -> list[str]:
    if value == ["*"]:
        return []
    known = ", ".join(sorted(installed)) or "none"
    return [
        f"PLUGINS: {name!r} is not installed (installed: {known})"
        for name in value
        if name not in installed
    ]


def _check_threshold(value: int) -> list[str]:
    if value < 3:
        return ["SUPPRESSION_THRESHOLD must be at least 3: smaller counts can identify people"]
    return []


def _check_locality(value: dict[str, Any]) -> list[str]:
    unknown = set(value) - {"town", "region", "country"}
    if unknown:
        return [f"LOCALITY: unknown keys {sorted(unknown)}; use town, region, country"]
    bad = sorted(key for key, part in value.items() if not isinstance(part, str))
    if bad:
        return [f"LOCALITY: {', '.join(bad)} must be text"]
    return []


def _at_least_one(key: str) -> Any:
    return lambda value: [f"{key} must be at least 1"] if value < 1 else []


# --- plugin settings ---------------------------------------------------------------


@dataclass(frozen=True)
class SettingsLayer:
    """One source of a plugin's settings. Later layers override earlier ones:
    ``hub.toml``'s table (or a test's mapping), then the environment."""

    source: str  # how a mistake names it: "hub.toml", "environment"
    values: Mapping[str, Any]
    text: bool = False  # values are text to read as each field's type (environment variables)

    def where(self, plugin: str, key: str) -> str:
        if self.source == "environment":
            return f"environment: {ENV_PREFIX}{plugin.upper()}_{key.upper()}"
        return f"{self.source}: [{plugin}] {key}"


# The Python types a value read from TOML must have for each kind of field.
FIELD_TYPES: tuple[tuple[type[fields.Field], tuple[type, ...]], ...] = (
    (fields.Boolean, (bool,)),
    (fields.Integer, (int,)),
    (fields.Number, (int, float)),
    (fields.String, (str,)),
    (fields.List, (list,)),
    (fields.Tuple, (list,)),
    (fields.Dict, (dict,)),
)


def plugin_settings(
    config: Mapping[str, Any], declared: Iterable[tuple[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each plugin's validated settings, from what its ``hub_settings`` declared
    and the layers of values in ``config``. Raises :class:`ConfigError` with one
    line per mistake, across every plugin."""
    problems: list[str] = []
    found = {}
    for plugin, declaration in declared:
        schema = settings_schema(plugin, declaration)
        layers = config.get("PLUGIN_SETTINGS", {}).get(plugin, [])
        found[plugin] = layered(plugin, schema, layers, problems)
    if problems:
        raise ConfigError(problems)
    return found


def settings_schema(plugin: str, declaration: Any) -> Schema:
    """The schema a plugin's ``hub_settings`` declared (a Schema class, or the
    deprecated dict of defaults, typed from its values). A field without a
    default is the plugin's mistake."""
    from hub.plugin_manager import PluginError

    if isinstance(declaration, Mapping):
        warnings.warn(
            f"plugin {plugin!r}: hub_settings returned a dict of defaults, which is deprecated "
            "and stops working in plugin API 2.0; return a marshmallow Schema class whose "
            "fields have load_default (docs/plugins.md, Settings)",
            DeprecationWarning,
            stacklevel=2,
        )
        declaration = Schema.from_dict(
            {key: _field_for(value) for key, value in declaration.items()},
            name=f"{plugin.title()}Settings",
        )
    if isinstance(declaration, type) and issubclass(declaration, Schema):
        declaration = declaration()
    if not isinstance(declaration, Schema):
        raise PluginError(
            f"plugin {plugin!r}: hub_settings must return a marshmallow Schema class, "
            f"not {type(declaration).__name__}"
        )
    missing = [
        name
        for name, field in declaration.fields.items()
        if field.load_default is fields.missing_ and not field.dump_only
    ]
    if missing:
        raise PluginError(
            f"plugin {plugin!r}: settings {', '.join(missing)} need a load_default, "
            "so the plugin runs with no settings at all"
        )
    return declaration


def _field_for(default: Any) -> fields.Field:
    kinds: dict[type, type[fields.Field]] = {
        bool: fields.Boolean,
        int: fields.Integer,
        float: fields.Float,
        str: fields.String,
        list: fields.List,
        dict: fields.Dict,
    }
    kind = kinds.get(type(default), fields.Raw)
    if kind is fields.List:
        return fields.List(fields.Raw(), load_default=default)
    if kind is fields.Integer:
        return fields.Integer(strict=True, load_default=default)
    return kind(load_default=default, allow_none=default is None)


def layered(
    plugin: str, schema: Schema, layers: Sequence[SettingsLayer], problems: list[str]
) -> dict[str, Any]:
    """The settings ``layers`` give, validated by ``schema``; each mistake is
    added to ``problems`` naming where the value came from. Issue 13's settings
    stored in the database will be one more layer, on top."""
    by_key = {field.data_key or name: field for name, field in schema.fields.items()}
    chosen: dict[str, tuple[Any, str]] = {}
    for layer in layers:
        for key, value in layer.values.items():
            where = layer.where(plugin, key)
            field = by_key.get(key)
            if field is None:
                hint = difflib.get_close_matches(key, by_key, n=1)
                suggestion = f" (did you mean {hint[0]}?)" if hint else ""
                problems.append(f"{where}: unknown setting{suggestion}")
                continue
            try:
                chosen[key] = (_typed(field, value, layer.text), where)
            except ValueError as exc:
                problems.append(f"{where}: {exc}" if layer.text else f"{where} {exc}")
    try:
        return dict(schema.load({key: value for key, (value, _) in chosen.items()}))
    except ValidationError as exc:
        for key, messages in sorted(exc.normalized_messages().items()):
            where = chosen[key][1] if key in chosen else f"[{plugin}]"
            problems.append(f"{where}: {_flatten(messages)}")
        return {}


def _typed(field: fields.Field, value: Any, text: bool) -> Any:
    """``value`` checked against the kind of ``field`` (read from text first, for
    environment variables); a ValueError says what was expected."""
    expected = next((types for kind, types in FIELD_TYPES if isinstance(field, kind)), None)
    if expected is None:
        return value
    if text:
        return _from_text(expected, value)
    if not isinstance(value, expected) or (bool not in expected and isinstance(value, bool)):
        raise ValueError(f"must be {_kind_name(expected[0])}, not {_kind_name(type(value))}")
    return value


def _from_text(expected: tuple[type, ...], raw: str) -> Any:
    if expected == (bool,):
        return _parse_env(False, raw)
    if expected == (int,):
        return _parse_env(0, raw)
    if float in expected:
        try:
            return int(raw)
        except ValueError:
            pass
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    if expected == (list,):
        return _parse_env([], raw)
    if expected == (dict,):
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise ValueError(f"{raw!r} is not a JSON object")
        return parsed
    return raw


def _flatten(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in messages.items())
    if isinstance(messages, list):
        return " ".join(_flatten(message) for message in messages)
    return str(messages)
