"""Pages for volunteers (the quick log, households, vouchers) and coordinators. Each form
is read into the API's schema and handed to the service, as the API does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from hub.plugin_api import (
    FieldError,
    Form,
    Location,
    Person,
    VoidIn,
    can,
    current_user,
    format_date,
    format_number,
    get_or_404,
    get_session,
    paginate,
    requested_page,
    require_permission,
    today,
)
from hub_foodbank import codes, schemas, service, settings, stock
from hub_foodbank.i18n import _
from hub_foodbank.models import Agency, Donation, Household, Parcel, Voucher
from hub_foodbank.permissions import HOUSEHOLDS, LIST, LOG, MANAGE, VIEW

bp = Blueprint(
    "foodbank",
    __name__,
    url_prefix="/foodbank",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

T = TypeVar("T")
LOCATION_KEY = "foodbank_location"
FORM_TOKEN_PREFIX = "form:"
# How far back the quick log takes a late entry; older parcels come in by an import.
LATE_ENTRY_DAYS = 31
# The quick log's weight box is in kilograms; the schema's field is in grams.
PARCEL_INPUTS = {"weight_grams": "weight_kg"}
# The donation form has one row per stock category: its weight (kg) and best-before.
DONATION_INPUTS = {
    f"lines-{row}-{field}": f"{prefix}_{category}"
    for row, category in enumerate(codes.STOCK_CATEGORIES)
    for field, prefix in (("grams", "kg"), ("best_before", "bb"))
}


@bp.context_processor
def _codelists() -> dict[str, Any]:
    return {"codes": codes}


def _unanonymised(household_id: int) -> Household:
    household = get_or_404(Household, household_id)
    if household.anonymised_at is not None:
        abort(404)
    return household


# --- overview --------------------------------------------------------------------


@bp.get("/")
@require_permission(VIEW)
def index() -> str:
    db = get_session()
    config = settings.current()
    day = today()
    parcels, people, grams = db.execute(
        select(
            func.count(Parcel.id),
            func.coalesce(func.sum(Parcel.adults + Parcel.children), 0),
            func.coalesce(func.sum(Parcel.weight_grams), 0),
        ).where(Parcel.counted(), Parcel.given_on == day)
    ).one()
    sees_households = can(current_user(), HOUSEHOLDS)
    flagged = service.flagged_households(db, config, day, limit=20) if sees_households else []
    flagged_total = service.flagged_count(db, config, day) if sees_households else 0
    levels = stock.levels(db, config, day)
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
    code = request.args.get("code", "")[:100]
    found = service.find_by_code(get_session(), code) if code.strip() else None
    voucher = found if isinstance(found, Voucher) else None
    household = found.household if isinstance(found, Voucher) else found
    if household is not None and household.anonymised_at is not None:
        household = None
    redeemed_by = (
        get_session().scalar(select(Parcel).where(Parcel.voucher_id == voucher.id))
        if voucher is not None and voucher.redeemed_on is not None
        else None
    )
    return render_template(
        "foodbank/quick.html",
        code=code,
        searched=bool(code.strip()),
        voucher=voucher,
        redeemed_by=redeemed_by,
        household=household,
        today=today(),
    )


def _locations() -> list[Location]:
    return list(
        get_session().scalars(
            select(Location).where(Location.active.is_(True)).order_by(Location.name)
        )
    )


def _quick_target() -> tuple[Household, Voucher | None]:
    source = request.values
    if voucher_id := source.get("voucher_id", type=int):
        voucher = get_or_404(Voucher, voucher_id)
        return voucher.household, voucher
    household = _unanonymised(source.get("household_id", 0, type=int))
    return household, service.open_voucher_for(get_session(), household, today())


def _parcel_page(
    household: Household, voucher: Voucher | None, form: Form, status: int = 200
) -> tuple[str, int]:
    config = settings.current()
    return render_template(
        "foodbank/quick_parcel.html",
        household=household,
        voucher=voucher,
        form=form,
        locations=[(location.id, location.name) for location in _locations()],
        window_count=service.parcels_in_window(get_session(), config, household.id, today()),
        config=config,
        weights={t: config.default_weight(t, household.size) for t in codes.PARCEL_TYPES},
        weight_shown=request.form.get("weight_shown", "")
        if request.method == "POST"
        else form.value("weight_kg"),
        today=today(),
        earliest=today() - dt.timedelta(days=LATE_ENTRY_DAYS),
        late_days=LATE_ENTRY_DAYS,
    ), status


def _parcel_form(values: dict[str, Any] | None = None) -> Form:
    return Form(
        schemas.ParcelCreate, values, inputs=PARCEL_INPUTS, once="foodbank.parcel", logged=True
    )


@bp.get("/quick/log")
@require_permission(LOG)
def quick_log() -> tuple[str, int]:
    """Step two: the parcel, pre-filled from the household, one tap from logged."""
    household, voucher = _quick_target()
    values = service.prefill(settings.current(), household)
    locations = [location.id for location in _locations()]
    remembered = session.get(LOCATION_KEY)
    values["location_id"] = remembered if remembered in locations else next(iter(locations), None)
    values["given_on"] = today()
    return _parcel_page(household, voucher, _parcel_form(values))


def _posted_parcel() -> MultiDict[str, str]:
    """The posted parcel; a weight left as first shown is dropped, so the service gives
    the chosen type's usual weight (a top-up chosen without JavaScript weighs a top-up)."""
    posted = MultiDict(request.form)
    shown = posted.pop("weight_shown", None)
    if shown is not None and posted.get("weight_kg", "").strip() == shown.strip():
        posted.pop("weight_kg", None)
    return posted


