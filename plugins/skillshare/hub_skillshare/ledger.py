"""The ledger: accounts, posting an exchange's movements under the limits, balances,
statements, and the check that everything adds up.

Posting is the one place balances change. It locks the rows of every account it
touches, in the order of their ids (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
has one writer, whose lock the caller already holds, see ``lock_exchange``), reads the
balances afresh, refuses a movement that would take a member past a limit, then writes
the movements and the new balances in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from hub_skillshare.i18n import _
from hub_skillshare.models import Account, Confirmation, Exchange, Member, Movement, Transfer
from hub_skillshare.settings import Settings


class LimitError(Exception):
    """Posting would take an account past its debit or credit limit."""

    def __init__(self, account: Account, balance: int, limit: int, side: str) -> None:
        self.account_id = account.id
        self.balance = balance
        self.limit = limit
        self.side = side
        owner = account.member.person.name if account.member else None
        owner = owner or (
            _("member %(id)s", id=account.member_id)
            if account.member
            else _("account %(id)s", id=account.id)
        )
        words = {"owner": owner, "balance": hours(balance), "limit": hours(limit)}
        super().__init__(
            _("%(owner)s would go to %(balance)s, beyond their debit limit of %(limit)s", **words)
            if side == "debit"
            else _(
                "%(owner)s would go to %(balance)s, beyond their credit limit of %(limit)s",
                **words,
            )
        )


def hours(minutes: int) -> str:
    """Minutes as a person reads them: ``-1 h 30 min``, ``45 min``, ``2 h``."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    parts = ([_("%(num)s h", num=whole)] if whole else []) + (
        [_("%(num)s min", num=rest)] if rest or not whole else []
    )
    return sign + " ".join(parts)


@dataclass(frozen=True)
class Limits:
    """How far an account may go: from ``-debit`` to ``credit`` minutes (None: no limit)."""

    debit: int | None
    credit: int | None

    @classmethod
    def of(cls, account: Account, settings: Settings) -> Limits:
        if account.kind == "bank":
            return cls(None, None)  # the bank issues time; its balance is the others' negative
        debit = account.debit_limit
        credit = account.credit_limit
        return cls(
            settings.debit_limit_minutes if debit is None else debit,
            settings.credit_limit_minutes if credit is None else credit,
        )


def bank_account(session: Session) -> Account:
    """The bank's own account (made by the first migration)."""
    return session.scalars(select(Account).where(Account.kind == "bank")).one()


def open_account(session: Session, member: Member) -> Account:
    account = Account(kind="member", member=member)
    session.add(account)
    return account


