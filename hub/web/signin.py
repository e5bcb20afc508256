"""Signing in and out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from hub import auth
from hub.db import get_session
from hub.i18n import _
from hub.models import User

bp = Blueprint("signin", __name__)


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the dashboard: a sign-in
    link must never bounce a user to another site."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        # Browsers read "/\\host" as "//host" and drop tabs and newlines.
        or "\\" in target
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target)
        or urlsplit(target).netloc
    ):
        return url_for("shell.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if auth.current_user() is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_template("hub/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "").strip().lower()[:254]
    password = request.form.get("password", "")
    remote = request.remote_addr or "unknown"
    session = get_session()

    def again(message: str, status: int) -> Any:
        flash(message, "error")
        page = render_template("hub/login.html", next=request.form.get("next", ""), email=email)
        return page, status

    if not email or not password:
        return again(_("Enter your email and your password."), 400)
    attempt = auth.SignInCounter(email, remote, auth.known_device(email)).begin()
    if attempt is None:
        return again(
            _(
                "Too many failed sign-ins. Wait a few minutes and try again, "
                "or ask an admin to unlock your account."
            ),
            429,
        )
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    ok = auth.check_password(user, password) and user is not None and user.active
    if not ok:
        session.commit()
        return again(_("That email and password do not match an active account."), 401)
    assert user is not None
    attempt.succeeded = True
    auth.login(user)
    session.commit()
    response = redirect(safe_next(request.form.get("next")))
    auth.remember_device(response, email)
    return response


@bp.post("/logout")
def logout() -> Response:
    auth.logout()
    get_session().commit()
    flash(_("You are signed out."), "info")
    return redirect(url_for("signin.login"))