def _check_late_entry(given_on: dt.date | None) -> None:
    if given_on is None:
        return
    if given_on > today():
        raise FieldError("given_on", "must not be in the future")
    if given_on < today() - dt.timedelta(days=LATE_ENTRY_DAYS):
        raise FieldError(
            "given_on",
            f"is more than {LATE_ENTRY_DAYS} days ago: a coordinator imports older parcels",
        )


def _parcel_summary(parcel: service.LoggedParcel | Parcel, household: Household) -> str:
    label = _(codes.PARCEL_TYPES[parcel.parcel_type]).lower()
    weight = format_number(parcel.weight_grams / 1000)
    if parcel.given_on != today():
        return _(
            "%(parcel)s for household %(code)s (%(weight)s kg, given %(day)s)",
            parcel=label,
            code=household.code,
            weight=weight,
            day=format_date(parcel.given_on, "d MMM"),
        )
    return _(
        "%(parcel)s for household %(code)s (%(weight)s kg)",
        parcel=label,
        code=household.code,
        weight=weight,
    )


@bp.post("/quick/log")
@require_permission(LOG)
def quick_log_post() -> Any:
    """Step three: log it. The form's one-time token makes a double tap, a retry and
    back-and-send-again harmless: the repeat is told of the parcel the first made."""
    household, voucher = _quick_target()
    form = _parcel_form()
    whose = {"voucher_code": voucher.code} if voucher else {"household_id": household.id}
    db = get_session()
    config = settings.current()

    def log(data: dict[str, Any]) -> tuple[service.LoggedParcel, bool]:
        key = FORM_TOKEN_PREFIX + (form.token or "")
        _check_late_entry(data.get("given_on"))
        try:
            wanted = service.parcel_request(db, config, {**data, **whose}, key, today())
            return service.log_parcel(db, wanted)
        except service.Conflict as exc:
            # A conflict (voucher spent, key reused) is about the whole parcel, not one field.
            details = "; ".join(message for found in exc.details.values() for message in found)
            raise FieldError("form", f"{exc.message.capitalize()}: {details}") from None

    logged = form.submit(
        log,
        _posted_parcel(),
        made=lambda result: (
            _parcel_summary(result[0], household),
            url_for("foodbank.parcel_detail", parcel_id=result[0].id),
        ),
    )
    if form.repeated:
        return redirect(url_for("foodbank.quick"))
    if logged is None:
        return _parcel_page(household, voucher, form, form.status)
    parcel, created = logged
    session[LOCATION_KEY] = parcel.location_id
    label = _parcel_summary(parcel, household)
    if created:
        flash(_("Logged: %(parcel)s.", parcel=label), "success")
    else:
        flash(_("Already logged: %(parcel)s.", parcel=label), "info")
    count = service.parcels_in_window(db, config, household.id, today())
    if count >= int(config.policy_parcels):
        flash(
            _(
                "Household %(code)s has had %(count)s parcels in %(days)s days: "
                "offer extra support (advice, a referral onward).",
                code=household.code,
                count=count,
                days=config.policy_days,
            ),
            "warning",
        )
    return redirect(url_for("foodbank.quick"))


