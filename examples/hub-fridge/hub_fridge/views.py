"""The fridge's one page, ``/fridge/``: log a visit in one tap, record food given in, and
see this week. Its forms are read into the API's schemas and handed to the service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from hub import plugin_api as api
from hub_fridge import metrics, schemas, service

bp = Blueprint("fridge", __name__, url_prefix="/fridge", template_folder="templates")


@bp.get("/")
@api.require_permission("fridge.view")
def index(visit: api.Form | None = None, donation: api.Form | None = None) -> Any:
    visit = visit or api.Form(schemas.VisitIn, {"people": 1})
    donation = donation or api.Form(schemas.DonationIn)
    week = metrics.this_week(api.get_session(), api.today())
    page = render_template("fridge/index.html", visit=visit, donation=donation, week=week)
    return page, max(visit.status, donation.status)


@bp.post("/visits")
@api.require_permission("fridge.log")
def log_visit() -> Any:
    form = api.Form(schemas.VisitIn)
    if not form.submit(lambda data: service.add_visit(api.get_session(), data, api.today())):
        return index(visit=form)
    flash(f"Visit logged: food for {form.data['people']}.", "success")
    return redirect(url_for("fridge.index"))


@bp.post("/donations")
@api.require_permission("fridge.log")
def record_donation() -> Any:
    form = api.Form(schemas.DonationIn)
    if not form.submit(lambda data: service.add_donation(api.get_session(), data, api.today())):
        return index(donation=form)
    flash(f"Thank you: {form.data['grams'] / 1000:g} kg recorded.", "success")
    return redirect(url_for("fridge.index"))
