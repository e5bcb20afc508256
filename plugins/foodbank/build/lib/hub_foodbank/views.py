"""Pages for volunteers (the quick log, households, vouchers) and coordinators."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from hub.plugin_api import (
    ApiError,
    Location,
    Person,
    can,
    current_user,
    get_session,
    load,
    require_permission,
)
from hub_foodbank import api, codes, schemas, service, settings, stock
from hub_foodbank.models import Agency, Household, Parcel, Voucher
from hub_foodbank.permissions import HOUSEHOLDS, LOG, MANAGE, VIEW

bp = Blueprint(
    "foodbank",
    __name__,
    url_prefix="/foodbank",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

LOCATION_KEY = "foodbank_location"
FORM_TOKEN_PREFIX = "form:"


@bp.context_processor
def _codelists() -> dict[str, Any]:
    return {"codes": codes}


def _today() -> dt.date:
    return dt.date.today()


def _error_text(details: Any) -> dict[str, str]:
    """Field -> one readable message, from a 4xx error's details."""
    if not isinstance(details, dict):
        return {"form": str(details)}
    found = {}
    for name, messages in details.items():
        if isinstance(messages, dict):
            messages = [f"{k}: {v}" for k, v in messages.items()]
        found[name] = (
            "; ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
        )
    return found


def _int_or_raw(value: str) -> Any:
    value = value.strip()
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return value


def _grams_from_kg(value: str) -> Any:
    value = value.strip().replace(",", ".")
    if value == "":
        return None
    try:
        return round(float(value) * 1000)
    except ValueError:
        return value


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != ""}


# --- overview --------------------------------------------------------------------


@bp.get("/")
@require_permission(VIEW)
def index() -> str:
    db = get_session()
    config = settings.current()
    today = _today()
    parcels, people, grams = db.execute(
        select(
            func.count(Parcel.id),
            func.coalesce(func.sum(Parcel.adults + Parcel.children), 0),
            func.coalesce(func.sum(Parcel.weight_grams), 0),
        ).where(Parcel.given_on == today)
    ).one()
    sees_households = can(current_user(), HOUSEHOLDS)
    flagged = service.flagged_households(db, config, today, limit=20) if sees_households else []
    flagged_total = service.flagged_count(db, config, today) if sees_households else 0
    levels = stock.levels(db, config, today)
    return render_template(
        "foodbank/index.html",
        today_figures={"parcels": parcels, "people": people, "grams": grams},
        flagged=flagged,
        flagged_total=flagged_total,
        low=[level for level in levels if level.low],
        config=config,
    )


# --- the quick log ----------------------------------------------------------------


@bp.get("/quick")
@require_permission(LOG)
def quick() -> str:
    """Step one: find a voucher or household by its code."""
    code = request.args.get("code", "")
    found = service.find_by_code(get_session(), code) if code.strip() else None
    voucher = found if isinstance(found, Voucher) else None
    household = voucher.household if voucher else found
    if household is not None and household.anonymised_at is not None:
        household = None
    return render_template(
        "foodbank/quick.html",
        code=code,
        searched=bool(code.strip()),
        voucher=voucher,
        household=household,
        today=_today(),
    )


def _locations() -> list[Location]:
    return list(
        get_session().scalars(
            select(Location).where(Location.active.is_(True)).order_by(Location.name)
        )
    )


def _quick_target() -> tuple[Household, Voucher | None]:
    db = get_session()
    source = request.values
    if voucher_id := source.get("voucher_id", type=int):
        voucher = db.get(Voucher, voucher_id)
        if voucher is None:
            abort(404)
        return voucher.household, voucher
    household = db.get(Household, source.get("household_id", type=int) or 0)
    if household is None or household.anonymised_at is not None:
        abort(404)
    return household, service.open_voucher_for(db, household, _today())