@bp.get("/parcels/<int:parcel_id>")
@require_permission(VIEW)
def parcel_detail(parcel_id: int) -> str:
    found = get_or_404(Parcel, parcel_id)
    return render_template("foodbank/parcel.html", parcel=found, voiding=Form(VoidIn))


WALK_IN_INPUTS = tuple(
    name for name in schemas.WalkInCreate._declared_fields if name != "person_id"
)


@bp.route("/walk-in", methods=["GET", "POST"])
@require_permission(LOG)
def walk_in() -> Any:
    """Someone new with a paper voucher, in one form: register the household, record
    the voucher under its printed code (typed once) and log the parcel."""
    locations = [location.id for location in _locations()]
    remembered = session.get(LOCATION_KEY)
    values = {
        "voucher_code": service.normalise_code(request.args.get("code", "")[:24]) or None,
        "adults": 1,
        "issued_on": today(),
        "location_id": remembered if remembered in locations else next(iter(locations), None),
        "parcel_type": "emergency",
        "method": "collected",
    }
    form = Form(
        schemas.WalkInCreate,
        values,
        only=WALK_IN_INPUTS,
        inputs=PARCEL_INPUTS,
        once="foodbank.walk_in",
        logged=True,
    )
    config = settings.current()
    made = form.submit(
        _marking_conflicts(lambda data: service.walk_in(get_session(), config, data, today())),
        made=lambda done: (
            f"{_parcel_summary(done.parcel, done.household)}, voucher {done.voucher.code}",
            url_for("foodbank.parcel_detail", parcel_id=done.parcel.id),
        ),
    )
    if made is not None:
        session[LOCATION_KEY] = made.parcel.location_id
        flash(
            f"Logged: {_parcel_summary(made.parcel, made.household)}, a new household "
            f"with voucher {made.voucher.code}.",
            "success",
        )
    if made is not None or form.repeated:
        return redirect(url_for("foodbank.quick"))
    page = render_template(
        "foodbank/walk_in.html",
        form=form,
        agencies=_agencies(),
        reasons=list(config.reasons.items()),
        locations=[(location.id, location.name) for location in _locations()],
    )
    return page, form.status


# --- households and vouchers -------------------------------------------------------

LOOKUP_LIMIT = 20


@bp.get("/households")
@require_permission(HOUSEHOLDS)
def households() -> tuple[str, int]:
    """Households found by a search; only those who may list every household
    (``foodbank.households.list``) page through them all. Others see the first
    :data:`LOOKUP_LIMIT` matches of a search, enough to find someone who forgot their
    code and too few to browse the register."""
    form = Form(schemas.HouseholdSearch)
    searched = any(value.strip() for key, value in request.args.items() if key != "page")
    lists_all = can(current_user(), LIST)
    found = None
    if form.read(request.args) and (searched or lists_all):
        statement = service.households_query(form.data)
        found = requested_page(statement) if lists_all else paginate(statement, 1, LOOKUP_LIMIT)
    visits = service.last_visits(get_session(), [h.id for h in found.items]) if found else {}
    page = render_template(
        "foodbank/households.html",
        form=form,
        page=found,
        visits=visits,
        searched=searched,
        lists_all=lists_all,
        lookup_limit=LOOKUP_LIMIT,
    )
    return page, form.status


