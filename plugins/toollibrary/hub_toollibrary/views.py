"""The tool library's pages at ``/toollibrary``: the counter (check out and in on a phone),
the catalogue, loans, members, holds, reservations and maintenance. Each form is read into
the API's schema and handed to the service, as the API does."""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from hub.plugin_api import (
    FieldError,
    Form,
    can,
    current_user,
    get_or_404,
    get_session,
    instance_info,
    mail_configured,
    requested_page,
    require_permission,
    today,
)
from hub_toollibrary import codes, labels, photos, reminders, schemas, service, settings
from hub_toollibrary.i18n import N_, _, day
from hub_toollibrary.models import (
    Hold,
    Item,
    Loan,
    Member,
    MembershipType,
    Photo,
    Renewal,
    Ticket,
    Wanted,
)
from hub_toollibrary.permissions import APPROVE, LEND, MANAGE, MEMBERS, VIEW

bp = Blueprint(
    "toollibrary",
    __name__,
    url_prefix="/toollibrary",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

FORM_TOKEN_PREFIX = "form:"
CHECKOUT_FIELDS = ("item_number", "member_code")
CHECKIN_FIELDS = ("condition", "note", "missing_parts", "needs_repair", "deposit_returned")
MEMBER_CHOICES = 6


@bp.context_processor
def _codelists() -> dict[str, Any]:
    return {"codes": codes, "availability_labels": service.AVAILABILITY}


def _pounds(pence: int) -> str:
    return f"£{pence / 100:,.2f}"


def _policy() -> service.Policy:
    return service.Policy.of(settings.current())


def _may(permission: str) -> bool:
    return can(current_user(), permission)


def _form_token() -> str:
    """The one-time token a counter form carries: its loan's idempotency key."""
    token = request.form.get("token", "")
    if not 16 <= len(token) <= 64 or not token.replace("-", "").replace("_", "").isalnum():
        abort(400)
    return token


# --- the counter ------------------------------------------------------------------------


@bp.get("/counter")
@require_permission(LEND)
def counter() -> Any:
    """Scan or type an item's code: what it is and what can be done with it now."""
    code = request.args.get("item", "")[:24]
    item = service.item_by_number(get_session(), code) if code else None
    if item is None:
        return render_template("toollibrary/counter.html", code=code, item=None), (
            404 if code else 200
        )
    return _item_at_counter(item)


def _item_at_counter(
    item: Item,
    checkout: Form | None = None,
    checkin: Form | None = None,
    choices: list[Member] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    session = get_session()
    loan = service.open_loan(session, item.id)
    state = service.availability(session, item)
    hold = service.ready_hold(session, item.id)
    token = request.form.get("token") or secrets.token_urlsafe(18)
    if loan is not None and checkin is None:
        checkin = Form(schemas.CheckinIn, {"condition": loan.condition_out}, only=CHECKIN_FIELDS)
    if checkout is None:
        values = {"item_number": item.number, "member_code": hold.member.code if hold else ""}
        checkout = Form(schemas.CheckoutIn, values, only=CHECKOUT_FIELDS)
    return render_template(
        "toollibrary/counter.html",
        code=item.number,
        item=item,
        state=state,
        loan=loan,
        hold=hold,
        ticket=service.open_ticket_for(session, item.id),
        checkout=checkout,
        checkin=checkin,
        choices=choices or [],
        parts=[(part, part) for part in item.kit_parts],
        token=token,
        today=today(),
    ), status


@bp.post("/counter/checkout")
@require_permission(LEND)
def counter_checkout() -> Any:
    """Lend the item to the member whose code was typed (or, typed a name, chosen)."""
    token = _form_token()
    session = get_session()
    form = Form(schemas.CheckoutIn, only=CHECKOUT_FIELDS)
    item = service.item_by_number(session, request.form.get("item_number", "")[:24])
    if item is None:
        abort(404)
    if not form.validate_on_submit():
        return _item_at_counter(item, checkout=form, status=form.status)
    member = service.member_by_code(session, form.data["member_code"])
    if member is None:
        choices = list(
            session.scalars(
                service.members({"q": form.data["member_code"], "status": "approved"}).limit(
                    MEMBER_CHOICES
                )
            )
        )
        if not choices:
            form.fail("member_code", _("No member has this code or name."))
        return _item_at_counter(item, checkout=form, choices=choices, status=422)
    wanted = service.Checkout(
        item=item,
        member=member,
        out_on=today(),
        idempotency_key=FORM_TOKEN_PREFIX + token,
        may_approve=_may(APPROVE),
    )
    try:
        loan, created = service.check_out(session, wanted, _policy(), today())
    except service.Conflict as exc:
        form.fail("form", exc.message)
        return _item_at_counter(item, checkout=form, status=409)
    lent = (
        _("Lent: %(number)s %(name)s to %(code)s, due back %(day)s.")
        if created
        else _("Already lent: %(number)s %(name)s to %(code)s, due back %(day)s.")
    )
    flash(
        lent
        % {"number": item.number, "name": item.name, "code": member.code, "day": day(loan.due_on)},
        "success",
    )
    if loan.deposit_pence and created:
        flash(_("Take a deposit of %(money)s.", money=_pounds(loan.deposit_pence)), "info")
    return redirect(url_for("toollibrary.counter"))


# What the volunteer is told about the member whose hold is now ready.
HOLD_TOLD = {
    "emailed": N_("They have been emailed."),
    "phone": N_("They cannot be emailed: phone them (they are on the Reminders page's list)."),
    "later": N_("They could not be emailed now: the morning's reminders will try again."),
}


@bp.post("/counter/checkin/<int:loan_id>")
@require_permission(LEND)
def counter_checkin(loan_id: int) -> Any:
    """Take the item back: its condition, any parts missing, a ticket if it needs one."""
    loan = get_or_404(Loan, loan_id)
    session = get_session()
    form = Form(schemas.CheckinIn, only=CHECKIN_FIELDS)
    if loan.returned_on is not None:
        flash(
            _(
                "Already checked in: %(number)s on %(day)s.",
                number=loan.item.number,
                day=day(loan.returned_on),
            ),
            "info",
        )
        return redirect(url_for("toollibrary.counter"))
    if not form.validate_on_submit():
        return _item_at_counter(loan.item, checkin=form, status=form.status)
    back = service.Checkin(
        returned_on=today(),
        condition=form.data["condition"],
        note=form.data.get("note", ""),
        missing_parts=tuple(form.data.get("missing_parts", ())),
        needs_repair=form.data["needs_repair"],
        deposit_returned=form.data["deposit_returned"],
    )
    try:
        returned = service.check_in(session, loan, back, _policy(), today())
    except FieldError as exc:
        form.fail(exc)
        return _item_at_counter(loan.item, checkin=form, status=form.status)
    except service.Conflict as exc:
        form.fail("form", exc.message)
        return _item_at_counter(loan.item, checkin=form, status=409)
    flash(
        _("Checked in: %(number)s %(name)s.", number=loan.item.number, name=loan.item.name),
        "success",
    )
    if loan.fine_pence:
        flash(
            _("Returned late: a fine of %(money)s is recorded.", money=_pounds(loan.fine_pence)),
            "info",
        )
    if loan.deposit_returned:
        flash(_("Give back the deposit of %(money)s.", money=_pounds(loan.deposit_pence)), "info")
    if returned.ticket is not None:
        flash(
            _(
                "Maintenance ticket #%(id)s opened: put it aside for repair.",
                id=returned.ticket.id,
            ),
            "info",
        )
    elif returned.hold is not None:
        hold = returned.hold
        told = HOLD_TOLD[reminders.tell_hold_ready(session, hold, today())]
        flash(
            _(
                "Put it aside: on hold for member %(code)s until %(day)s.",
                code=hold.member.code,
                day=day(hold.expires_on),
            )
            + " "
            + _(told),
            "info",
        )
    return redirect(url_for("toollibrary.counter"))


# --- the catalogue -----------------------------------------------------------------------


@bp.get("/")
@require_permission(VIEW)
def catalogue() -> str:
    form = Form(schemas.ItemQuery)
    form.read(request.args)
    filters = form.data if not form.errors else {}
    page = requested_page(service.items(filters))
    return render_template("toollibrary/catalogue.html", form=form, page=page)


@bp.get("/items/<int:item_id>")
@require_permission(VIEW)
def item_page(item_id: int) -> str:
    item = get_or_404(Item, item_id)
    session = get_session()
    return render_template(
        "toollibrary/item.html",
        item=item,
        state=service.availability(session, item),
        loans=requested_page(service.loans({"item_id": item.id}, today())),
        tickets=list(session.scalars(service.tickets({"item_id": item.id}))),
        queue=list(
            session.scalars(
                service.holds({"item_id": item.id}).where(Hold.status.in_(codes.OPEN_HOLD_STATUSES))
            )
        ),
        reservations=list(
            session.scalars(
                service.reservations({"item_id": item.id, "status": "booked", "from": today()})
            )
        ),
        category=codes.ITEM_CATEGORIES.get(item.category, (item.category, "other")),
    )


@bp.route("/items/new", methods=["GET", "POST"])
@require_permission(MANAGE)
def item_new() -> Any:
    form = Form(schemas.ItemIn, {"condition": "good"})
    try:
        item = form.submit(lambda data: service.add_item(get_session(), data, today()))
    except service.Conflict as exc:
        form.fail((exc.details and next(iter(exc.details))) or "form", exc.message)
        item = None
    if item is None:
        return render_template("toollibrary/item_form.html", form=form, item=None), form.status
    flash(_("Added %(number)s %(name)s.", number=item.number, name=item.name), "success")
    return redirect(url_for("toollibrary.item_page", item_id=item.id))


# --- loans, renewals, holds ----------------------------------------------------------------


@bp.get("/loans")
@require_permission(VIEW)
def loans_page() -> str:
    form = Form(schemas.LoanQuery)
    form.read(request.args)
    page = requested_page(service.loans(form.data if not form.errors else {}, today()))
    return render_template("toollibrary/loans.html", form=form, page=page, today=today())


@bp.post("/loans/<int:loan_id>/renew")
@require_permission(LEND)
def renew_loan(loan_id: int) -> Response:
    loan = get_or_404(Loan, loan_id)
    try:
        renewal = service.renew(get_session(), loan, today())
    except service.Conflict as exc:
        flash(exc.message, "error")
    else:
        if renewal.status == "approved":
            flash(
                _(
                    "Renewed: %(number)s now due %(day)s.",
                    number=loan.item.number,
                    day=day(loan.due_on),
                ),
                "success",
            )
        else:
            flash(_("Renewal requested: a coordinator will decide."), "info")
    return redirect(request.form.get("next") or url_for("toollibrary.loans_page"))


@bp.get("/renewals")
@require_permission(APPROVE)
def renewals_page() -> str:
    page = requested_page(service.renewals({"status": "requested"}))
    return render_template("toollibrary/renewals.html", page=page)


@bp.post("/renewals/<int:renewal_id>")
@require_permission(APPROVE)
def decide_renewal(renewal_id: int) -> Response:
    renewal = get_or_404(Renewal, renewal_id)
    approve = request.form.get("decision") == "approve"
    try:
        service.decide_renewal(get_session(), renewal, approve, today())
        flash(_("Renewal approved.") if approve else _("Renewal refused."), "success")
    except service.Conflict as exc:
        flash(exc.message, "error")
    return redirect(url_for("toollibrary.renewals_page"))


@bp.post("/items/<int:item_id>/holds")
@require_permission(LEND)
def place_hold(item_id: int) -> Response:
    item = get_or_404(Item, item_id)
    member = service.member_by_code(get_session(), request.form.get("member_code", "")[:24])
    if member is None:
        flash(_("No member has this code."), "error")
    else:
        try:
            hold = service.place_hold(get_session(), item, member, today(), _policy())
            position = service.queue_position(get_session(), hold)
            flash(
                _("Put aside for %(code)s.", code=member.code)
                if hold.status == "ready"
                else _(
                    "%(code)s is number %(position)s in the queue.",
                    code=member.code,
                    position=position,
                ),
                "success",
            )
        except service.Conflict as exc:
            flash(exc.message, "error")
    return redirect(url_for("toollibrary.item_page", item_id=item.id))


@bp.post("/holds/<int:hold_id>/cancel")
@require_permission(LEND)
def cancel_hold(hold_id: int) -> Response:
    hold = get_or_404(Hold, hold_id)
    try:
        service.cancel_hold(get_session(), hold, today(), _policy())
        flash(_("Hold of %(code)s cancelled.", code=hold.member.code), "success")
    except service.Conflict as exc:
        flash(exc.message, "error")
    return redirect(url_for("toollibrary.item_page", item_id=hold.item_id))


@bp.post("/items/<int:item_id>/reservations")
@require_permission(LEND)
def reserve(item_id: int) -> Response:
    """Book the item for dates, for the member whose code was typed."""
    item = get_or_404(Item, item_id)
    session = get_session()
    form = Form(schemas.ReservationIn, only=("starts_on", "ends_on"))
    member = service.member_by_code(session, request.form.get("member_code", "")[:24])
    if member is None:
        flash(_("No member has this code."), "error")
    elif form.validate_on_submit():
        try:
            booked = service.reserve(
                session,
                item,
                member,
                form.data["starts_on"],
                form.data["ends_on"],
                today(),
                _policy(),
            )
            flash(
                _(
                    "Booked for %(code)s: %(start)s to %(end)s.",
                    code=member.code,
                    start=day(booked.starts_on),
                    end=day(booked.ends_on),
                ),
                "success",
            )
        except (FieldError, service.Conflict) as exc:
            flash(exc.message, "error")
    else:
        flash("; ".join(message for _name, message in form.error_list()), "error")
    return redirect(url_for("toollibrary.item_page", item_id=item.id))


# --- maintenance ----------------------------------------------------------------------------


@bp.get("/tickets")
@require_permission(VIEW)
def tickets_page() -> str:
    show_all = request.args.get("all") == "1"
    page = requested_page(service.tickets({} if show_all else {"open": True}))
    return render_template("toollibrary/tickets.html", page=page, show_all=show_all)


@bp.post("/tickets/<int:ticket_id>")
@require_permission(LEND)
def change_ticket(ticket_id: int) -> Any:
    ticket = get_or_404(Ticket, ticket_id)
    form = Form(schemas.TicketChange, only=("status", "resolution"))
    try:
        done = form.submit(
            lambda data: service.change_ticket(get_session(), ticket, data, today(), _policy())
        )
    except service.Conflict as exc:
        flash(exc.message, "error")
        done = None
    if done is not None:
        status = _(codes.TICKET_STATUSES[ticket.status]).lower()
        flash(_("Ticket #%(id)s: %(status)s.", id=ticket.id, status=status), "success")
    elif form.errors:
        flash("; ".join(message for _name, message in form.error_list()), "error")
    return redirect(url_for("toollibrary.item_page", item_id=ticket.item_id))


# --- members ----------------------------------------------------------------------------------


@bp.get("/members")
@require_permission(MEMBERS)
def members_page() -> str:
    form = Form(schemas.MemberQuery)
    form.read(request.args)
    page = requested_page(service.members(form.data if not form.errors else {}))
    return render_template("toollibrary/members.html", form=form, page=page)


def _membership_types() -> list[tuple[int, str]]:
    kinds = get_session().scalars(service.membership_types().where(MembershipType.active))
    return [(kind.id, kind.name) for kind in kinds]


@bp.route("/members/new", methods=["GET", "POST"])
@require_permission(LEND)
def member_new() -> Any:
    form = Form(schemas.MemberIn, only=MEMBER_FORM_FIELDS)
    member = None
    try:
        member = form.submit(lambda data: service.apply(get_session(), data, today()))
    except service.Conflict as exc:
        form.fail("form", exc.message)
    if member is None:
        page = render_template(
            "toollibrary/member_form.html", form=form, membership_types=_membership_types()
        )
        return page, form.status
    flash(
        _("Application taken: member code %(code)s, waiting for approval.", code=member.code),
        "success",
    )
    return redirect(url_for("toollibrary.members_page", status="applied"))


@bp.route("/membership-types", methods=["GET", "POST"])
@require_permission(MANAGE)
def membership_types_page() -> Any:
    form = Form(
        schemas.MembershipTypeIn,
        {
            "length_days": 365,
            "borrowing_limit": 3,
            "loan_days": 7,
            "renewal_limit": 2,
            "active": True,
        },
    )
    kind = None
    try:
        kind = form.submit(lambda data: service.add_membership_type(get_session(), data))
    except service.Conflict as exc:
        form.fail(exc.field, exc.message)
    if kind is not None:
        flash(_("Membership type %(name)s added.", name=kind.name), "success")
        return redirect(url_for("toollibrary.membership_types_page"))
    kinds = list(get_session().scalars(service.membership_types()))
    return render_template("toollibrary/membership_types.html", form=form, kinds=kinds), form.status


@bp.route("/wanted", methods=["GET", "POST"])
@require_permission(MANAGE)
def wanted_page() -> Any:
    """The wanted list: what the library asks people to give, published as its needs."""
    form = Form(schemas.WantedIn)
    wanted = None
    try:
        wanted = form.submit(lambda data: service.ask_for(get_session(), data, today()))
    except service.Conflict as exc:
        form.fail(exc.field, exc.message)
    if wanted is not None:
        flash(f"Asked for: {codes.CATEGORY_LABELS[wanted.category]}.", "success")
        return redirect(url_for("toollibrary.wanted_page"))
    asked = list(get_session().scalars(service.wanted_list({"open": True})))
    return render_template("toollibrary/wanted.html", form=form, asked=asked), form.status


@bp.post("/wanted/<int:wanted_id>/close")
@require_permission(MANAGE)
def wanted_close(wanted_id: int) -> Response:
    wanted = get_or_404(Wanted, wanted_id)
    try:
        service.no_longer_wanted(get_session(), wanted, today())
        flash(f"No longer asked for: {codes.CATEGORY_LABELS[wanted.category]}.", "success")
    except service.Conflict as exc:
        flash(exc.message, "error")
    return redirect(url_for("toollibrary.wanted_page"))


@bp.get("/members/<int:member_id>")
@require_permission(MEMBERS)
def member_page(member_id: int) -> str:
    member = get_or_404(Member, member_id)
    session = get_session()
    return render_template(
        "toollibrary/member.html",
        member=member,
        stats=service.borrowing_stats(session, member, today()),
        loans=requested_page(service.loans({"member_id": member.id}, today())),
        holds=list(session.scalars(service.holds({"member_id": member.id}))),
        bookings=list(session.scalars(service.reservations({"member_id": member.id}))),
        today=today(),
    )


@bp.post("/members/<int:member_id>/renew")
@require_permission(LEND)
def member_renew(member_id: int) -> Response:
    member = get_or_404(Member, member_id)
    try:
        service.renew_membership(get_session(), member, today())
        flash(
            _("Membership renewed to %(day)s.", day=day(member.expires_on, "dd MMM y")), "success"
        )
    except service.Conflict as exc:
        flash(exc.message, "error")
    return redirect(url_for("toollibrary.member_page", member_id=member.id))


MEMBER_FORM_FIELDS = ("membership_type_id", "name", "email", "phone", "agreement_accepted", "notes")


@bp.post("/members/<int:member_id>/status")
@require_permission(APPROVE)
def member_status(member_id: int) -> Response:
    member = get_or_404(Member, member_id)
    status = request.form.get("status", "")
    try:
        if status == "approved":
            service.approve(get_session(), member, today())
        elif status in ("refused", "suspended"):
            service.set_status(get_session(), member, status)
        else:
            abort(400)
        flash(
            _(
                "Member %(code)s: %(status)s.",
                code=member.code,
                status=_(codes.MEMBER_STATUSES[status]).lower(),
            ),
            "success",
        )
    except service.Conflict as exc:
        flash(exc.message, "error")
    return redirect(url_for("toollibrary.members_page", status="applied"))


# --- reminders ----------------------------------------------------------------------------


@bp.get("/reminders")
@require_permission(MEMBERS)
def reminders_page() -> str:
    session = get_session()
    owed = reminders.to_phone(session, today(), _policy())
    return render_template(
        "toollibrary/reminders.html",
        calls=[reminders.phone_entry(loan, kind) for loan, kind in owed],
        holds=reminders.holds_to_phone(session),
        mail=mail_configured(),
    )


@bp.post("/reminders/<int:loan_id>/<kind>")
@require_permission(LEND)
def phoned(loan_id: int, kind: str) -> Response:
    if kind not in codes.REMINDER_KINDS:
        abort(404)
    loan = get_or_404(Loan, loan_id)
    if reminders.mark_phoned(get_session(), loan, kind, today()):
        flash(
            _(
                "Noted: %(code)s phoned about %(number)s.",
                code=loan.member.code,
                number=loan.item.number,
            ),
            "success",
        )
    else:
        flash(_("Someone had already phoned them about it."), "info")
    return redirect(url_for("toollibrary.reminders_page"))


@bp.post("/holds/<int:hold_id>/phoned")
@require_permission(LEND)
def hold_phoned(hold_id: int) -> Response:
    hold = get_or_404(Hold, hold_id)
    reminders.mark_hold_phoned(get_session(), hold, today())
    flash(
        _(
            "Noted: %(code)s told %(number)s is ready.",
            code=hold.member.code,
            number=hold.item.number,
        ),
        "success",
    )
    return redirect(url_for("toollibrary.reminders_page"))


# --- labels and photos ------------------------------------------------------------------------


@bp.get("/labels")
@require_permission(VIEW)
def labels_page() -> str:
    """A sheet of labels for the catalogue as filtered (one page of it), to print."""
    form = Form(schemas.ItemQuery)
    form.read(request.args)
    page = requested_page(service.items(form.data if not form.errors else {}))
    return render_template("toollibrary/labels.html", form=form, page=page)


def _svg(data: bytes) -> Response:
    response = make_response(data)
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/items/<int:item_id>/qr.svg")
@require_permission(VIEW)
def item_qr(item_id: int) -> Response:
    item = get_or_404(Item, item_id)
    return _svg(labels.qr_svg(labels.counter_url(instance_info()["base_url"], item.number)))


@bp.get("/items/<int:item_id>/barcode.svg")
@require_permission(VIEW)
def item_barcode(item_id: int) -> Response:
    return _svg(labels.barcode_svg(get_or_404(Item, item_id).number))


@bp.get("/items/<int:item_id>/<any(photo, thumbnail):size>.jpg")
@require_permission(VIEW)
def item_photo(item_id: int, size: str) -> Response:
    photo = get_or_404(Photo, item_id)
    response = make_response(photo.image if size == "photo" else photo.thumbnail)
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/items/<int:item_id>/photo")
@require_permission(MANAGE)
def upload_photo(item_id: int) -> Response:
    item = get_or_404(Item, item_id)
    upload = request.files.get("photo")
    try:
        photos.store(get_session(), item, upload.read() if upload else b"")
        flash(_("Photo saved."), "success")
    except FieldError as exc:
        flash(exc.message, "error")
    return redirect(url_for("toollibrary.item_page", item_id=item.id))