def _parcel_form(
    household: Household,
    voucher: Voucher | None,
    values: dict[str, Any],
    errors: dict[str, str],
    token: str,
    status: int = 200,
) -> tuple[str, int]:
    db = get_session()
    config = settings.current()
    return render_template(
        "foodbank/quick_parcel.html",
        household=household,
        voucher=voucher,
        values=values,
        errors=errors,
        token=token,
        locations=_locations(),
        window_count=service.parcels_in_window(db, config, household.id, _today()),
        config=config,
        weights={t: config.default_weight(t, household.size) for t in codes.PARCEL_TYPES},
    ), status


@bp.get("/quick/log")
@require_permission(LOG)
def quick_log() -> tuple[str, int]:
    """Step two: the parcel, pre-filled from the household, one tap from logged."""
    household, voucher = _quick_target()
    values = service.prefill(settings.current(), household)
    values["weight_kg"] = f"{values['weight_grams'] / 1000:g}"
    locations = _locations()
    remembered = session.get(LOCATION_KEY)
    if remembered in {loc.id for loc in locations}:
        values["location_id"] = remembered
    elif locations:
        values["location_id"] = locations[0].id
    values["signposting"] = []
    return _parcel_form(household, voucher, values, {}, secrets.token_urlsafe(18))


def _parcel_body(form: MultiDict[str, str], household: Household, voucher: Voucher | None) -> dict:
    body = _drop_empty(
        {
            "location_id": _int_or_raw(form.get("location_id", "")),
            "parcel_type": form.get("parcel_type", ""),
            "adults": _int_or_raw(form.get("adults", "")),
            "children": _int_or_raw(form.get("children", "")),
            "weight_grams": _grams_from_kg(form.get("weight_kg", "")),
            "method": form.get("method", ""),
        }
    )
    body["signposting"] = form.getlist("signposting")
    if voucher is not None:
        body["voucher_code"] = voucher.code
    else:
        body["household_id"] = household.id
    return body


@bp.post("/quick/log")
@require_permission(LOG)
def quick_log_post() -> Any:
    """Step three: log it. The form's one-time token makes a double tap harmless."""
    household, voucher = _quick_target()
    form = request.form
    token = form.get("token", "")
    if not 16 <= len(token) <= 64 or not token.replace("-", "").replace("_", "").isalnum():
        abort(400)
    values = {**form.to_dict(), "signposting": form.getlist("signposting")}
    try:
        body = load(schemas.ParcelCreate, _parcel_body(form, household, voucher), "form")
        wanted = api.parcel_request(body, FORM_TOKEN_PREFIX + token, _today())
        parcel, created = service.log_parcel(get_session(), wanted)
    except ApiError as exc:
        errors = _error_text(exc.details)
        if exc.status != 422:
            # A conflict (voucher spent, key reused) is about the whole parcel, not one field.
            errors = {"form": f"{exc.error.capitalize()}: {'; '.join(errors.values())}"}
        if "weight_grams" in errors:
            errors["weight_kg"] = errors.pop("weight_grams")
        return _parcel_form(household, voucher, values, errors, token, exc.status)
    session[LOCATION_KEY] = parcel.location_id
    config = settings.current()
    label = codes.PARCEL_TYPES[parcel.parcel_type].lower()
    if created:
        flash(f"Logged: {label} for household {household.code}.", "success")
    else:
        flash(f"Already logged: {label} for household {household.code}.", "info")
    count = service.parcels_in_window(get_session(), config, household.id, _today())
    if count >= int(config.policy_parcels):
        flash(
            f"Household {household.code} has had {count} parcels in {config.policy_days} days: "
            "offer extra support (advice, a referral onward).",
            "warning",
        )
    return redirect(url_for("foodbank.quick"))


# --- households and vouchers -------------------------------------------------------


@bp.get("/households")
@require_permission(HOUSEHOLDS)
def households() -> str:
    code = request.args.get("code", "")
    statement = select(Household).where(Household.anonymised_at.is_(None))
    if code.strip():
        statement = statement.where(Household.code.contains(service.normalise_code(code)))
    rows = get_session().scalars(statement.order_by(Household.id.desc()).limit(100)).all()
    return render_template("foodbank/households.html", households=rows, code=code)