def _consenting_people() -> list[tuple[int, str]]:
    if not can(current_user(), "people.view"):
        return []
    people = get_session().execute(
        select(Person.id, Person.name)
        .where(Person.consent_given.is_(True), Person.anonymised_at.is_(None))
        .order_by(Person.name)
    )
    return [(person_id, name) for person_id, name in people]


@bp.route("/households/new", methods=["GET", "POST"])
@require_permission(LOG)
def household_new() -> Any:
    form = Form(schemas.HouseholdCreate, {"adults": 1}, once="foodbank.household")
    household = form.submit(
        _marking_conflicts(lambda data: service.register_household(get_session(), data)),
        made=lambda made: (f"household {made.code}", _household_url(made)),
    )
    if household is not None:
        flash(f"Household {household.code} registered.", "success")
        return redirect(_household_url(household))
    if form.repeated and form.earlier and form.earlier.url:
        return redirect(form.earlier.url)
    return _household_form(form, None)


def _household_url(household: Household) -> str:
    return url_for("foodbank.household", household_id=household.id)


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@require_permission(LOG)
def household_edit(household_id: int) -> Any:
    found = _unanonymised(household_id)
    form = Form(schemas.HouseholdFields, found)
    people = _consenting_people()
    if form.validate_on_submit():
        # Every box is on the page: one left empty clears what it held.
        cleared: dict[str, Any] = {"allergies": "", "dietary": []}
        if people:
            cleared["person_id"] = None
        try:
            service.change_household(get_session(), found, {**cleared, **form.data})
        except (FieldError, service.Conflict) as exc:
            form.fail(_as_field_error(exc))
        else:
            flash(f"Household {found.code} updated.", "success")
            return redirect(url_for("foodbank.household", household_id=household_id))
    return _household_form(form, found, people)


def _as_field_error(exc: FieldError | service.Conflict) -> FieldError:
    if isinstance(exc, FieldError):
        return exc
    field, messages = next(iter(exc.details.items()))
    return FieldError(field, messages[0])


def _marking_conflicts(action: Callable[[dict[str, Any]], T]) -> Callable[[dict[str, Any]], T]:
    """``action`` with a clash (a code in use) marking its field, for ``Form.submit``."""

    def run(data: dict[str, Any]) -> T:
        try:
            return action(data)
        except service.Conflict as exc:
            raise _as_field_error(exc) from None

    return run


def _household_form(
    form: Form, household: Household | None, people: list[tuple[int, str]] | None = None
) -> Any:
    people = _consenting_people() if people is None else people
    page = render_template(
        "foodbank/household_form.html", form=form, people=people, household=household
    )
    return page, form.status


@bp.get("/households/<int:household_id>")
@require_permission(HOUSEHOLDS)
def household(household_id: int) -> str:
    db = get_session()
    found = get_or_404(Household, household_id)
    config = settings.current()
    parcels = select(Parcel).where(Parcel.household_id == household_id)
    vouchers = db.scalars(
        select(Voucher)
        .where(Voucher.household_id == household_id)
        .order_by(Voucher.issued_on.desc())
    ).all()
    return render_template(
        "foodbank/household.html",
        household=found,
        parcels=requested_page(parcels.order_by(Parcel.given_on.desc(), Parcel.id.desc())),
        vouchers=vouchers,
        window_count=service.parcels_in_window(db, config, household_id, today()),
        config=config,
        today=today(),
    )


def _agencies(include: int | None = None) -> list[tuple[int, str]]:
    """Active agencies, to choose from (and ``include``, the one a voucher already has)."""
    offered = Agency.active.is_(True) | (Agency.id == include)
    rows = get_session().execute(
        select(Agency.id, Agency.name).where(offered).order_by(Agency.name)
    )
    return [(agency_id, name) for agency_id, name in rows]


