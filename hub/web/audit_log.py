"""Admin: the audit log, filtered by what changed, who changed it and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template, request
from marshmallow import validate, validates_schema
from sqlalchemy import Select, select

from hub import auth, fields
from hub.db import get_session
from hub.errors import FieldError
from hub.forms import Form, Schema
from hub.models import AuditEntry, User
from hub.paging import requested_page

bp = Blueprint("audit_log", __name__, url_prefix="/admin/audit")
PER_PAGE = 25
SYSTEM = "system"


class AuditFilter(Schema):
    entity = fields.String(validate=validate.Length(max=64))
    entity_id = fields.String(validate=validate.Length(max=64))
    user = fields.String(validate=validate.Length(max=20))
    since = fields.Date()
    until = fields.Date()

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise FieldError("until", "The end date is before the start date.")


@bp.get("/")
@auth.require_permission("audit.view")
def index() -> Any:
    session = get_session()
    form = Form(AuditFilter)
    valid = form.read(request.args)
    entities = session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity))
    users = session.execute(select(User.id, User.email).order_by(User.email)).all()
    choices = {
        "entities": [(name, name) for name in entities],
        "users": [(SYSTEM, "The system (commands, imports)")]
        + [(str(user_id), email) for user_id, email in users],
    }
    page = None
    if valid:
        statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        page = requested_page(_filtered(statement, form.data), PER_PAGE)
    return render_template("hub/admin/audit.html", form=form, page=page, **choices), (
        200 if valid else 422
    )


def _filtered(statement: Select[Any], wanted: dict[str, Any]) -> Select[Any]:
    if "entity" in wanted:
        statement = statement.where(AuditEntry.entity == wanted["entity"])
    if "entity_id" in wanted:
        statement = statement.where(AuditEntry.entity_id == wanted["entity_id"])
    if wanted.get("user") == SYSTEM:
        statement = statement.where(AuditEntry.user_id.is_(None))
    elif wanted.get("user", "").isdigit():
        statement = statement.where(AuditEntry.user_id == int(wanted["user"]))
    if "since" in wanted:
        statement = statement.where(AuditEntry.at >= _start_of(wanted["since"]))
    if "until" in wanted and wanted["until"] < dt.date.max:
        statement = statement.where(AuditEntry.at < _start_of(wanted["until"] + dt.timedelta(1)))
    return statement


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