def _consenting_people() -> list[Person]:
    if not can(current_user(), "people.view"):
        return []
    return list(
        get_session().scalars(
            select(Person)
            .where(Person.consent_given.is_(True), Person.anonymised_at.is_(None))
            .order_by(Person.name)
        )
    )


def _household_body(form: MultiDict[str, str]) -> dict[str, Any]:
    body = _drop_empty(
        {
            "adults": _int_or_raw(form.get("adults", "")),
            "children_0_4": _int_or_raw(form.get("children_0_4", "")),
            "children_5_11": _int_or_raw(form.get("children_5_11", "")),
            "children_12_17": _int_or_raw(form.get("children_12_17", "")),
            "postcode_district": form.get("postcode_district", ""),
            "code": form.get("code", "").strip(),
        }
    )
    body["dietary"] = form.getlist("dietary")
    body["allergies"] = form.get("allergies", "").strip()
    if "person_id" in form:
        body["person_id"] = _int_or_raw(form["person_id"])
    return body


@bp.route("/households/new", methods=["GET", "POST"])
@require_permission(LOG)
def household_new() -> Any:
    values: dict[str, Any] = {"adults": 1, "dietary": []}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {**request.form.to_dict(), "dietary": request.form.getlist("dietary")}
        try:
            household = api.create_household(
                load(schemas.HouseholdCreate, _household_body(request.form), "form")
            )
        except ApiError as exc:
            errors = _error_text(exc.details)
        else:
            flash(f"Household {household.code} registered.", "success")
            return redirect(url_for("foodbank.household", household_id=household.id))
    return render_template(
        "foodbank/household_form.html", values=values, errors=errors, people=_consenting_people()
    ), (422 if errors else 200)


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@require_permission(LOG)
def household_edit(household_id: int) -> Any:
    found = get_session().get(Household, household_id)
    if found is None or found.anonymised_at is not None:
        abort(404)
    values: dict[str, Any] = {
        name: getattr(found, name)
        for name in (
            "adults",
            "children_0_4",
            "children_5_11",
            "children_12_17",
            "allergies",
            "postcode_district",
            "person_id",
        )
    }
    values["dietary"] = list(found.dietary or [])
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {**request.form.to_dict(), "dietary": request.form.getlist("dietary")}
        body = _household_body(request.form)
        body.pop("code", None)
        try:
            api.update_household(found, load(schemas.HouseholdFields, body, "form"))
        except ApiError as exc:
            errors = _error_text(exc.details)
        else:
            flash(f"Household {found.code} updated.", "success")
            return redirect(url_for("foodbank.household", household_id=household_id))
    return render_template(
        "foodbank/household_form.html",
        values=values,
        errors=errors,
        people=_consenting_people(),
        household=found,
    ), (422 if errors else 200)


@bp.get("/households/<int:household_id>")
@require_permission(HOUSEHOLDS)
def household(household_id: int) -> str:
    db = get_session()
    found = db.get(Household, household_id)
    if found is None:
        abort(404)
    config = settings.current()
    parcels = db.scalars(
        select(Parcel)
        .where(Parcel.household_id == household_id)
        .order_by(Parcel.given_on.desc())
        .limit(50)
    ).all()
    vouchers = db.scalars(
        select(Voucher)
        .where(Voucher.household_id == household_id)
        .order_by(Voucher.issued_on.desc())
    ).all()
    return render_template(
        "foodbank/household.html",
        household=found,
        parcels=parcels,
        vouchers=vouchers,
        window_count=service.parcels_in_window(db, config, household_id, _today()),
        config=config,
        today=_today(),
    )


def _agencies() -> list[Agency]:
    return list(
        get_session().scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name))
    )


