"""What the time bank does with exchanges: record, confirm, decline, reverse, expire.

Nothing here knows about requests: api.py and views.py validate input with the schemas,
then call these functions. A value that does not fit is an ``api.FieldError``; a request
that clashes with what is recorded (confirming a declined exchange) is an
``ExchangeError``; one that would take a member past a limit is a ``ledger.LimitError``.
Each function commits what it did, or rolls everything back and raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session, joinedload

from hub import plugin_api as api
from hub_skillshare import ledger
from hub_skillshare.models import Account, Confirmation, Exchange, Listing, Member, Transfer
from hub_skillshare.settings import Settings

BROKER = "skillshare.broker"
COORDINATE = "skillshare.coordinate"


class ExchangeError(Exception):
    """The request clashes with what is recorded (the API answers 409)."""


@dataclass(frozen=True)
class Actor:
    """Who is acting, and for whom they may answer."""

    user_id: int
    account_id: int | None  # their own member account, if they are an active member
    broker: bool  # records and confirms for members who are offline
    coordinator: bool  # answers for the bank, reverses exchanges

    def answers_for(self, account: Account) -> bool:
        return account.id == self.account_id or self.on_behalf_of(account)

    def on_behalf_of(self, account: Account) -> bool:
        """Whether they may answer for ``account`` as its broker, not its holder."""
        if account.kind == "bank":
            return self.coordinator
        member = account.member
        return (
            account.id != self.account_id
            and member is not None
            and member.offline
            and (self.broker or self.coordinator)
        )


def actor_for(session: Session, user: api.User) -> Actor:
    account_id = session.scalar(
        select(Account.id)
        .join(Member, Member.id == Account.member_id)
        .where(Member.user_id == user.id, Member.status == "active")
    )
    return Actor(user.id, account_id, api.can(user, BROKER), api.can(user, COORDINATE))


@contextmanager
def transaction(session: Session) -> Iterator[None]:
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _account(accounts: dict[int, Account], account_id: int, field: str) -> Account:
    account = accounts.get(account_id)
    if account is None:
        raise api.FieldError(field, f"There is no account {account_id}.")
    if account.kind == "peer":
        raise api.FieldError(field, "Exchanges with other time banks are not possible yet.")
    if account.member is not None and account.member.status != "active":
        raise api.FieldError(field, "This member is not active.")
    return account


def _transfers(session: Session, rows: list[dict[str, Any]], actor: Actor) -> list[Transfer]:
    # Every party's account, with its member, in one query.
    ids = {row["from_account"] for row in rows} | {row["to_account"] for row in rows}
    accounts = {
        account.id: account
        for account in session.scalars(
            select(Account).where(Account.id.in_(ids)).options(joinedload(Account.member))
        )
    }
    transfers = []
    for index, row in enumerate(rows):
        field = f"transfers.{index}"
        payer = _account(accounts, row["from_account"], f"{field}.from_account")
        payee = _account(accounts, row["to_account"], f"{field}.to_account")
        if payer.id == payee.id:
            raise api.FieldError(f"{field}.to_account", "Time goes from one account to another.")
        if "bank" in (payer.kind, payee.kind) and not actor.coordinator:
            raise api.FieldError(field, "Only a coordinator records exchanges with the bank.")
        # The ids as well, so the transfers' minutes are added up before any flush.
        transfers.append(
            Transfer(
                payer=payer,
                payee=payee,
                payer_id=payer.id,
                payee_id=payee.id,
                minutes=row["minutes"],
            )
        )
    return transfers


def _listing(
    session: Session, values: dict[str, Any], parties: dict[int, Account]
) -> Listing | None:
    """The offer or request an exchange is for, which must be one of its parties'."""
    if "listing" not in values:
        if "category" not in values:
            raise api.FieldError("category", "Choose a kind of help.")
        return None
    listing = session.get(Listing, values["listing"])
    if listing is None:
        raise api.FieldError("listing", f"There is no offer or request {values['listing']}.")
    if not any(a.member_id == listing.member_id for a in parties.values()):
        raise api.FieldError("listing", "This offer or request is not one of the parties'.")
    return listing


