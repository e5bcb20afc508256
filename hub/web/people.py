"""The people registry: find, add and change people; subject access and erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import validate, validates_schema
from sqlalchemy import select

from hub import auth, clock, fields, people
from hub.api.people import PersonCreateSchema
from hub.db import get_or_404, get_session, utcnow
from hub.errors import FieldError
from hub.forms import Form
from hub.i18n import _
from hub.models import Person
from hub.paging import requested_page
from hub.web.dashboard import plugin_manager
from hub.web.downloads import json_download

bp = Blueprint("people", __name__, url_prefix="/people")
PER_PAGE = 25


def not_in_future(day: dt.date) -> None:
    if day > clock.today():
        raise FieldError("consent_date", "The date cannot be in the future.")


def not_in_past(day: dt.date) -> None:
    if day < clock.today():
        raise FieldError(
            "retention_until", "The date cannot be in the past: their details would be erased."
        )


class PersonForm(PersonCreateSchema):
    """The person page: the API's fields, with the day consent was given and a
    retention date that must be given."""

    consent_date = fields.Date(validate=not_in_future)
    retention_until = fields.Date(
        required=True,
        validate=not_in_past,
        error_messages={"required": "Enter the date after which their details are erased."},
    )
    consent_purpose = fields.String(validate=validate.Length(max=300))

    @validates_schema
    def _purpose_with_consent(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("consent_given") and not data.get("consent_purpose"):
            raise FieldError("consent_purpose", "Say what they agreed to.")


# The registry's views that personal data duties call for, by their query value.
SHOWS = {
    "": ("Everyone", None),
    "no-consent": (
        "No consent recorded",
        lambda: Person.consent_given.is_(False) & Person.anonymised_at.is_(None),
    ),
    "retention-due": (
        "Past their retention date",
        lambda: (Person.retention_until < clock.today()) & Person.anonymised_at.is_(None),
    ),
    "erased": ("Erased", lambda: Person.anonymised_at.is_not(None)),
}


@bp.get("/")
@auth.require_permission("people.view")
def index() -> str:
    text = request.args.get("q", "").strip()[:200]
    show = request.args.get("show", "")
    if show not in SHOWS:
        show = ""
    statement = select(Person).order_by(Person.anonymised_at.is_not(None), Person.name, Person.id)
    condition = SHOWS[show][1]
    if condition is not None:
        statement = statement.where(condition())
    if text or not auth.can(auth.current_user(), "people.list"):
        statement = statement.where(people.matching(text, auth.current_user()))
    page = requested_page(statement, PER_PAGE)
    return render_template("hub/people/index.html", page=page, q=text, show=show, shows=SHOWS)


@bp.route("/new", methods=["GET", "POST"])
@auth.require_permission("people.edit")
def create() -> Any:
    retention = people.default_retention(clock.today(), current_app.config["RETENTION_DAYS"])
    form = Form(PersonForm, {"retention_until": retention}, once="hub.person")
    person = form.submit(_add, made=_made)
    if person is not None:
        flash(_("%(name)s is added.", name=person.name), "success")
        return redirect(url_for("people.show", person_id=person.id))
    if form.repeated and form.earlier and form.earlier.url:
        return redirect(form.earlier.url)
    return _form_page(form, None)


def _add(data: dict[str, Any]) -> Person:
    person = Person()
    _fill(person, data)
    get_session().add(person)
    return person


def _made(person: Person) -> tuple[str, str]:
    # By number, not name: the token table is not erased with the person.
    return f"person {person.id}", url_for("people.show", person_id=person.id)


@bp.get("/<int:person_id>")
@auth.require_permission("people.view")
def show(person_id: int) -> str:
    return render_template("hub/people/show.html", person=get_or_404(Person, person_id))


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@auth.require_permission("people.edit")
def edit(person_id: int) -> Any:
    person = get_or_404(Person, person_id)
    if person.anonymised_at is not None:
        flash(_("This person was erased; there is nothing left to change."), "error")
        return redirect(url_for("people.show", person_id=person.id))
    shown = {
        "consent_date": person.consent_at.date() if person.consent_at else None,
        **{name: getattr(person, name) for name in PersonForm().fields if hasattr(person, name)},
    }
    form = Form(PersonForm, shown)
    if form.validate_on_submit():
        _fill(person, form.data)
        get_session().commit()
        flash(_("The changes are saved."), "success")
        return redirect(url_for("people.show", person_id=person.id))
    return _form_page(form, person)


@bp.post("/<int:person_id>/export")
@auth.require_permission("people.export")
def export(person_id: int) -> Response:
    session = get_session()
    person = get_or_404(Person, person_id)
    data = people.export(session, plugin_manager(), person)
    session.commit()
    return json_download(data, f"person-{person.id}")


@bp.route("/<int:person_id>/erase", methods=["GET", "POST"])
@auth.require_permission("people.erase")
def erase(person_id: int) -> Any:
    session = get_session()
    person = get_or_404(Person, person_id)
    if person.anonymised_at is not None:
        flash(_("This person was already erased."), "info")
        return redirect(url_for("people.show", person_id=person.id))
    error = None
    if request.method == "POST":
        if request.form.get("confirm") == "yes":
            touched = people.erase(session, plugin_manager(), person)
            records = sum(touched.values())
            flash(
                f"Person {person.id} is erased everywhere ({records} records in services "
                "anonymised). Figures already counted are kept.",
                "success",
            )
            return redirect(url_for("people.index"))
        error = "Tick the box to confirm the erasure."
    page = render_template(
        "hub/confirm_erase.html",
        title=f"Erase {person.name}?",
        back=url_for("people.show", person_id=person.id),
        back_label=person.name,
        explanation="This removes their name, contact details and notes here and in every "
        "service (visits, loans, hours, repairs become anonymous). Figures already counted "
        "stay the same.",
        confirm=f"I am sure: erase person {person.id} everywhere",
        error=error,
    )
    return page, 400 if error else 200


def _fill(person: Person, data: dict[str, Any]) -> None:
    person.name = data["name"]
    person.email = data["email"].lower() if data.get("email") else None
    person.phone = data.get("phone")
    person.notes = data.get("notes", "")
    person.retention_until = data["retention_until"]
    person.consent_given = data.get("consent_given", False)
    if not person.consent_given:
        person.consent_purpose = ""
        person.consent_at = None
        return
    person.consent_purpose = data["consent_purpose"]
    agreed = data.get("consent_date") or clock.today()
    if person.consent_at is None or person.consent_at.date() != agreed:
        person.consent_at = (
            utcnow()
            if agreed == clock.today()
            else dt.datetime.combine(agreed, dt.time(12), tzinfo=dt.UTC)
        )


def _form_page(form: Form, person: Person | None) -> Any:
    return render_template("hub/people/form.html", form=form, person=person), form.status
