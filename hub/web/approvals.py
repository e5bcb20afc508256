"""Figures to approve: a coordinator reviews a period's figures, as they would be
published, and approves them (``PUBLISH_REQUIRES_APPROVAL``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from hub import approvals, auth
from hub.db import get_session
from hub.periods import Period
from hub.web.public_figures import Catalogue, month_label

bp = Blueprint("approvals", __name__, url_prefix="/approvals")


def _period_label(text: str) -> str:
    period = Period.parse(text)
    if period.kind == "month":
        return month_label(period)
    return f"week of {period.start:%-d %b %Y}"


@bp.get("/")
@auth.require_permission("metrics.approve")
def index() -> str:
    session = get_session()
    catalogue = Catalogue.build(current_app, session)
    everything = request.args.get("show") == "all"
    found = [
        r for r in approvals.reviews(current_app, session) if everything or r.state != "approved"
    ]
    return render_template(
        "hub/approvals.html",
        reviews=found,
        required=approvals.required(current_app),
        everything=everything,
        catalogue=catalogue,
        period_label=_period_label,
        threshold=current_app.config["SUPPRESSION_THRESHOLD"],
    )


@bp.post("/approve")
@auth.require_permission("metrics.approve")
def approve() -> Any:
    session = get_session()
    plugin, period = request.form.get("plugin", ""), request.form.get("period", "")
    user = auth.current_user()
    assert user is not None  # the permission needs a signed-in user
    try:
        approvals.approve(
            current_app, session, plugin, period, user, seen=request.form.get("digest", "")
        )
    except approvals.ApprovalError as exc:
        session.rollback()
        flash(str(exc).capitalize() + ".", "error")
        return redirect(url_for("approvals.index")), 303
    session.commit()
    flash(
        f"Approved {Catalogue.build(current_app, session).service(plugin)}, "
        f"{_period_label(period)}: published at the next hub federation publish.",
        "success",
    )
    return redirect(url_for("approvals.index")), 303