def record(session: Session, values: dict[str, Any], actor: Actor, settings: Settings) -> Exchange:
    """Record an exchange (``values`` as ``schemas.ExchangeIn`` loads them).

    The parties ``actor`` answers for (themself; the bank for a coordinator; members who
    are offline for a broker) are confirmed at once; when that is every party, the
    exchange is posted now, otherwise it waits for the others until it expires.
    """
    today = api.today()
    occurred_on = values.get("occurred_on", today)
    if occurred_on > today:
        raise api.FieldError("occurred_on", "The date cannot be in the future.")
    with transaction(session):
        transfers = _transfers(session, values["transfers"], actor)
        parties = {t.payer.id: t.payer for t in transfers} | {
            t.payee.id: t.payee for t in transfers
        }
        if actor.account_id not in parties and not (actor.broker or actor.coordinator):
            raise api.FieldError("transfers", "You can only record exchanges you took part in.")
        listing = _listing(session, values, parties)
        exchange = Exchange(
            category=values["category"]
            if listing is None
            else values.get("category", listing.category),
            listing_id=listing.id if listing else None,
            occurred_on=occurred_on,
            description=values.get("description", ""),
            recorded_by_id=actor.user_id,
            brokered=any(actor.on_behalf_of(a) for a in parties.values())
            or actor.account_id not in parties,
            transfers=transfers,
        )
        moment = api.now()
        for account in sorted(parties.values(), key=lambda a: a.id):
            answered = actor.answers_for(account)
            exchange.confirmations.append(
                Confirmation(
                    account=account,
                    state="confirmed" if answered else "awaiting",
                    decided_at=moment if answered else None,
                    decided_by_id=actor.user_id if answered else None,
                    on_behalf=answered and actor.on_behalf_of(account),
                )
            )
        if all(c.state == "confirmed" for c in exchange.confirmations):
            session.add(exchange)
            session.flush()  # takes SQLite's write lock before the balances are read
            post(session, exchange, settings, moment)
        else:
            # Said now rather than at confirmation, where it would surprise the other party.
            for account_id, delta in ledger.net_minutes(exchange.transfers).items():
                ledger.check_limits(parties[account_id], delta, settings)
            exchange.expires_at = moment + dt.timedelta(days=settings.confirm_within_days)
            session.add(exchange)  # written at commit: one INSERT each, one audit entry
    return exchange


def post(session: Session, exchange: Exchange, settings: Settings, moment: dt.datetime) -> None:
    """Post ``exchange`` (locked or new, every party confirmed) and mark it confirmed."""
    ledger.post(session, exchange, settings)
    exchange.state = "confirmed"
    exchange.decided_at = moment


def _pending(session: Session, exchange_id: int, moment: dt.datetime) -> Exchange:
    exchange = ledger.lock_exchange(session, exchange_id)
    if exchange is None:
        raise api.ApiError(404, "exchange not found", {"id": exchange_id})
    if exchange.state == "pending" and exchange.expires_at and exchange.expires_at <= moment:
        exchange.state = "expired"
        exchange.decided_at = exchange.expires_at
        session.commit()  # it expired whatever this request wanted
    if exchange.state != "pending":
        raise ExchangeError(f"This exchange is {exchange.state} already.")
    return exchange


def _answerable(exchange: Exchange, actor: Actor, account_id: int | None) -> list[Confirmation]:
    mine = [
        c
        for c in exchange.confirmations
        if actor.answers_for(c.account) and account_id in (None, c.account_id)
    ]
    if not mine:
        raise ExchangeError("You cannot answer for anyone in this exchange.")
    return mine


def confirm(
    session: Session,
    exchange_id: int,
    actor: Actor,
    settings: Settings,
    account_id: int | None = None,
) -> Exchange:
    """Confirm a pending exchange for every party ``actor`` answers for (or only
    ``account_id``); the last confirmation posts it. Confirming twice changes nothing."""
    moment = api.now()
    with transaction(session):
        exchange = _pending(session, exchange_id, moment)
        for confirmation in _answerable(exchange, actor, account_id):
            if confirmation.state == "awaiting":
                confirmation.state = "confirmed"
                confirmation.decided_at = moment
                confirmation.decided_by_id = actor.user_id
                confirmation.on_behalf = actor.on_behalf_of(confirmation.account)
        if all(c.state == "confirmed" for c in exchange.confirmations):
            post(session, exchange, settings, moment)
    return exchange


def decline(
    session: Session, exchange_id: int, actor: Actor, account_id: int | None = None
) -> Exchange:
    """Decline a pending exchange (or withdraw one's own record of it): nothing is posted."""
    moment = api.now()
    with transaction(session):
        exchange = _pending(session, exchange_id, moment)
        (confirmation, *_) = _answerable(exchange, actor, account_id)
        confirmation.state = "declined"
        confirmation.decided_at = moment
        confirmation.decided_by_id = actor.user_id
        confirmation.on_behalf = actor.on_behalf_of(confirmation.account)
        exchange.state = "declined"
        exchange.decided_at = moment
    return exchange


