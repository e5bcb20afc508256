"""A household's data on request, on its page: everything held about it as a download,
and its erasure (for the people who hold those permissions: admins, by default)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from hub.plugin_api import get_or_404, get_session, require_permission
from hub_foodbank import people
from hub_foodbank.models import Household
from hub_foodbank.permissions import ERASE, EXPORT

bp = Blueprint("foodbank_privacy", __name__, url_prefix="/foodbank")


@bp.get("/households/<int:household_id>/export.json")
@require_permission(EXPORT)
def export(household_id: int) -> Response:
    session = get_session()
    data = people.export_household(session, get_or_404(Household, household_id))
    session.commit()
    response = Response(json.dumps(data, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="household-{household_id}.json"'
    )
    return response


@bp.route("/households/<int:household_id>/erase", methods=["GET", "POST"])
@require_permission(ERASE)
def erase(household_id: int) -> Any:
    household = get_or_404(Household, household_id)
    back = url_for("foodbank.household", household_id=household.id)
    if household.anonymised_at is not None:
        flash("This household was already anonymised.", "info")
        return redirect(back)
    error = None
    if request.method == "POST":
        if request.form.get("confirm") == "yes":
            records = people.erase_household(get_session(), household)
            flash(
                f"Household {household.id} is erased ({records} records blanked). "
                "Its parcels still count in the figures.",
                "success",
            )
            return redirect(url_for("foodbank.households"))
        error = "Tick the box to confirm the erasure."
    page = render_template(
        "hub/confirm_erase.html",
        title=f"Erase household {household.code}?",
        back=back,
        back_label=f"Household {household.code}",
        explanation="This removes its code, dietary needs, allergies, area, its link to a "
        "person and its vouchers' notes, here and in the audit log. Its parcels and vouchers "
        "stay as anonymous records, so figures already counted stay the same.",
        confirm=f"I am sure: erase household {household.id}",
        error=error,
    )
    return page, 400 if error else 200