VOUCHER_INPUTS = ("agency_id", "reasons", "code", "issued_on", "notes")


@bp.route("/households/<int:household_id>/vouchers/new", methods=["GET", "POST"])
@require_permission(LOG)
def voucher_new(household_id: int) -> Any:
    found = _unanonymised(household_id)
    config = settings.current()
    form = Form(
        schemas.VoucherCreate, {"issued_on": today()}, only=VOUCHER_INPUTS, once="foodbank.voucher"
    )
    voucher = form.submit(
        _marking_conflicts(
            lambda data: service.issue_voucher(
                get_session(), config, {**data, "household_id": household_id}, today()
            )
        ),
        made=lambda made: (f"voucher {made.code}", _household_url(found)),
    )
    if voucher is not None:
        flash(f"Voucher {voucher.code} issued, valid to {voucher.valid_until:%d %b %Y}.", "success")
    if voucher is not None or form.repeated:
        return redirect(_household_url(found))
    page = render_template(
        "foodbank/voucher_form.html",
        household=found,
        form=form,
        agencies=_agencies(),
        reasons=list(config.reasons.items()),
    )
    return page, form.status


@bp.get("/vouchers")
@require_permission(HOUSEHOLDS)
def vouchers() -> str:
    statement = select(Voucher).order_by(Voucher.issued_on.desc(), Voucher.id.desc())
    return render_template(
        "foodbank/vouchers.html",
        page=requested_page(statement),
        today=today(),
        reasons=settings.current().reasons,
    )


# --- agencies -------------------------------------------------------------------


@bp.route("/agencies", methods=["GET", "POST"])
@require_permission(VIEW)
def agencies() -> Any:
    if request.method == "POST" and not can(current_user(), MANAGE):
        abort(403)
    manages = can(current_user(), MANAGE)
    once = "foodbank.agency" if manages else None
    form = Form(schemas.AgencyIn, only=("name", "agency_type"), once=once)
    agency = form.submit(
        _marking_conflicts(lambda data: service.add_agency(get_session(), data)),
        made=lambda made: (f"agency {made.name}", url_for("foodbank.agencies")),
    )
    if agency is not None:
        flash(f"Agency {agency.name} added.", "success")
    if agency is not None or form.repeated:
        return redirect(url_for("foodbank.agencies"))
    rows = get_session().scalars(select(Agency).order_by(Agency.name)).all()
    return render_template("foodbank/agencies.html", agencies=rows, form=form), form.status


# --- parcels, donations and stock ---------------------------------------------------


@bp.get("/parcels")
@require_permission(VIEW)
def parcels() -> str:
    statement = select(Parcel).order_by(Parcel.given_on.desc(), Parcel.id.desc())
    return render_template("foodbank/parcels.html", page=requested_page(statement))


@bp.get("/stock")
@require_permission(VIEW)
def stock_page() -> str:
    config = settings.current()
    return render_template(
        "foodbank/stock.html",
        levels=stock.levels(get_session(), config, today()),
        config=config,
    )


@bp.route("/stock/correct", methods=["GET", "POST"])
@require_permission(MANAGE)
def stock_correct() -> Any:
    """A stock count, waste or a transfer: kilograms added or (minus) taken away."""
    form = Form(
        schemas.StockCorrection,
        {"made_on": today(), "category": request.args.get("category")},
        inputs={"grams": "kg"},
        once="foodbank.stock",
        logged=True,
    )
    made = form.submit(
        lambda data: service.adjust_stock(get_session(), data, today()),
        made=lambda adjustment: (
            f"stock correction of {adjustment.grams / 1000:+,.1f} kg",
            url_for("foodbank.stock_page"),
        ),
    )
    if made is not None:
        label = codes.STOCK_CATEGORIES[made.category]
        flash(f"Stock of {label} corrected by {made.grams / 1000:+,.1f} kg.", "success")
    if made is not None or form.repeated:
        return redirect(url_for("foodbank.stock_page"))
    return render_template("foodbank/stock_correct.html", form=form), form.status


