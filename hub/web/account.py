"""The signed-in user's own account: password, API tokens, sessions."""

from __future__ import annotations

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
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from hub import auth
from hub.db import get_session, utcnow
from hub.models import ApiToken, User
from hub.web.common import Form, acceptable_password, strip

bp = Blueprint("account", __name__, url_prefix="/account")


class PasswordForm(Form):
    current_password = PasswordField(
        "Current password", [InputRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password",
        [InputRequired("Enter a new password."), acceptable_password],
        description="At least 10 characters. A few unrelated words are easy to remember.",
    )
    confirm_password = PasswordField(
        "New password again",
        [
            InputRequired("Enter the new password a second time."),
            EqualTo("new_password", "The two new passwords are different."),
        ],
    )


class TokenForm(Form):
    name = StringField(
        "What the token is for",
        [DataRequired("Name the token, so you know which to revoke later."), Length(max=120)],
        filters=[strip],
        description="For example: the till laptop's import script.",
    )
    days = IntegerField(
        "Valid for (days)",
        [Optional(), NumberRange(1, auth.MAX_TOKEN_DAYS, f"From 1 to {auth.MAX_TOKEN_DAYS} days.")],
        description="It stops working after that; make a new one then.",
    )


def _user() -> User:
    user = auth.current_user()
    assert user is not None  # every view here requires sign-in
    return user


def _page(
    *,
    password_form: PasswordForm | None = None,
    token_form: TokenForm | None = None,
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
            password_form=password_form or PasswordForm(formdata=None),
            token_form=token_form
            or TokenForm(formdata=None, days=current_app.config["TOKEN_DAYS"]),
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
    form = PasswordForm()
    session = get_session()
    if not form.validate():
        return _page(password_form=form, status=400)
    # Counted per session: a borrowed session must not guess freely, and its
    # guesses must not lock the owner out of signing in elsewhere.
    counter = auth.SignInCounter(
        user.email, request.remote_addr or "unknown", f"session:{auth.current_session_id()}"
    )
    attempt = counter.begin()
    if attempt is None:
        flash("Too many wrong passwords. Wait a few minutes and try again.", "error")
        return _page(password_form=form, status=429)
    if not auth.check_password(user, form.current_password.data):
        session.commit()
        form.current_password.errors = ["That is not your current password."]
        return _page(password_form=form, status=400)
    attempt.succeeded = True
    auth.set_password(user, form.new_password.data, keep_current=True)
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
    form = TokenForm()
    if not form.validate():
        return _page(token_form=form, status=400)
    token = auth.create_token(_user(), form.name.data, form.days.data)
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