@bp.route("/households/<int:household_id>/vouchers/new", methods=["GET", "POST"])
@require_permission(LOG)
def voucher_new(household_id: int) -> Any:
    found = get_session().get(Household, household_id)
    if found is None or found.anonymised_at is not None:
        abort(404)
    values: dict[str, Any] = {"reasons": [], "issued_on": _today().isoformat()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        values = {**form.to_dict(), "reasons": form.getlist("reasons")}
        body = _drop_empty(
            {
                "agency_id": _int_or_raw(form.get("agency_id", "")),
                "code": form.get("code", "").strip(),
                "issued_on": form.get("issued_on", ""),
                "notes": form.get("notes", "").strip(),
            }
        )
        body["household_id"] = household_id
        body["reasons"] = form.getlist("reasons")
        try:
            voucher = api.create_voucher(load(schemas.VoucherCreate, body, "form"), _today())
        except ApiError as exc:
            errors = _error_text(exc.details)
        else:
            flash(
                f"Voucher {voucher.code} issued, valid to {voucher.valid_until:%d %b %Y}.",
                "success",
            )
            return redirect(url_for("foodbank.household", household_id=household_id))
    return render_template(
        "foodbank/voucher_form.html",
        household=found,
        values=values,
        errors=errors,
        agencies=_agencies(),
        reasons=settings.current().reasons,
    ), (422 if errors else 200)


@bp.get("/vouchers")
@require_permission(HOUSEHOLDS)
def vouchers() -> str:
    rows = (
        get_session()
        .scalars(select(Voucher).order_by(Voucher.issued_on.desc(), Voucher.id.desc()).limit(100))
        .all()
    )
    return render_template(
        "foodbank/vouchers.html", vouchers=rows, today=_today(), reasons=settings.current().reasons
    )


# --- agencies -------------------------------------------------------------------


@bp.route("/agencies", methods=["GET", "POST"])
@require_permission(VIEW)
def agencies() -> Any:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        if not can(current_user(), MANAGE):
            abort(403)
        values = request.form.to_dict()
        body = _drop_empty(
            {"name": values.get("name", "").strip(), "agency_type": values.get("agency_type", "")}
        )
        try:
            agency = api.create_agency(load(schemas.AgencyIn, body, "form"))
        except ApiError as exc:
            errors = _error_text(exc.details)
        else:
            flash(f"Agency {agency.name} added.", "success")
            return redirect(url_for("foodbank.agencies"))
    rows = get_session().scalars(select(Agency).order_by(Agency.name)).all()
    return render_template("foodbank/agencies.html", agencies=rows, values=values, errors=errors), (
        422 if errors else 200
    )


# --- parcels, donations and stock ---------------------------------------------------


@bp.get("/parcels")
@require_permission(VIEW)
def parcels() -> str:
    rows = (
        get_session()
        .scalars(select(Parcel).order_by(Parcel.given_on.desc(), Parcel.id.desc()).limit(100))
        .all()
    )
    return render_template("foodbank/parcels.html", parcels=rows)


@bp.get("/stock")
@require_permission(VIEW)
def stock_page() -> str:
    config = settings.current()
    return render_template(
        "foodbank/stock.html",
        levels=stock.levels(get_session(), config, _today()),
        config=config,
    )


def _donation_body(form: MultiDict[str, str]) -> dict[str, Any]:
    lines = []
    for category in codes.STOCK_CATEGORIES:
        kg = form.get(f"kg_{category}", "").strip()
        if not kg:
            continue
        line: dict[str, Any] = {"category": category, "grams": _grams_from_kg(kg)}
        if best_before := form.get(f"bb_{category}", "").strip():
            line["best_before"] = best_before
        lines.append(line)
    body = _drop_empty(
        {
            "received_on": form.get("received_on", ""),
            "donor_type": form.get("donor_type", ""),
            "source": form.get("source", "").strip(),
        }
    )
    body["lines"] = lines
    return body


@bp.route("/donations/new", methods=["GET", "POST"])
@require_permission(LOG)
def donation_new() -> Any:
    values: dict[str, Any] = {"received_on": _today().isoformat()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            donation = api.create_donation(
                load(schemas.DonationCreate, _donation_body(request.form), "form"), _today()
            )
        except ApiError as exc:
            errors = _error_text(exc.details)
        else:
            flash(f"Donation of {donation.weight_grams / 1000:,.1f} kg recorded.", "success")
            return redirect(url_for("foodbank.stock_page"))
    return render_template("foodbank/donation_form.html", values=values, errors=errors), (
        422 if errors else 200
    )
