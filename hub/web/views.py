"""Sign-in, sign-out and the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from hub import auth
from hub.db import get_session
from hub.models import User
from hub.shell import NavItem

bp = Blueprint("shell", __name__)

CORE_NAV = [
    NavItem("Dashboard", "shell.dashboard", None, order=0),
    NavItem("Network", "federation_pages.network", "metrics.view", order=900),
]


@bp.get("/")
@auth.require_permission()
def dashboard() -> str:
    user = auth.current_user()
    plugins = current_app.extensions["hub.plugins"]
    panels = [
        (plugin, panel)
        for plugin, panel in plugins.contributions(
            "hub_dashboard_panels", user=user, session=get_session(), today=dt.date.today()
        )
        if auth.can(user, panel.permission)
    ]
    panels.sort(key=lambda pair: (pair[1].order, pair[1].title))
    return render_template("hub/dashboard.html", panels=panels)


def _safe_next(target: str | None) -> str:
    # Only local paths: never bounce a user to another site after sign-in.
    if (
        not target
        or urlsplit(target).netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return url_for("shell.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("hub/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    remote = request.remote_addr or "unknown"
    session = get_session()
    if not auth.login_allowed(email, remote):
        flash("Too many failed sign-ins. Wait a few minutes and try again.", "error")
        return render_template(
            "hub/login.html", next=request.form.get("next", ""), email=email
        ), 429
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    ok = user is not None and user.active and auth.check_password(user, password)
    auth.record_login_attempt(email, remote, ok)
    if not ok:
        session.commit()
        flash("That email and password do not match an active account.", "error")
        return render_template(
            "hub/login.html", next=request.form.get("next", ""), email=email
        ), 401
    auth.login(user)
    session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    auth.logout()
    flash("You are signed out.", "info")
    return redirect(url_for("shell.login"))