def _with_categories(form: MultiDict[str, str]) -> MultiDict[str, str]:
    """The donation form plus each weighed row's category (a row per category)."""
    rows = MultiDict(form)
    for row, category in enumerate(codes.STOCK_CATEGORIES):
        if form.get(f"kg_{category}", "").strip() or form.get(f"bb_{category}", "").strip():
            rows[f"lines-{row}-category"] = category
    return rows


@bp.route("/donations/new", methods=["GET", "POST"])
@require_permission(LOG)
def donation_new() -> Any:
    form = Form(
        schemas.DonationCreate,
        {"received_on": today()},
        inputs=DONATION_INPUTS,
        once="foodbank.donation",
        logged=True,
    )
    donation = form.submit(
        lambda data: service.record_donation(get_session(), data, today()),
        _with_categories(request.form),
        made=lambda made: (
            f"donation of {made.weight_grams / 1000:,.1f} kg",
            url_for("foodbank.stock_page"),
        ),
    )
    if donation is not None:
        flash(f"Donation of {donation.weight_grams / 1000:,.1f} kg recorded.", "success")
    if donation is not None or form.repeated:
        return redirect(url_for("foodbank.stock_page"))
    return render_template("foodbank/donation_form.html", form=form), form.status


# --- corrections and voids (coordinators) -------------------------------------------
# A wrong record is corrected or voided with a reason, never deleted: the audit log
# keeps both, and every figure (and the next published summary) follows.


def _void(record: Any, action: Callable[[Any, Any, str], Any], what: str, back: str) -> Any:
    form = Form(VoidIn)
    if form.submit(lambda data: action(get_session(), record, data["reason"])) is not None:
        flash(f"{what} voided: it no longer counts in any figure.", "success")
    else:
        flash("Not voided: " + " ".join(message for _, message in form.error_list()), "error")
    return redirect(back)


def _corrected(changed: list[str] | None, what: str) -> None:
    if changed:
        flash(f"{what} corrected ({', '.join(changed)}).", "success")
    elif changed is not None:
        flash(f"Nothing changed on the {what.lower()}.", "info")


@bp.post("/parcels/<int:parcel_id>/void")
@require_permission(MANAGE)
def parcel_void(parcel_id: int) -> Any:
    found = get_or_404(Parcel, parcel_id)
    back = url_for("foodbank.parcel_detail", parcel_id=parcel_id)
    return _void(found, service.void_parcel, "Parcel", back)


@bp.route("/parcels/<int:parcel_id>/correct", methods=["GET", "POST"])
@require_permission(MANAGE)
def parcel_correct(parcel_id: int) -> Any:
    found = get_or_404(Parcel, parcel_id)
    form = Form(schemas.ParcelCorrection, found, inputs=PARCEL_INPUTS)
    changed = form.submit(
        lambda data: service.correct_parcel(
            get_session(), found, {"signposting": [], **data}, today()
        )
    )
    _corrected(changed, "Parcel")
    if changed is not None:
        return redirect(url_for("foodbank.parcel_detail", parcel_id=parcel_id))
    page = render_template(
        "foodbank/parcel_correct.html",
        parcel=found,
        form=form,
        locations=[(location.id, location.name) for location in _locations()],
    )
    return page, form.status


@bp.get("/vouchers/<int:voucher_id>")
@require_permission(HOUSEHOLDS)
def voucher_detail(voucher_id: int) -> str:
    found = get_or_404(Voucher, voucher_id)
    redeemed_by = get_session().scalar(select(Parcel).where(Parcel.voucher_id == voucher_id))
    return render_template(
        "foodbank/voucher.html",
        voucher=found,
        redeemed_by=redeemed_by,
        reasons=settings.current().reasons,
        today=today(),
        voiding=Form(VoidIn),
    )


