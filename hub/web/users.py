"""Admin: user accounts, their roles, and who may sign in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from hub import auth
from hub.db import get_session
from hub.models import ROLES, User
from hub.web.common import Form, acceptable_password, email_address, get_or_404, strip

bp = Blueprint("users", __name__, url_prefix="/admin/users")

ROLE_DESCRIPTIONS = {
    "admin": "everything, including users and personal data requests",
    "coordinator": "runs the service, adds and changes records",
    "volunteer": "records the day's work",
    "viewer": "reads, never changes",
}
ROLE_CHOICES = [SelectChoice(role, f"{role.title()}: {ROLE_DESCRIPTIONS[role]}") for role in ROLES]


def _lower_strip(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class NewUserForm(Form):
    email = StringField(
        "Email",
        [DataRequired("Enter their email address."), Length(max=254), email_address],
        filters=[_lower_strip],
        description="They sign in with it.",
    )
    name = StringField("Name", [Length(max=120)], filters=[strip])
    role = SelectField("Role", choices=ROLE_CHOICES, default="volunteer")
    password = PasswordField(
        "First password",
        [InputRequired("Set a first password."), acceptable_password],
        description="Give it to them in person; they can change it on their account page.",
    )

    def validate_email(self, field: Any) -> None:
        taken = get_session().scalar(
            select(User.id).where(func.lower(User.email) == (field.data or ""))
        )
        if taken is not None:
            raise ValidationError("There is already a user with this email.")


class EditUserForm(Form):
    name = StringField("Name", [Length(max=120)], filters=[strip])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Can sign in")
    new_password = PasswordField(
        "New password (optional)",
        [Optional(), acceptable_password],
        description="Only if they forgot theirs. It signs them out everywhere and revokes their API tokens.",
    )

    def __init__(self, *args: Any, editing_self: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing_self = editing_self

    def validate_role(self, field: Any) -> None:
        if self.editing_self and field.data != "admin":
            raise ValidationError("You cannot take away your own admin role.")

    def validate_active(self, field: Any) -> None:
        if self.editing_self and not field.data:
            raise ValidationError("You cannot disable your own account.")


@bp.get("/")
@auth.require_permission("users.manage")
def index() -> str:
    users = get_session().scalars(select(User).order_by(User.active.desc(), User.email)).all()
    locked = auth.locked_out()
    return render_template("hub/admin/users.html", users=users, locked=locked)


@bp.route("/new", methods=["GET", "POST"])
@auth.require_permission("users.manage")
def create() -> Any:
    form = NewUserForm()
    if request.method == "POST" and form.validate():
        session = get_session()
        user = User(
            email=form.email.data,
            name=form.name.data or "",
            role=form.role.data,
            password_hash=auth.hash_password(form.password.data),
        )
        session.add(user)
        session.commit()
        flash(f"{user.email} can now sign in as {user.role}.", "success")
        return redirect(url_for("users.index"))
    page = render_template("hub/admin/user_form.html", form=form, user=None)
    return page, 400 if form.errors else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@auth.require_permission("users.manage")
def edit(user_id: int) -> Any:
    user = get_or_404(User, user_id)
    me = auth.current_user()
    form = EditUserForm(obj=user, editing_self=me is not None and me.id == user.id)
    if request.method == "POST" and form.validate():
        _apply(user, form)
        get_session().commit()
        flash(f"{user.email} is saved.", "success")
        return redirect(url_for("users.index"))
    page = render_template(
        "hub/admin/user_form.html", form=form, user=user, locked=user.email in auth.locked_out()
    )
    return page, 400 if form.errors else 200


@bp.post("/<int:user_id>/unlock")
@auth.require_permission("users.manage")
def unlock(user_id: int) -> Any:
    """Forget the account's failed sign-ins, so it can sign in from any browser again."""
    user = get_or_404(User, user_id)
    forgotten = auth.unlock(user.email)
    get_session().commit()
    flash(f"{user.email} can sign in again ({forgotten} failed attempts forgotten).", "success")
    return redirect(url_for("users.edit", user_id=user.id))


def _apply(user: User, form: EditUserForm) -> None:
    user.name = form.name.data or ""
    user.role = form.role.data
    was_active, user.active = user.active, bool(form.active.data)
    if form.new_password.data:
        auth.set_password(user, form.new_password.data, keep_current=False)
    elif was_active and not user.active:
        auth.end_sessions(user, keep_current=False)