def reverse(
    session: Session, exchange_id: int, actor: Actor, settings: Settings, reason: str
) -> Exchange:
    """Correct a confirmed exchange with a reversing one (a coordinator's act): the same
    transfers the other way, posted at once. Movements are never edited."""
    if not actor.coordinator:
        raise ExchangeError("Only a coordinator reverses exchanges.")
    moment = api.now()
    with transaction(session):
        original = ledger.lock_exchange(session, exchange_id)
        if original is None:
            raise api.ApiError(404, "exchange not found", {"id": exchange_id})
        if original.state != "confirmed":
            raise ExchangeError(
                f"Only a confirmed exchange can be reversed; this one is {original.state}."
            )
        if original.reverses_id is not None:
            raise ExchangeError("This is a reversal; record the exchange again instead.")
        if session.scalar(select(Exchange.id).where(Exchange.reverses_id == original.id)):
            raise ExchangeError("This exchange has been reversed already.")
        reversal = reversing(session, original, actor, settings, reason, moment)
    return reversal


def reversing(
    session: Session,
    original: Exchange,
    actor: Actor,
    settings: Settings,
    reason: str,
    moment: dt.datetime,
) -> Exchange:
    """Post the reversal of ``original`` (confirmed, locked, not reversed yet) within the
    caller's transaction: the same transfers the other way, every party confirmed."""
    reversal = Exchange(
        category=original.category,
        occurred_on=api.today(),
        description=reason,
        recorded_by_id=actor.user_id,
        brokered=True,
        reverses_id=original.id,
        transfers=[
            Transfer(payer_id=t.payee_id, payee_id=t.payer_id, minutes=t.minutes)
            for t in original.transfers
        ],
        confirmations=[
            Confirmation(
                account_id=c.account_id,
                state="confirmed",
                decided_at=moment,
                decided_by_id=actor.user_id,
                on_behalf=True,
            )
            for c in original.confirmations
        ],
    )
    session.add(reversal)
    session.flush()
    post(session, reversal, settings, moment)
    return reversal


def expire(session: Session) -> int:
    """Mark every pending exchange past its time as expired; returns how many."""
    moment = api.now()
    with transaction(session):
        result = session.execute(
            update(Exchange)
            .where(Exchange.state == "pending", Exchange.expires_at <= moment)
            .values(state="expired", decided_at=Exchange.expires_at)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0))


def state_of(exchange: Exchange) -> str:
    """The exchange's state as its parties see it: pending past its time is expired,
    whether or not ``hub skillshare expire`` has marked it yet."""
    expires = exchange.expires_at
    if exchange.state == "pending" and expires is not None and expires <= api.now():
        return "expired"
    return exchange.state


def exchanges(filters: dict[str, Any]) -> Select[Exchange]:
    """Exchanges matching ``filters`` (as ``schemas.ExchangeQuery`` loads them), newest first."""
    statement = select(Exchange)
    if "account" in filters:
        involved = select(Confirmation.exchange_id).where(
            Confirmation.account_id == filters["account"]
        )
        statement = statement.where(Exchange.id.in_(involved))
    if "state" in filters:
        statement = statement.where(_state_is(filters["state"]))
    if "category" in filters:
        statement = statement.where(Exchange.category == filters["category"])
    return statement.order_by(Exchange.id.desc())


def _state_is(state: str) -> Any:
    """An exchange's state as its readers see it: a pending one past its time is expired
    even before ``hub skillshare expire`` has marked it so."""
    moment = api.now()
    overdue = Exchange.expires_at <= moment
    if state == "pending":
        return (Exchange.state == "pending") & ~overdue
    if state == "expired":
        return or_(Exchange.state == "expired", (Exchange.state == "pending") & overdue)
    return Exchange.state == state


def awaiting(session: Session, actor: Actor) -> list[Exchange]:
    """Pending exchanges waiting for an answer ``actor`` may give: their own, and as a
    broker those of members who are offline, as a coordinator the bank's; oldest first."""
    answerable = []
    if actor.account_id is not None:
        answerable.append(Confirmation.account_id == actor.account_id)
    if actor.broker or actor.coordinator:
        offline = select(Member.id).where(Member.offline, Member.status == "active")
        answerable.append(Account.member_id.in_(offline))
    if actor.coordinator:
        answerable.append(Account.kind == "bank")
    if not answerable:
        return []
    waiting = (
        select(Exchange.id)
        .join(Confirmation, Confirmation.exchange_id == Exchange.id)
        .join(Account, Account.id == Confirmation.account_id)
        .where(Confirmation.state == "awaiting", _state_is("pending"), or_(*answerable))
    )
    return list(
        session.scalars(select(Exchange).where(Exchange.id.in_(waiting)).order_by(Exchange.id))
    )


def member_account(session: Session, member_id: int, field: str) -> int:
    """The account of the active member ``member_id`` (a page names members, not accounts)."""
    account_id = session.scalar(
        select(Account.id)
        .join(Member, Member.id == Account.member_id)
        .where(Member.id == member_id, Member.status == "active")
    )
    if account_id is None:
        raise api.FieldError(field, "Choose an active member.")
    return account_id
