"""The people registry: find, add and change people; subject access and erasure."""

from __future__ import annotations

import datetime as dt
import json
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
from sqlalchemy import func, or_, select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from hub import auth, people
from hub.db import get_session, utcnow
from hub.models import Person
from hub.web.common import (
    Date,
    Form,
    blank_to_none,
    email_address,
    get_or_404,
    like_pattern,
    paginate,
    phone_number,
    strip,
)
from hub.web.dashboard import plugin_manager

bp = Blueprint("people", __name__, url_prefix="/people")


def not_in_future(_form: Any, field: Any) -> None:
    if field.data and field.data > dt.date.today():
        raise ValidationError("The date cannot be in the future.")


def not_in_past(_form: Any, field: Any) -> None:
    if field.data and field.data < dt.date.today():
        raise ValidationError("The date cannot be in the past: their details would be erased.")


class PersonForm(Form):
    name = StringField("Name", [DataRequired("Enter a name."), Length(max=200)], filters=[strip])
    email = StringField(
        "Email (optional)", [Optional(), Length(max=254), email_address], filters=[blank_to_none]
    )
    phone = StringField(
        "Phone (optional)", [Optional(), Length(max=40), phone_number], filters=[blank_to_none]
    )
    notes = TextAreaField(
        "Notes (optional)",
        [Length(max=10_000)],
        filters=[strip],
        description="Only what the service needs. The person can ask to see everything written here.",
    )
    consent_given = BooleanField("They agreed to us keeping these details")
    consent_purpose = StringField(
        "What they agreed to",
        [Length(max=300)],
        filters=[strip],
        description="For example: contact about food bank appointments.",
    )
    consent_date = Date(
        "When they agreed", [Optional(), not_in_future], description="Leave empty for today."
    )
    retention_until = Date(
        "Keep their details until",
        [InputRequired("Enter the date after which their details are erased."), not_in_past],
        description="After this date the hub erases their personal details automatically.",
    )

    def validate_consent_purpose(self, field: Any) -> None:
        if self.consent_given.data and not field.data:
            raise ValidationError("Say what they agreed to.")


# The registry's views that personal data duties call for, by their query value.
SHOWS = {
    "": ("Everyone", None),
    "no-consent": (
        "No consent recorded",
        lambda: Person.consent_given.is_(False) & Person.anonymised_at.is_(None),
    ),
    "retention-due": (
        "Past their retention date",
        lambda: (Person.retention_until < dt.date.today()) & Person.anonymised_at.is_(None),
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
    if text:
        pattern = like_pattern(text.lower())
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (Person.name, Person.email, Person.phone)
                )
            )
        )
    return render_template(
        "hub/people/index.html", page=paginate(statement), q=text, show=show, shows=SHOWS
    )


@bp.route("/new", methods=["GET", "POST"])
@auth.require_permission("people.edit")
def create() -> Any:
    form = PersonForm()
    if request.method == "GET":
        form.retention_until.data = people.default_retention(
            dt.date.today(), current_app.config["RETENTION_DAYS"]
        )
    elif form.validate():
        person = Person()
        _fill(person, form)
        session = get_session()
        session.add(person)
        session.commit()
        flash(f"{person.name} is added.", "success")
        return redirect(url_for("people.show", person_id=person.id))
    return _form_page(form, None)


@bp.get("/<int:person_id>")
@auth.require_permission("people.view")
def show(person_id: int) -> str:
    return render_template("hub/people/show.html", person=get_or_404(Person, person_id))


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@auth.require_permission("people.edit")
def edit(person_id: int) -> Any:
    person = get_or_404(Person, person_id)
    if person.anonymised_at is not None:
        flash("This person was erased; there is nothing left to change.", "error")
        return redirect(url_for("people.show", person_id=person.id))
    form = PersonForm(obj=person)
    if request.method == "GET":
        form.consent_date.data = person.consent_at.date() if person.consent_at else None
    elif form.validate():
        _fill(person, form)
        get_session().commit()
        flash("The changes are saved.", "success")
        return redirect(url_for("people.show", person_id=person.id))
    return _form_page(form, person)


@bp.post("/<int:person_id>/export")
@auth.require_permission("people.export")
def export(person_id: int) -> Response:
    session = get_session()
    person = get_or_404(Person, person_id)
    data = people.export(session, plugin_manager(), person)
    session.commit()
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    filename = f"person-{person.id}-{dt.date.today().isoformat()}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/<int:person_id>/erase", methods=["GET", "POST"])
@auth.require_permission("people.erase")
def erase(person_id: int) -> Any:
    session = get_session()
    person = get_or_404(Person, person_id)
    if person.anonymised_at is not None:
        flash("This person was already erased.", "info")
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
    page = render_template("hub/people/erase.html", person=person, error=error)
    return page, 400 if error else 200


def _fill(person: Person, form: PersonForm) -> None:
    person.name = form.name.data
    person.email = form.email.data
    person.phone = form.phone.data
    person.notes = form.notes.data or ""
    person.retention_until = form.retention_until.data
    person.consent_given = bool(form.consent_given.data)
    if not person.consent_given:
        person.consent_purpose = ""
        person.consent_at = None
        return
    person.consent_purpose = form.consent_purpose.data
    agreed = form.consent_date.data or dt.date.today()
    if person.consent_at is None or person.consent_at.date() != agreed:
        person.consent_at = (
            utcnow()
            if agreed == dt.date.today()
            else dt.datetime.combine(agreed, dt.time(12), tzinfo=dt.UTC)
        )


def _form_page(form: PersonForm, person: Person | None) -> Any:
    status = 400 if form.errors else 200
    return render_template("hub/people/form.html", form=form, person=person), status
