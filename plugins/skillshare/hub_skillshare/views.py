"""The time bank's pages at ``/skillshare``, for members, brokers and coordinators on a
phone. Each form is read into a schema and handed to the service, as the API does."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from hub import plugin_api as api
from hub_skillshare import (
    cancelling,
    ledger,
    listings,
    members,
    schemas,
    service,
    settings,
    statements,
    workshops,
)
from hub_skillshare.codes import AVAILABILITY, CATEGORIES, LISTING_KINDS, SKILL_LABELS
from hub_skillshare.models import Account, Exchange, Listing, Member, Signup, Workshop

bp = Blueprint("skillshare", __name__, url_prefix="/skillshare", template_folder="templates")

VIEW = "skillshare.view"
EXCHANGE = "skillshare.exchange"


def _actor() -> service.Actor:
    user = api.current_user()
    assert user is not None  # every page here is behind require_permission
    return service.actor_for(api.get_session(), user)


def _member_choices(
    exclude: int | None = None, offline_only: bool = False
) -> list[tuple[int, str]]:
    statement = (
        select(Member.id, api.Person.name, Member.area, Member.offline)
        .join(api.Person, api.Person.id == Member.person_id)
        .where(Member.status == "active")
        .order_by(api.Person.name)
    )
    if offline_only:
        statement = statement.where(Member.offline)
    rows = api.get_session().execute(statement)
    return [
        (member_id, name + (f", {area}" if area else "") + (" (offline)" if offline else ""))
        for member_id, name, area, offline in rows
        if member_id != exclude
    ]


def _deciding(
    form: api.Form,
    action: Callable[[dict[str, Any]], Any],
    made: Callable[[Any], tuple[str, str]] | None = None,
) -> Any:
    """Submit ``form`` to ``action``, showing a clash or a limit above the form; ``made``
    describes a record a form with a one-time token made, for its repeats."""
    try:
        return form.submit(action, made=made)
    except (service.ExchangeError, ledger.LimitError) as exc:
        form.fail("form", str(exc))
        return None


# --- a member's own time --------------------------------------------------------------


@bp.get("/")
@api.require_permission(VIEW)
def index() -> Any:
    session = api.get_session()
    user = api.current_user()
    assert user is not None
    member = members.member_of(session, user)
    actor = service.actor_for(session, user)
    recent = []
    if actor.account_id is not None:
        recent = list(session.scalars(service.exchanges({"account": actor.account_id}).limit(10)))
    waiting = [
        e
        for e in service.awaiting(session, actor)
        if any(c.account_id == actor.account_id for c in e.confirmations)
    ]
    return render_template(
        "skillshare/index.html",
        member=member,
        actor=actor,
        waiting=waiting,
        recent=recent,
        hours=ledger.hours,
        categories=CATEGORIES,
    )


@bp.route("/record", methods=["GET", "POST"])
@api.require_permission(EXCHANGE)
def record() -> Any:
    actor = _actor()
    if actor.account_id is None:
        flash("Join the time bank first: a coordinator approves new members.", "error")
        return redirect(url_for("skillshare.join"))
    form = api.Form(schemas.RecordIn, _record_defaults(actor))

    def save(data: dict[str, Any]) -> Exchange:
        session = api.get_session()
        other = service.member_account(session, data["other"], "other")
        mine = actor.account_id
        # Time given is credited, and paid by the one who was helped.
        helped, helper = (other, mine) if data["direction"] == "gave" else (mine, other)
        values = {
            **data,
            "transfers": [
                {"from_account": helped, "to_account": helper, "minutes": data["minutes"]}
            ],
        }
        return service.record(session, values, actor, settings.current())

    exchange = _deciding(form, save)
    if exchange is not None:
        flash(_recorded_message(exchange), "success")
        return redirect(url_for("skillshare.index"))
    me = api.get_session().get(Account, actor.account_id)
    choices = _member_choices(exclude=me.member_id if me else None)
    page = render_template(
        "skillshare/record.html", form=form, choices=choices, categories=CATEGORIES
    )
    return page, form.status


def _record_defaults(actor: service.Actor) -> dict[str, Any]:
    """The record form's first values; from an offer or request (``?listing=``), its
    member, the direction the time goes and its kind of help."""
    values: dict[str, Any] = {"direction": "gave", "occurred_on": api.today()}
    text = request.args.get("listing", "")
    found = api.get_session().get(Listing, int(text)) if text.isdigit() and len(text) < 10 else None
    if found is not None and found.member.account is not None:
        values["listing"] = found.id
        values["category"] = found.category
        if found.member.account.id != actor.account_id:
            values["other"] = found.member_id
            # Someone's offer: they gave you time. Someone's request: you gave them time.
            values["direction"] = "received" if found.kind == "offer" else "gave"
    return values


def _recorded_message(exchange: Exchange) -> str:
    minutes = ledger.hours(sum(t.minutes for t in exchange.transfers))
    if exchange.state == "confirmed":
        return f"Recorded and confirmed: {minutes}."
    return f"Recorded: {minutes}, waiting for the other member to confirm."


@bp.post("/exchanges/<int:exchange_id>/confirm")
@api.require_permission(EXCHANGE)
def confirm(exchange_id: int) -> Any:
    return _answer(exchange_id, "confirm")


@bp.post("/exchanges/<int:exchange_id>/decline")
@api.require_permission(EXCHANGE)
def decline(exchange_id: int) -> Any:
    return _answer(exchange_id, "decline")


def _answer(exchange_id: int, answer: str) -> Any:
    form = api.Form(schemas.AnswerIn)
    session = api.get_session()
    actor = _actor()

    def act(data: dict[str, Any]) -> Exchange:
        if answer == "confirm":
            return service.confirm(
                session, exchange_id, actor, settings.current(), data.get("account")
            )
        return service.decline(session, exchange_id, actor, data.get("account"))

    exchange = _deciding(form, act)
    if exchange is None:
        for _name, message in form.error_list():
            flash(message, "error")
    elif exchange.state == "confirmed":
        flash("Confirmed: the time is on both statements.", "success")
    elif exchange.state == "declined":
        flash("Declined: nothing was recorded.", "success")
    else:
        flash("Confirmed; waiting for the others in this exchange.", "success")
    party = actor.account_id is not None and _is_party(exchange_id, actor.account_id)
    brokering = (actor.broker or actor.coordinator) and not party
    return redirect(url_for("skillshare.broker" if brokering else "skillshare.index"))


def _is_party(exchange_id: int, account_id: int) -> bool:
    exchange = api.get_session().get(Exchange, exchange_id)
    return exchange is not None and any(c.account_id == account_id for c in exchange.confirmations)


# --- statements -------------------------------------------------------------------


def _visible(account_id: int) -> Account:
    account = api.get_or_404(Account, account_id)
    actor = _actor()
    if account.id != actor.account_id and not (actor.broker or actor.coordinator):
        abort(403)
    return account


@bp.get("/accounts/<int:account_id>")
@api.require_permission(VIEW)
def statement(account_id: int) -> Any:
    account = _visible(account_id)
    page = api.requested_page(ledger.statement(account.id))
    limits = ledger.Limits.of(account, settings.current())
    return render_template(
        "skillshare/statement.html",
        account=account,
        page=page,
        limits=limits,
        hours=ledger.hours,
        categories=CATEGORIES,
    )


@bp.get("/accounts/<int:account_id>/statement.csv")
@api.require_permission(VIEW)
def statement_csv(account_id: int) -> Response:
    account = _visible(account_id)
    stream = io.StringIO()
    statements.write_csv(api.get_session(), account, stream)
    return Response(
        stream.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="statement-{account.id}.csv"'},
    )


# --- brokers: for members who are offline -------------------------------------------


@bp.route("/broker", methods=["GET", "POST"])
@api.require_permission(service.BROKER)
def broker() -> Any:
    actor = _actor()
    form = api.Form(schemas.BrokerRecordIn, {"occurred_on": api.today()})

    def save(data: dict[str, Any]) -> Exchange:
        session = api.get_session()
        helper = service.member_account(session, data["helper"], "helper")
        helped = service.member_account(session, data["helped"], "helped")
        # The one who was helped pays the helper.
        transfer = {"from_account": helped, "to_account": helper, "minutes": data["minutes"]}
        return service.record(session, {**data, "transfers": [transfer]}, actor, settings.current())

    exchange = _deciding(form, save)
    if exchange is not None:
        flash(_recorded_message(exchange), "success")
        return redirect(url_for("skillshare.broker"))
    session = api.get_session()
    page = render_template(
        "skillshare/broker.html",
        form=form,
        choices=_member_choices(),
        waiting=service.awaiting(session, actor),
        actor=actor,
        hours=ledger.hours,
        categories=CATEGORIES,
    )
    return page, form.status


# --- joining ------------------------------------------------------------------------


@bp.route("/join", methods=["GET", "POST"])
@api.require_permission(None)
def join() -> Any:
    session = api.get_session()
    user = api.current_user()
    assert user is not None
    member = members.member_of(session, user)
    form = api.Form(schemas.JoinIn, {"name": user.name, "email": user.email})
    joined = _deciding(form, lambda data: members.request_to_join(session, user, data))
    if joined is not None:
        flash("Thank you: a coordinator will look at your request soon.", "success")
        return redirect(url_for("skillshare.join"))
    return render_template("skillshare/join.html", form=form, member=member), form.status


# --- offers and requests ----------------------------------------------------------


@bp.get("/listings")
@api.require_permission(VIEW)
def listings_page() -> Any:
    search = api.Form(schemas.ListingQuery)
    search.read(request.args)
    filters = search.data if not search.errors else {}
    page = api.requested_page(listings.listings(filters, _actor()))
    return render_template(
        "skillshare/listings.html",
        search=search,
        page=page,
        skills=SKILL_LABELS,
        kinds=LISTING_KINDS,
    )


@bp.route("/listings/new", methods=["GET", "POST"])
@api.require_permission(EXCHANGE)
def new_listing() -> Any:
    form = api.Form(schemas.ListingIn, {"kind": request.args.get("kind", "offer")})
    made = _deciding(form, lambda data: listings.add(api.get_session(), data, _actor()))
    if made is not None:
        flash("Saved: other members can find it now.", "success")
        return redirect(url_for("skillshare.listing", listing_id=made.id))
    return render_template("skillshare/listing_form.html", form=form), form.status


@bp.get("/listings/<int:listing_id>")
@api.require_permission(VIEW)
def listing(listing_id: int) -> Any:
    shown = api.get_or_404(Listing, listing_id, "offer or request")
    matching = api.requested_page(listings.matches(shown), per_page=10)
    return render_template(
        "skillshare/listing.html",
        listing=shown,
        matches=matching,
        actor=_actor(),
        skills=SKILL_LABELS,
        kinds=LISTING_KINDS,
        availability=AVAILABILITY,
    )


# --- coordinators: members ------------------------------------------------------------


@bp.get("/members")
@api.require_permission(service.BROKER)
def members_page() -> Any:
    search = api.Form(schemas.MemberQuery)
    search.read(request.args)
    filters = search.data if not search.errors else {}
    pending = list(api.get_session().scalars(members.members({"status": "pending"})))
    page = api.requested_page(members.members(filters))
    return render_template(
        "skillshare/members.html", search=search, page=page, pending=pending, hours=ledger.hours
    )


@bp.post("/members/<int:member_id>/<any(approve, refuse):decision>")
@api.require_permission(service.COORDINATE)
def decide_member(member_id: int, decision: str) -> Any:
    form = api.Form(schemas.AnswerIn)
    session = api.get_session()
    decide = members.approve if decision == "approve" else members.refuse
    member = _deciding(form, lambda _data: decide(session, member_id))
    if member is None:
        for _name, message in form.error_list():
            flash(message, "error")
    else:
        flash(
            f"{member.person.name}: {'approved' if decision == 'approve' else 'refused'}.",
            "success",
        )
    return redirect(url_for("skillshare.members_page"))


@bp.route("/members/new", methods=["GET", "POST"])
@api.require_permission(service.COORDINATE)
def new_member() -> Any:
    form = api.Form(schemas.MemberIn, {"offline": True})
    made = _deciding(form, lambda data: members.add(api.get_session(), data))
    if made is not None:
        flash(f"{made.person.name} is a member now.", "success")
        return redirect(url_for("skillshare.member_page", member_id=made.id))
    return render_template("skillshare/member_form.html", form=form, member=None), form.status


@bp.route("/members/<int:member_id>", methods=["GET", "POST"])
@api.require_permission(service.BROKER)
def member_page(member_id: int) -> Any:
    member = api.get_or_404(Member, member_id)
    values = {
        "name": member.person.name,
        "email": member.person.email,
        "phone": member.person.phone,
        "area": member.area,
        "offline": member.offline,
        "debit_limit": member.account.debit_limit if member.account else None,
        "credit_limit": member.account.credit_limit if member.account else None,
    }
    form = api.Form(schemas.MemberPatch, values)
    if request.method == "POST":
        if not api.can(api.current_user(), service.COORDINATE):
            abort(403)
        cleared = {
            "email": None,
            "phone": None,
            "area": "",
            "debit_limit": None,
            "credit_limit": None,
        }
        changed = _deciding(
            form,
            lambda data: members.update(api.get_session(), member_id, {**cleared, **data}),
        )
        if changed is not None:
            flash("Saved.", "success")
            return redirect(url_for("skillshare.member_page", member_id=member_id))
    page = render_template(
        "skillshare/member_form.html", form=form, member=member, hours=ledger.hours
    )
    return page, form.status


# --- workshops ----------------------------------------------------------------------


@bp.get("/workshops")
@api.require_permission(VIEW)
def workshops_page() -> Any:
    search = api.Form(schemas.WorkshopQuery)
    search.read(request.args)
    filters = search.data if not search.errors else {}
    page = api.requested_page(workshops.workshops(filters))
    return render_template(
        "skillshare/workshops.html",
        search=search,
        page=page,
        past=bool(filters.get("past")),
        hours=ledger.hours,
        categories=CATEGORIES,
    )


@bp.route("/workshops/new", methods=["GET", "POST"])
@api.require_permission(EXCHANGE)
def new_workshop() -> Any:
    actor = _actor()
    form = api.Form(schemas.WorkshopIn, {"places": 10, "minutes": 120}, once="skillshare.workshop")
    made = _deciding(
        form,
        lambda data: workshops.add(api.get_session(), data, actor),
        made=lambda w: (w.title, url_for("skillshare.workshop_page", workshop_id=w.id)),
    )
    if made is not None:
        flash(f"Offered: {made.title}. Members can sign up now.", "success")
        return redirect(url_for("skillshare.workshop_page", workshop_id=made.id))
    if form.repeated:
        return redirect(url_for("skillshare.workshops_page"))
    hosts = _member_choices() if actor.coordinator else []
    page = render_template(
        "skillshare/workshop_form.html", form=form, hosts=hosts, categories=CATEGORIES
    )
    return page, form.status


@bp.get("/workshops/<int:workshop_id>")
@api.require_permission(VIEW)
def workshop_page(workshop_id: int) -> Any:
    session = api.get_session()
    shown = api.get_or_404(Workshop, workshop_id)
    actor = _actor()
    mine = workshops.signup_of(session, shown, actor)
    ahead = workshops.waiting_before(session, mine) if mine and mine.state == "waiting" else 0
    manages = workshops.may_manage(shown, actor)
    listed = (
        list(session.scalars(workshops.signups(shown, actor))) if manages or actor.broker else []
    )
    # Brokers sign up members who are offline; coordinators anyone.
    others = _member_choices(offline_only=not actor.coordinator, exclude=shown.host_id)
    for_others = others if actor.broker or actor.coordinator else []
    return render_template(
        "skillshare/workshop.html",
        workshop=shown,
        actor=actor,
        mine=mine,
        ahead=ahead,
        manages=manages,
        signups=listed,
        for_others=for_others,
        places_left=workshops.places_left(session, shown),
        hours=ledger.hours,
        categories=CATEGORIES,
        today=api.today(),
    )


@bp.post("/workshops/<int:workshop_id>/signup")
@api.require_permission(EXCHANGE)
def workshop_signup(workshop_id: int) -> Any:
    form = api.Form(schemas.SignupIn)
    actor = _actor()
    signup = _deciding(
        form,
        lambda data: workshops.sign_up(api.get_session(), workshop_id, actor, data.get("member")),
    )
    if signup is None:
        for _name, message in form.error_list():
            flash(message, "error")
    elif signup.state == "booked":
        flash(f"{_whose(signup, actor)} a place.", "success")
    else:
        flash(
            f"The workshop is full: {_whose(signup, actor).lower()} a turn on the waitlist, "
            "and a place when someone cancels.",
            "success",
        )
    return redirect(url_for("skillshare.workshop_page", workshop_id=workshop_id))


def _whose(signup: Signup, actor: service.Actor) -> str:
    if signup.member.user_id == actor.user_id:
        return "You have"
    return f"{signup.member.person.name} has"


@bp.post("/workshops/<int:workshop_id>/signups/<int:signup_id>/cancel")
@api.require_permission(EXCHANGE)
def workshop_cancel(workshop_id: int, signup_id: int) -> Any:
    form = api.Form(schemas.AnswerIn)
    actor = _actor()
    cancelled = _deciding(
        form,
        lambda _data: workshops.cancel(api.get_session(), workshop_id, signup_id, actor),
    )
    if cancelled is None:
        for _name, message in form.error_list():
            flash(message, "error")
    else:
        flash("Cancelled: the place goes to the first on the waitlist.", "success")
    return redirect(url_for("skillshare.workshop_page", workshop_id=workshop_id))


@bp.post("/workshops/<int:workshop_id>/cancel")
@api.require_permission(EXCHANGE)
def workshop_cancel_all(workshop_id: int) -> Any:
    form = api.Form(schemas.WorkshopCancelIn)
    actor = _actor()
    done = _deciding(
        form,
        lambda data: cancelling.cancel(
            api.get_session(),
            workshop_id,
            actor,
            settings.current(),
            data["reason"],
            api.mail_connection,
        ),
    )
    if done is None:
        for _name, message in form.error_list():
            flash(message, "error")
        return redirect(url_for("skillshare.workshop_page", workshop_id=workshop_id))
    told = f"Cancelled. {len(done.emailed)} told by email."
    if done.reversal is not None:
        told += f" The host's credit of {ledger.hours(done.workshop.minutes)} is reversed."
    flash(told, "success")
    if done.to_phone and (actor.broker or actor.coordinator):
        names = ", ".join(f"{m.name} ({m.phone or 'no phone number'})" for m in done.to_phone)
        flash(f"To phone: {names}.", "info")
    elif done.to_phone:
        names = ", ".join(m.name for m in done.to_phone)
        flash(f"To phone: {names}. A coordinator has their numbers.", "info")
    for problem in done.not_sent:
        flash(f"Not sent: {problem}", "error")
    return redirect(url_for("skillshare.workshop_page", workshop_id=workshop_id))


@bp.route("/workshops/<int:workshop_id>/attendance", methods=["GET", "POST"])
@api.require_permission(EXCHANGE)
def workshop_attendance(workshop_id: int) -> Any:
    session = api.get_session()
    shown = api.get_or_404(Workshop, workshop_id)
    actor = _actor()
    if not workshops.may_manage(shown, actor):
        abort(403)
    booked = [s for s in shown.signups if s.state == "booked"]
    came = [s.member_id for s in booked if s.attended]
    form = api.Form(schemas.AttendanceIn, {"present": came})
    taken = _deciding(
        form,
        lambda data: workshops.take_attendance(
            session, workshop_id, data["present"], actor, settings.current()
        ),
    )
    if taken is not None:
        present = sum(bool(s.attended) for s in taken.signups)
        credit = f" {taken.host.person.name} is credited {ledger.hours(taken.minutes)}."
        flash(f"Attendance saved: {present} came." + (credit if taken.exchange else ""), "success")
        return redirect(url_for("skillshare.workshop_page", workshop_id=workshop_id))
    choices = [(s.member_id, s.member.person.name) for s in booked]
    page = render_template(
        "skillshare/attendance.html",
        form=form,
        workshop=shown,
        choices=choices,
        hours=ledger.hours,
        today=api.today(),
    )
    return page, form.status
