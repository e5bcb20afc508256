"""Reading the audit log: who changed what, and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, select

from hub.models import AuditEntry
from hub.rest import ApiBlueprint

bp = ApiBlueprint("api_audit", __name__, url_prefix="/api/v1", tag="audit")


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    actor = fields.String(metadata={"description": "Who: a user and how (web, api), or the CLI."})
    action = fields.String(metadata={"description": "create, update, delete, export, erase..."})
    entity = fields.String(metadata={"description": "The table, e.g. person, location."})
    entity_id = fields.String()
    changes = fields.Dict(
        metadata={"description": "Changed values; personal fields show only that they changed."}
    )


def _moment(description: str) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        default_timezone=dt.UTC,
        metadata={"description": description + " ISO 8601; UTC unless a zone is given."},
    )


class AuditQuery(Schema):
    entity = fields.String(validate=validate.Length(min=1, max=80))
    entity_id = fields.String(validate=validate.Length(min=1, max=64))
    user_id = fields.Integer(validate=validate.Range(min=1))
    action = fields.String(validate=validate.Length(min=1, max=40))
    since = _moment("Entries at or after this time.")
    until = _moment("Entries before this time.")


@bp.operation(
    "/audit",
    summary="The audit log, newest first",
    permission="audit.view",
    query=AuditQuery,
    response=AuditEntrySchema,
    paginate=True,
)
def list_audit(query: dict[str, Any]) -> Select[Any]:
    statement = select(AuditEntry).order_by(AuditEntry.id.desc())
    for key in ("entity", "entity_id", "user_id", "action"):
        if key in query:
            statement = statement.where(getattr(AuditEntry, key) == query[key])
    if "since" in query:
        statement = statement.where(AuditEntry.at >= query["since"])
    if "until" in query:
        statement = statement.where(AuditEntry.at < query["until"])
    return statement


def blueprints() -> list[Blueprint]:
    return [bp]
