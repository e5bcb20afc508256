"""Admin: user accounts, their roles, and who may sign in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from marshmallow import validate, validates, validates_schema
from sqlalchemy import func, select

from hub import auth, fields, people
from hub.api.users import UserChangeSchema, UserCreateSchema
from hub.db import get_or_404, get_session
from hub.errors import FieldError
from hub.forms import Form
from hub.models import ROLES, User
from hub.web.account import check_password
from hub.web.dashboard import plugin_manager
from hub.web.downloads import json_download

bp = Blueprint("users", __name__, url_prefix="/admin/users")

ROLE_DESCRIPTIONS = {
    "admin": "everything, including users and personal data requests",
    "coordinator": "runs the service, adds and changes records",
    "volunteer": "records the day's work",
    "viewer": "reads, never changes",
}
ROLE_CHOICES = {role: f"{role.title()}: {ROLE_DESCRIPTIONS[role]}" for role in ROLES}


class NewUser(UserCreateSchema):
    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        error_messages={
            "required": "Enter their email address.",
            "invalid": "Enter an email address like name@example.org.",
        },
    )
    role = fields.Code(ROLE_CHOICES, required=True)
    password = fields.Password(required=True, error_messages={"required": "Set a first password."})

    @validates("email")
    def _not_taken(self, value: str, **_: Any) -> None:
        taken = get_session().scalar(
            select(User.id).where(func.lower(User.email) == value.strip().lower())
        )
        if taken is not None:
            raise FieldError("email", "There is already a user with this email.")

    @validates_schema
    def _hard_to_guess(self, data: dict[str, Any], **_: Any) -> None:
        check_password("password", data["password"], (data["email"], data.get("name")))


class UserChange(UserChangeSchema):
    role = fields.Code(ROLE_CHOICES, required=True)
    password = fields.Password()

    @validates_schema
    def _hard_to_guess(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password"):
            me = auth.current_user()
            known = (data.get("name"), *((me.email, me.name) if me else ()))
            check_password("password", data["password"], known)


@bp.get("/")
@auth.require_permission("users.manage")
def index() -> str:
    users = get_session().scalars(select(User).order_by(User.active.desc(), User.email)).all()
    locked = auth.locked_out()
    return render_template("hub/admin/users.html", users=users, locked=locked)


@bp.route("/new", methods=["GET", "POST"])
@auth.require_permission("users.manage")
def create() -> Any:
    form = Form(NewUser, {"role": "volunteer"}, once="hub.user")
    user = form.submit(
        _add,
        # By number, not address: the token table is not erased with the user.
        made=lambda user: (f"user {user.id}", url_for("users.edit", user_id=user.id)),
    )
    if user is not None:
        flash(f"{user.email} can now sign in as {user.role}.", "success")
        return redirect(url_for("users.index"))
    if form.repeated and form.earlier and form.earlier.url:
        return redirect(form.earlier.url)
    page = render_template("hub/admin/user_form.html", form=form, user=None)
    return page, form.status


def _add(data: dict[str, Any]) -> User:
    user = User(
        email=data["email"].strip().lower(),
        name=data.get("name", ""),
        role=data["role"],
        password_hash=auth.hash_password(data["password"]),
    )
    get_session().add(user)
    return user


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@auth.require_permission("users.manage")
def edit(user_id: int) -> Any:
    user = get_or_404(User, user_id)
    if user.erased_at is not None:
        return render_template("hub/admin/user_form.html", form=None, user=user)
    form = Form(UserChange, user, inputs={"password": "new_password"})
    if form.submit(lambda data: _apply(user, data)):
        get_session().commit()
        flash(f"{user.email} is saved.", "success")
        return redirect(url_for("users.index"))
    page = render_template(
        "hub/admin/user_form.html", form=form, user=user, locked=user.email in auth.locked_out()
    )
    return page, form.status


@bp.post("/<int:user_id>/unlock")
@auth.require_permission("users.manage")
def unlock(user_id: int) -> Any:
    """Forget the account's failed sign-ins, so it can sign in from any browser again."""
    user = get_or_404(User, user_id)
    forgotten = auth.unlock(user.email)
    get_session().commit()
    flash(f"{user.email} can sign in again ({forgotten} failed attempts forgotten).", "success")
    return redirect(url_for("users.edit", user_id=user.id))


def _apply(user: User, data: dict[str, Any]) -> User:
    me = auth.current_user()
    if me is not None and me.id == user.id:
        if data["role"] != "admin":
            raise FieldError("role", "You cannot take away your own admin role.")
        if not data["active"]:
            raise FieldError("active", "You cannot disable your own account.")
    user.name = data.get("name", "")
    user.role = data["role"]
    was_active, user.active = user.active, data["active"]
    if data.get("password"):
        auth.set_password(user, data["password"], keep_current=False)
    elif was_active and not user.active:
        auth.end_sessions(user, keep_current=False)
    return user


@bp.post("/<int:user_id>/export")
@auth.require_permission("users.manage")
def export(user_id: int) -> Response:
    """A volunteer's own subject-access request: their account and what every plugin holds."""
    session = get_session()
    user = get_or_404(User, user_id)
    data = people.export_user(session, plugin_manager(), user)
    session.commit()
    return json_download(data, f"user-{user.id}")


@bp.route("/<int:user_id>/erase", methods=["GET", "POST"])
@auth.require_permission("users.manage")
def erase(user_id: int) -> Any:
    session = get_session()
    user = get_or_404(User, user_id)
    back = url_for("users.edit", user_id=user.id)
    me = auth.current_user()
    if me is not None and me.id == user.id:
        flash("You cannot erase your own account; ask another admin.", "error")
        return redirect(back)
    error = None
    if request.method == "POST":
        if request.form.get("confirm") == "yes":
            try:
                touched = people.erase_user(session, plugin_manager(), user)
            except people.AccountError as exc:
                flash(f"Not erased: {exc}.", "error")
                return redirect(back)
            flash(
                f"User {user.id}'s account is erased ({sum(touched.values())} records in "
                "services unlinked). What they recorded is kept.",
                "success",
            )
            return redirect(url_for("users.index"))
        error = "Tick the box to confirm the erasure."
    page = render_template(
        "hub/confirm_erase.html",
        title=f"Erase the account of {user.email}?",
        back=back,
        back_label=user.email,
        explanation="This removes their name and email here and their name from what "
        "every service recorded (repairs they fixed, shifts they took), signs them out "
        "everywhere and deletes their API tokens. What they recorded stays, so figures "
        "already counted stay the same.",
        confirm=f"I am sure: erase the account of user {user.id}",
        error=error,
    )
    return page, 400 if error else 200
