"""Coordinators change services' settings in a page (referral reasons, parcel weights,
low-stock levels...) instead of ``hub.toml`` and a restart: each setting the plugin's
schema declares, read from the form by its type, validated by that schema, saved in
the database (hub.settings_store) and audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from marshmallow import fields

from hub import auth, settings_store
from hub.db import get_session

bp = Blueprint("settings", __name__, url_prefix="/settings")
PERMISSION = "settings.edit"


@dataclass
class Setting:
    """One setting as the page shows it: its box, what it holds now, what is wrong."""

    key: str
    # number, text, checkbox, lines (code = value a line), table (row.column = value a
    # line, for a table of tables such as a parcel's contents), fixed (hub.toml only)
    kind: str
    text: str
    saved: bool
    error: str = ""

    @property
    def label(self) -> str:
        return self.key.replace("_", " ").capitalize()


def _kind(field: fields.Field) -> str:
    if isinstance(field, fields.Boolean):
        return "checkbox"
    if isinstance(field, fields.Integer):
        return "number"
    if isinstance(field, fields.String):
        return "text"
    if isinstance(field, fields.Dict) and _scalar(field.value_field):
        return "lines"
    if (
        isinstance(field, fields.Dict)
        and isinstance(field.value_field, fields.Dict)
        and _scalar(field.value_field.value_field)
    ):
        return "table"
    return "fixed"


def _scalar(field: fields.Field | None) -> bool:
    return isinstance(field, fields.Integer | fields.String)


def _as_text(kind: str, value: Any) -> str:
    if kind == "lines":
        return "\n".join(f"{key} = {item}" for key, item in value.items())
    if kind == "table":
        return "\n".join(
            f"{row}.{column} = {item}"
            for row, items in value.items()
            for column, item in items.items()
        )
    if kind == "fixed":
        return repr(value)
    return "" if value is None else str(value)


def _from_text(kind: str, field: fields.Field, text: str) -> Any:
    """The value a box's text stands for; ValueError says what is wrong with it."""
    if kind == "checkbox":
        return text == "y"
    if kind == "number":
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError("give a whole number") from None
    if kind == "text":
        return text.strip()
    # _kind said which: a Dict of values ("lines") or of Dicts of values ("table").
    values = getattr(field, "value_field", None)
    if kind == "lines":
        return {key: item for _number, key, item in _lines(text, values, "code = value")}
    table: dict[str, dict[str, Any]] = {}
    for number, key, item in _lines(
        text, getattr(values, "value_field", None), "row.column = value"
    ):
        row, dot, column = key.partition(".")
        if not dot or not row.strip() or not column.strip():
            raise ValueError(f"line {number}: write each as row.column = value, not {key!r}")
        table.setdefault(row.strip(), {})[column.strip()] = item
    return table


def _lines(text: str, value_field: Any, shape: str) -> list[tuple[int, str, Any]]:
    """Each non-blank ``key = value`` line with its number, the value a whole number if
    the field's values are."""
    numbers = isinstance(value_field, fields.Integer)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, equals, item = line.partition("=")
        if not equals or not key.strip():
            raise ValueError(f"line {number}: write each as {shape}")
        try:
            found.append((number, key.strip(), int(item.strip()) if numbers else item.strip()))
        except ValueError:
            raise ValueError(f"line {number}: {item.strip()!r} is not a whole number") from None
    return found


def _plugins() -> list[str]:
    return sorted(current_app.extensions["hub.settings"]["schemas"])


@bp.get("/")
@auth.require_permission(PERMISSION)
def index() -> str:
    return render_template("hub/settings_index.html", plugins=_plugins())


@bp.route("/<name>", methods=["GET", "POST"])
@auth.require_permission(PERMISSION)
def edit(name: str) -> Any:
    if name not in _plugins():
        abort(404)
    schema = settings_store.schema(name)
    current = settings_store.effective(name)
    saved = settings_store.stored(name)
    shown = []
    changes: dict[str, Any] = {}
    for key, field in schema.fields.items():
        kind = _kind(field)
        setting = Setting(key, kind, _as_text(kind, current.get(key)), key in saved)
        if request.method == "POST" and kind != "fixed":
            text = request.form.get(key, "")
            setting.text = text if kind != "checkbox" else setting.text
            try:
                changes[key] = _from_text(kind, field, text)
            except ValueError as exc:
                setting.error = str(exc)
        shown.append(setting)
    if request.method == "POST" and not any(setting.error for setting in shown):
        problems = settings_store.save(name, changes)
        if not problems:
            get_session().commit()
            flash(f"Settings of {name} saved; they apply from the next page.", "success")
            return redirect(url_for("settings.edit", name=name))
        by_key = {setting.key: setting for setting in shown}
        for problem in problems:
            key = problem.split("] ", 1)[-1].split(":", 1)[0].strip()
            target = by_key.get(key)
            if target is not None:
                target.error = problem.split(": ", 2)[-1]
            else:
                flash(problem, "error")
    status = 422 if any(setting.error for setting in shown) else 200
    return render_template("hub/settings.html", plugin=name, settings=shown), status
