"""The signed-in user's own account: password, API tokens, sessions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import validate, validates_schema
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub import auth, fields
from hub.db import get_session, utcnow
from hub.errors import FieldError
from hub.forms import Form, Schema
from hub.models import ApiToken, User

bp = Blueprint("account", __name__, url_prefix="/account")


def check_password(field: str, password: str, known: Iterable[str | None]) -> None:
    """A new password the hub accepts: long enough and hard to guess, knowing what else
    is known about the account (its email and name, this instance's name)."""
    context = [current_app.config["INSTANCE_NAME"], *(text or "" for text in known)]
    problem = auth.validate_password(password, context)
    if problem:
        raise FieldError(field, f"The password {problem}.")


def required(message: str) -> dict[str, Any]:
    return {"required": message}


class PasswordChange(Schema):
    current_password = fields.Password(
        required=True, error_messages=required("Enter your current password.")
    )
    new_password = fields.Password(required=True, error_messages=required("Enter a new password."))
    confirm_password = fields.Password(
        required=True, error_messages=required("Enter the new password a second time.")
    )

    @validates_schema
    def _acceptable_and_the_same_twice(self, data: dict[str, Any], **_: Any) -> None:
        user = _user()
        check_password("new_password", data["new_password"], (user.email, user.name))
        if data["new_password"] != data["confirm_password"]:
            raise FieldError("confirm_password", "The two new passwords are different.")


class TokenRequest(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(max=120),
        error_messages=required("Name the token, so you know which to revoke later."),
    )
    days = fields.Integer(
        validate=validate.Range(
            1, auth.MAX_TOKEN_DAYS, error=f"From 1 to {auth.MAX_TOKEN_DAYS} days."
        )
    )


def _user() -> User:
    user = auth.current_user()
    assert user is not None  # every view here requires sign-in
    return user


def _page(
    *,
    password_form: Form | None = None,
    token_form: Form | None = None,
    new_token: str | None = None,
    status: int = 200,
) -> Response:
    user = _user()
    tokens = get_session().scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    )
    granted = sorted(name for name in auth.permissions() if auth.can(user, name))
    return make_response(
        render_template(
            "hub/account.html",
            password_form=password_form or Form(PasswordChange),
            token_form=token_form or Form(TokenRequest, {"days": current_app.config["TOKEN_DAYS"]}),
            tokens=list(tokens),
            new_token=new_token,
            now=utcnow(),
            permissions=[auth.permissions()[name] for name in granted],
        ),
        status,
    )


@bp.get("/")
@auth.require_permission()
def index() -> Response:
    return _page()


@bp.post("/password")
@auth.require_permission()
def change_password() -> Any:
    user = _user()
    form = Form(PasswordChange)
    session = get_session()
    if not form.validate_on_submit():
        return _page(password_form=form, status=form.status)
    # Counted per session: a borrowed session must not guess freely, and its
    # guesses must not lock the owner out of signing in elsewhere.
    counter = auth.SignInCounter(
        user.email, request.remote_addr or "unknown", f"session:{auth.current_session_id()}"
    )
    attempt = counter.begin()
    if attempt is None:
        flash("Too many wrong passwords. Wait a few minutes and try again.", "error")
        return _page(password_form=form, status=429)
    if not auth.check_password(user, form.data["current_password"]):
        session.commit()
        form.errors["current_password"] = ["That is not your current password."]
        return _page(password_form=form, status=form.status)
    attempt.succeeded = True
    auth.set_password(user, form.data["new_password"], keep_current=True)
    session.commit()
    flash(
        "Your password is changed. You are signed out everywhere else, "
        "and your API tokens are revoked.",
        "success",
    )
    return redirect(url_for("account.index"))


@bp.post("/tokens")
@auth.require_permission()
def create_token() -> Any:
    form = Form(TokenRequest)
    if not form.validate_on_submit():
        return _page(token_form=form, status=form.status)
    token = auth.create_token(_user(), form.data["name"], form.data.get("days"))
    get_session().commit()
    # Shown in this response only (never put in the session cookie, which is
    # signed but readable); the browser must not keep the page either.
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
@auth.require_permission()
def revoke_token(token_id: int) -> Any:
    session = get_session()
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != _user().id:
        abort(404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
    flash(f"The token “{token.name or token.prefix}” is revoked.", "success")
    return redirect(url_for("account.index"))


@bp.post("/sessions")
@auth.require_permission()
def end_other_sessions() -> Any:
    auth.end_sessions(_user(), keep_current=True)
    get_session().commit()
    flash(
        "You are signed out on every other device. API tokens are not affected: "
        "revoke any you no longer trust below.",
        "success",
    )
    return redirect(url_for("account.index"))
