"""The people registry: search, records, subject-access export and erasure."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from marshmallow import validate
from sqlalchemy import Select, select

from hub import auth, clock, fields, people
from hub.db import get_or_404, get_session, utcnow
from hub.errors import ApiError
from hub.forms import Schema
from hub.models import Person
from hub.rest import ApiBlueprint

bp = ApiBlueprint("api_people", __name__, url_prefix="/api/v1", tag="people")

PHONE = validate.Regexp(
    r"^\+?[0-9 ()-]{5,40}$", error="Enter a phone number using digits, spaces and + ( ) - only."
)


class PersonSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    notes = fields.String()
    consent_given = fields.Boolean()
    consent_purpose = fields.String()
    consent_at = fields.DateTime(allow_none=True)
    retention_until = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    anonymised_at = fields.DateTime(
        allow_none=True, metadata={"description": "Set when the person was erased."}
    )


class PersonChangeSchema(Schema):
    """The fields a coordinator may set; all optional when changing a person."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(
        allow_none=True,
        validate=validate.Length(max=254),
        error_messages={"invalid": "Enter an email address like name@example.org."},
    )
    phone = fields.String(allow_none=True, validate=[validate.Length(max=40), PHONE])
    notes = fields.String(validate=validate.Length(max=10_000))
    consent_given = fields.Boolean()
    consent_purpose = fields.String(validate=validate.Length(max=300))
    # Never null: everyone in the registry is anonymised some day.
    retention_until = fields.Date(
        metadata={"description": "Anonymised after this date; default RETENTION_DAYS from now."},
    )


class PersonCreateSchema(PersonChangeSchema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        error_messages={"required": "Enter a name."},
    )


class PersonQuery(Schema):
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Part of a name, email or phone number."},
    )
    consent = fields.Boolean(metadata={"description": "Only people who have (or not) consented."})
    retention_before = fields.Date(
        metadata={"description": "Only people whose retention date is before this date."}
    )
    erased = fields.Boolean(
        metadata={"description": "Only erased people (true) or only current ones (false)."}
    )


class ErasedSchema(Schema):
    """What an erasure touched: the record's id and each plugin's count of records."""

    id = fields.Integer()
    plugins = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Records touched in each plugin."},
    )


class ErasureSchema(ErasedSchema):
    anonymised_at = fields.DateTime()


@bp.operation(
    "/people",
    summary="Search the people registry",
    permission="people.view",
    query=PersonQuery,
    response=PersonSchema,
    paginate=True,
)
def list_people(query: dict[str, Any]) -> Select[Any]:
    """With ``people.list`` (coordinators), every word of ``q`` anywhere; without it
    (volunteers), ``q`` is an exact lookup of a whole name, email or phone, and
    nothing else finds anyone."""
    statement = select(Person).order_by(Person.name, Person.id)
    if "q" in query or not auth.can(auth.current_user(), "people.list"):
        statement = statement.where(people.matching(query.get("q", ""), auth.current_user()))
    if "consent" in query:
        statement = statement.where(Person.consent_given.is_(query["consent"]))
    if "retention_before" in query:
        statement = statement.where(Person.retention_until < query["retention_before"])
    if "erased" in query:
        erased = Person.anonymised_at.is_not(None)
        statement = statement.where(erased if query["erased"] else ~erased)
    return statement


@bp.operation(
    "/people",
    method="POST",
    summary="Add a person",
    permission="people.edit",
    body=PersonCreateSchema,
    response=PersonSchema,
    status=201,
)
def create_person(body: dict[str, Any]) -> Person:
    session = get_session()
    body.setdefault(
        "retention_until",
        people.default_retention(clock.today(), current_app.config["RETENTION_DAYS"]),
    )
    person = Person()
    _apply(person, body)
    session.add(person)
    session.commit()
    return person


@bp.operation(
    "/people/<int:person_id>",
    summary="One person",
    permission="people.view",
    response=PersonSchema,
)
def get_person(person_id: int) -> Person:
    return _get(person_id)


@bp.operation(
    "/people/<int:person_id>",
    method="PATCH",
    summary="Change a person's details or consent",
    permission="people.edit",
    body=PersonChangeSchema,
    response=PersonSchema,
)
def update_person(person_id: int, body: dict[str, Any]) -> Person:
    person = _get(person_id)
    if person.anonymised_at is not None:
        raise ApiError(409, "person was erased", {"id": [f"person {person_id} was erased"]})
    _apply(person, body)
    get_session().commit()
    return person


@bp.operation(
    "/people/<int:person_id>/export",
    summary="Everything held about a person (subject access request)",
    permission="people.export",
)
def export_person(person_id: int) -> Response:
    """The core record and what every enabled plugin holds, as one JSON document
    (offered as a file download, ready to hand to the person)."""
    session = get_session()
    data = people.export(session, current_app.extensions["hub.plugins"], _get(person_id))
    session.commit()
    return json_attachment(data, f"person-{person_id}.json")


def json_attachment(data: dict[str, Any], filename: str) -> Response:
    """A subject-access export, offered as a file download ready to hand over."""
    response = jsonify(data)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.operation(
    "/people/<int:person_id>/erase",
    method="POST",
    summary="Erase a person everywhere",
    permission="people.erase",
    response=ErasureSchema,
)
def erase_person(person_id: int) -> dict[str, Any]:
    """Blanks the person's details in the core and every plugin; anonymous
    records stay, so published figures do not change. Cannot be undone."""
    session = get_session()
    person = _get(person_id)
    if person.anonymised_at is not None:
        raise ApiError(409, "person was already erased", {"id": [f"person {person_id}"]})
    touched = people.erase(session, current_app.extensions["hub.plugins"], person)
    return {"id": person.id, "anonymised_at": person.anonymised_at, "plugins": touched}


def _get(person_id: int) -> Person:
    return get_or_404(Person, person_id)


def _apply(person: Person, values: dict[str, Any]) -> None:
    if "email" in values and values["email"] is not None:
        values["email"] = values["email"].strip().lower()
    if "consent_given" in values and values["consent_given"] != person.consent_given:
        person.consent_at = utcnow() if values["consent_given"] else None
    for key, value in values.items():
        setattr(person, key, value)


def blueprints() -> list[Blueprint]:
    return [bp]