def lock_exchange(session: Session, exchange_id: int) -> Exchange | None:
    """Lock ``exchange_id`` for a decision and read it afresh.

    The no-op UPDATE takes the row lock on PostgreSQL and, being a write, the database's
    write lock on SQLite before anything is read in the transaction, so two requests
    deciding the same exchange (a double tap, a broker and the member at once) take
    turns, and the second sees what the first decided.
    """
    session.execute(update(Exchange).where(Exchange.id == exchange_id).values(state=Exchange.state))
    # Its transfers and parties (with their members, for who may answer) in one query.
    parties = joinedload(Exchange.confirmations).joinedload(Confirmation.account)
    return (
        session.scalars(
            select(Exchange)
            .where(Exchange.id == exchange_id)
            .options(parties.joinedload(Account.member), joinedload(Exchange.transfers))
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )


def lock_accounts(session: Session, ids: Iterable[int]) -> dict[int, Account]:
    """The accounts ``ids``, row-locked in id order (so two postings never deadlock) and
    read afresh: the balances are the committed ones, not what the session saw before.

    ``FOR NO KEY UPDATE`` on PostgreSQL, the lock an UPDATE of the balance takes anyway:
    unlike ``FOR UPDATE`` it does not wait for the key-share locks that inserting the
    exchange's rows (whose foreign keys name these accounts) took, in this transaction
    or another, so two exchanges recorded at once between the same members take turns
    instead of deadlocking.
    """
    statement = (
        select(Account)
        .where(Account.id.in_(sorted(set(ids))))
        .order_by(Account.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return {account.id: account for account in session.scalars(statement)}


def net_minutes(transfers: Iterable[Transfer]) -> dict[int, int]:
    """What an exchange's transfers change on each account: it sums to zero."""
    deltas: dict[int, int] = defaultdict(int)
    for transfer in transfers:
        deltas[transfer.payer_id] -= transfer.minutes
        deltas[transfer.payee_id] += transfer.minutes
    return dict(deltas)


def check_limits(account: Account, delta: int, settings: Settings) -> None:
    """Refuse a change that takes ``account`` past a limit in its own direction: a member
    already beyond a lowered limit may still move back towards it."""
    limits = Limits.of(account, settings)
    balance = account.balance + delta
    if delta < 0 and limits.debit is not None and balance < -limits.debit:
        raise LimitError(account, balance, -limits.debit, "debit")
    if delta > 0 and limits.credit is not None and balance > limits.credit:
        raise LimitError(account, balance, limits.credit, "credit")


def post(session: Session, exchange: Exchange, settings: Settings) -> None:
    """Post every transfer of ``exchange`` (which the caller has locked) as two movements,
    within every member's limits, and update the balances; raises ``LimitError``.

    Nothing the caller changed is flushed on the way (it is written at commit, with one
    audit entry): posting takes three round trips, the accounts' lock, the movements
    and the balances."""
    with session.no_autoflush:
        deltas = net_minutes(exchange.transfers)
        accounts = lock_accounts(session, deltas)
        for account_id, delta in deltas.items():
            check_limits(accounts[account_id], delta, settings)
        rows = []
        running = {account_id: account.balance for account_id, account in accounts.items()}
        for transfer in exchange.transfers:
            for account_id, minutes in (
                (transfer.payer_id, -transfer.minutes),
                (transfer.payee_id, transfer.minutes),
            ):
                running[account_id] += minutes
                rows.append(
                    {
                        "exchange_id": exchange.id,
                        "transfer_id": transfer.id,
                        "account_id": account_id,
                        "minutes": minutes,
                        "balance_after": running[account_id],
                    }
                )
        session.execute(insert(Movement), rows)
        changed = [
            {"account": account_id, "delta": delta}
            for account_id, delta in sorted(deltas.items())
            if delta
        ]
        if changed:
            session.connection().execute(
                update(Account.__table__)
                .where(Account.__table__.c.id == bindparam("account"))
                .values(balance=Account.__table__.c.balance + bindparam("delta")),
                changed,
            )
        for account_id in deltas:
            # What the database now holds, without the session writing it a second time.
            set_committed_value(accounts[account_id], "balance", running[account_id])


def statement(account_id: int) -> Select[*tuple[Any, ...]]:
    """An account's statement: its movements, newest first, each with what it was for and
    the balance after it (an indexed range of the account's movements, however many)."""
    return (
        select(
            Movement.id,
            Movement.exchange_id,
            Exchange.occurred_on,
            Exchange.category,
            Exchange.description,
            Movement.minutes,
            Movement.balance_after,
            Movement.posted_at,
        )
        .join(Exchange, Exchange.id == Movement.exchange_id)
        .where(Movement.account_id == account_id)
        .order_by(Movement.id.desc())
    )


def problems(session: Session) -> list[str]:
    """Everything that does not add up, in words; empty when the ledger is sound."""
    found = []
    total = session.scalar(select(func.coalesce(func.sum(Movement.minutes), 0)))
    if total:
        found.append(f"the movements sum to {total} minutes, not 0")
    unbalanced = session.execute(
        select(Movement.exchange_id, func.sum(Movement.minutes))
        .group_by(Movement.exchange_id)
        .having(func.sum(Movement.minutes) != 0)
    ).all()
    found += [f"exchange {e} sums to {m} minutes" for e, m in unbalanced]
    sums = (
        select(Movement.account_id, func.sum(Movement.minutes).label("total"))
        .group_by(Movement.account_id)
        .subquery()
    )
    drift = session.execute(
        select(Account.id, Account.balance, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(Account.balance != func.coalesce(sums.c.total, 0))
    ).all()
    found += [f"account {a} holds {b} minutes but its movements sum to {s}" for a, b, s in drift]
    running = (
        select(
            Movement.id,
            Movement.balance_after,
            func.sum(Movement.minutes)
            .over(partition_by=Movement.account_id, order_by=Movement.id)
            .label("running"),
        )
    ).subquery()
    misstated = session.scalars(
        select(running.c.id).where(running.c.balance_after != running.c.running).limit(5)
    ).all()
    found += [
        f"movement {m} states a balance its account's movements do not add up to" for m in misstated
    ]
    posted = (
        select(Movement.exchange_id, func.count().label("movements"))
        .group_by(Movement.exchange_id)
        .subquery()
    )
    transfers = (
        select(Transfer.exchange_id, func.count().label("transfers"))
        .group_by(Transfer.exchange_id)
        .subquery()
    )
    # A confirmed exchange has posted each transfer exactly once; no other has posted.
    expected = case((Exchange.state == "confirmed", 2 * transfers.c.transfers), else_=0)
    miscounted = session.execute(
        select(Exchange.id, Exchange.state, func.coalesce(posted.c.movements, 0))
        .join(transfers, transfers.c.exchange_id == Exchange.id)
        .outerjoin(posted, posted.c.exchange_id == Exchange.id)
        .where(func.coalesce(posted.c.movements, 0) != expected)
    ).all()
    found += [f"exchange {e} ({s}) has {n} movements" for e, s, n in miscounted]
    return found
