"""The seed library's pages, under /seedlibrary: the catalogue and the quick lend form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub import plugin_api as api
from hub_seedlibrary import lending
from hub_seedlibrary.models import CROPS, Variety

bp = Blueprint("seedlibrary", __name__, url_prefix="/seedlibrary", template_folder="templates")


@bp.get("/")
@api.require_permission()
def index() -> str:
    session = api.get_session()
    varieties = session.scalars(select(Variety).order_by(Variety.crop, Variety.name)).all()
    people: Sequence[api.Person] = []
    if api.can(api.current_user(), "seedlibrary.lend"):
        people = session.scalars(
            select(api.Person).where(api.Person.anonymised_at.is_(None)).order_by(api.Person.name)
        ).all()
    return render_template(
        "seedlibrary/index.html", varieties=varieties, people=people, crops=CROPS
    )


@bp.post("/lend")
@api.require_permission("seedlibrary.lend")
def lend() -> Response:
    """The volunteer's quick log: one form, three fields, back to the list."""
    session = api.get_session()
    try:
        loan = lending.lend(
            session,
            variety_id=_number(request.form.get("variety_id"), "variety_id"),
            person_id=_number(request.form.get("person_id"), "person_id"),
            packets=_number(request.form.get("packets"), "packets"),
            lent_on=dt.date.today(),
        )
    except lending.LendingError as exc:
        flash(f"Not lent: {exc}.", "error")
        return redirect(url_for("seedlibrary.index"))
    session.commit()
    flash(f"Lent {loan.packets} packets of {loan.variety.name}.", "success")
    return redirect(url_for("seedlibrary.index"))


def _number(raw: str | None, field: str) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        raise lending.LendingError(field, f"{field.replace('_id', '')} is required") from None
    if value < 1:
        raise lending.LendingError(field, f"{field.replace('_id', '')} must be at least 1")
    return value