@bp.post("/vouchers/<int:voucher_id>/void")
@require_permission(MANAGE)
def voucher_void(voucher_id: int) -> Any:
    found = get_or_404(Voucher, voucher_id)
    back = url_for("foodbank.voucher_detail", voucher_id=voucher_id)
    return _void(found, service.void_voucher, "Voucher", back)


@bp.route("/vouchers/<int:voucher_id>/correct", methods=["GET", "POST"])
@require_permission(MANAGE)
def voucher_correct(voucher_id: int) -> Any:
    found = get_or_404(Voucher, voucher_id)
    config = settings.current()
    form = Form(schemas.VoucherCorrection, found)
    changed = form.submit(
        lambda data: service.correct_voucher(get_session(), config, found, {"notes": "", **data})
    )
    _corrected(changed, "Voucher")
    if changed is not None:
        return redirect(url_for("foodbank.voucher_detail", voucher_id=voucher_id))
    page = render_template(
        "foodbank/voucher_correct.html",
        voucher=found,
        form=form,
        agencies=_agencies(include=found.agency_id),
        reasons=list(config.reasons.items()),
    )
    return page, form.status


@bp.get("/donations")
@require_permission(VIEW)
def donations() -> str:
    statement = select(Donation).order_by(Donation.received_on.desc(), Donation.id.desc())
    return render_template("foodbank/donations.html", page=requested_page(statement))


@bp.get("/donations/<int:donation_id>")
@require_permission(VIEW)
def donation_detail(donation_id: int) -> str:
    found = get_or_404(Donation, donation_id)
    return render_template("foodbank/donation.html", donation=found, voiding=Form(VoidIn))


@bp.post("/donations/<int:donation_id>/void")
@require_permission(MANAGE)
def donation_void(donation_id: int) -> Any:
    found = get_or_404(Donation, donation_id)
    back = url_for("foodbank.donation_detail", donation_id=donation_id)
    return _void(found, service.void_donation, "Donation", back)


def _donation_values(donation: Donation) -> dict[str, Any]:
    """A donation as its form shows it: a row per category (weights of the same
    category added up, the earliest best-before)."""
    rows: dict[str, dict[str, Any]] = {
        category: {"category": category} for category in codes.STOCK_CATEGORIES
    }
    for line in donation.lines:
        row = rows.setdefault(line.category, {"category": line.category})
        row["grams"] = row.get("grams", 0) + line.grams
        if line.best_before is not None:
            row["best_before"] = min(row.get("best_before", line.best_before), line.best_before)
    return {
        "received_on": donation.received_on,
        "donor_type": donation.donor_type,
        "source": donation.source,
        "lines": [rows[category] for category in codes.STOCK_CATEGORIES],
    }


@bp.route("/donations/<int:donation_id>/correct", methods=["GET", "POST"])
@require_permission(MANAGE)
def donation_correct(donation_id: int) -> Any:
    found = get_or_404(Donation, donation_id)
    form = Form(schemas.DonationCorrection, _donation_values(found), inputs=DONATION_INPUTS)
    changed = form.submit(
        lambda data: service.correct_donation(
            get_session(), found, {"source": "", **data}, today()
        ),
        _with_categories(request.form),
    )
    _corrected(changed, "Donation")
    if changed is not None:
        return redirect(url_for("foodbank.donation_detail", donation_id=donation_id))
    return render_template("foodbank/donation_form.html", donation=found, form=form), (form.status)


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@require_permission(MANAGE)
def agency_edit(agency_id: int) -> Any:
    found = get_or_404(Agency, agency_id)
    form = Form(schemas.AgencyIn, found)
    saved = form.submit(
        _marking_conflicts(lambda data: service.change_agency(get_session(), found, data))
    )
    if saved is not None:
        state = "" if saved.active else " (no longer offered for new vouchers)"
        flash(f"Agency {saved.name} saved{state}.", "success")
        return redirect(url_for("foodbank.agencies"))
    return render_template("foodbank/agency_form.html", agency=found, form=form), form.status
