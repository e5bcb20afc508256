"""The ledger's promises, checked by hypothesis against the real database (SQLite, or
PostgreSQL with HUB_TEST_DATABASE_URL) through the real API.

Random sequences of exchanges (one-to-one, one-to-many), confirmations, declines,
reversals and bursts of concurrent requests (a double tap on "confirm", several
brokers draining one member's time at once) run against members with tight limits.
After every step: the movements sum to zero, in all and per exchange; every balance is
its movements and what the responses said had happened; no member is past a limit;
nothing was posted twice (the ledger's own check, the one ``hub skillshare check``
runs, and the test's model of what the responses said agree).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from hub import plugin_api as api
from hub_skillshare import ledger
from hub_skillshare.models import Account

API = "/api/v1/skillshare"
EXCHANGES = f"{API}/exchanges"
DEBIT, CREDIT = 120, 180  # tight, so that limits are reached often
ONLINE, OFFLINE = 3, 2
minutes = st.sampled_from([15, 30, 45, 60, 90])


def transfer(giver, receiver, amount):
    return {"from_account": giver.account, "to_account": receiver.account, "minutes": amount}


@pytest.fixture
def ledger_machine(app, make_member, accounts, at_once):
    online = [make_member(f"Online {n}", debit=DEBIT, credit=CREDIT) for n in range(ONLINE)]
    offline = [
        make_member(f"Offline {n}", offline=True, debit=DEBIT, credit=CREDIT)
        for n in range(OFFLINE)
    ]
    everyone = online + offline
    broker = accounts["coordinator"].headers

    class LedgerMachine(RuleBasedStateMachine):
        pending = Bundle("pending")
        confirmed = Bundle("confirmed")

        def __init__(self) -> None:
            super().__init__()
            self.client = app.test_client()
            # Each example starts from what the previous ones left: read it, then predict.
            self.expected = {m.account: self.balance(m) for m in everyone}
            self.transfers: dict[int, list[dict]] = {}

        def balance(self, member):
            return self.client.get(f"{API}/accounts/{member.account}", headers=broker).json[
                "balance"
            ]

        def posted(self, exchange):
            for t in exchange["transfers"]:
                self.expected[t["from_account"]] -= t["minutes"]
                self.expected[t["to_account"]] += t["minutes"]

        def outcome(self, response):
            """What a recording said happened; a refusal must be a limit, never a 500."""
            if response.status_code == 409:
                assert "limit" in response.json["error"], response.json
                return None
            assert response.status_code == 201, response.json
            exchange = response.json
            if exchange["state"] == "confirmed":
                self.posted(exchange)
            return exchange

        @rule(
            target=pending,
            pair=st.permutations(range(ONLINE)).map(lambda p: p[:2]),
            amount=minutes,
            by_giver=st.booleans(),
        )
        def member_records(self, pair, amount, by_giver):
            giver, receiver = online[pair[0]], online[pair[1]]
            recorder = giver if by_giver else receiver
            body = {"category": "garden", "transfers": [transfer(giver, receiver, amount)]}
            exchange = self.outcome(
                self.client.post(EXCHANGES, json=body, headers=recorder.headers)
            )
            if exchange is None:
                return None
            assert exchange["state"] == "pending"
            return exchange["id"]

        @rule(
            target=confirmed,
            giver=st.sampled_from(range(OFFLINE)),
            receivers=st.lists(st.sampled_from(range(ONLINE + OFFLINE)), min_size=1, max_size=3),
            amount=minutes,
        )
        def broker_records_one_to_many(self, giver, receivers, amount):
            payer = offline[giver]
            payees = {
                everyone[r].account: everyone[r] for r in receivers if everyone[r] is not payer
            }
            if not payees:
                return None
            body = {
                "category": "care",
                "transfers": [transfer(payer, p, amount) for p in payees.values()],
            }
            exchange = self.outcome(self.client.post(EXCHANGES, json=body, headers=broker))
            if exchange is None or exchange["state"] != "confirmed":
                return None
            return exchange["id"]

        @rule(exchange_id=consumes(pending), double_tap=st.integers(1, 3))
        def other_party_confirms(self, exchange_id, double_tap):
            if exchange_id is None:
                return
            shown = self.client.get(f"{EXCHANGES}/{exchange_id}", headers=broker).json
            (waiting,) = [c["account"] for c in shown["confirmations"] if c["state"] == "awaiting"]
            member = next(m for m in everyone if m.account == waiting)
            answers = at_once(
                [
                    lambda: app.test_client().post(
                        f"{EXCHANGES}/{exchange_id}/confirm", json={}, headers=member.headers
                    )
                    for _ in range(double_tap)
                ]
            )
            codes = sorted(a.status_code for a in answers)
            final = self.client.get(f"{EXCHANGES}/{exchange_id}", headers=broker).json
            if final["state"] == "confirmed":
                # One tap posted it; any other saw it done. It is posted exactly once.
                assert codes.count(200) == 1 and set(codes) <= {200, 409}, codes
                self.posted(final)
            else:
                assert final["state"] == "pending" and set(codes) == {409}, (codes, final)

        @rule(exchange_id=consumes(pending))
        def other_party_declines(self, exchange_id):
            if exchange_id is None:
                return
            answer = self.client.post(f"{EXCHANGES}/{exchange_id}/decline", json={}, headers=broker)
            assert answer.status_code == 409  # a broker cannot answer for online members
            shown = self.client.get(f"{EXCHANGES}/{exchange_id}", headers=broker).json
            (waiting,) = [c["account"] for c in shown["confirmations"] if c["state"] == "awaiting"]
            member = next(m for m in everyone if m.account == waiting)
            declined = self.client.post(
                f"{EXCHANGES}/{exchange_id}/decline", json={}, headers=member.headers
            )
            assert declined.json["state"] == "declined"

        @rule(exchange_id=consumes(confirmed))
        def coordinator_reverses(self, exchange_id):
            if exchange_id is None:
                return
            answer = self.client.post(
                f"{EXCHANGES}/{exchange_id}/reverse", json={"reason": "Mistake"}, headers=broker
            )
            if answer.status_code == 409:  # the reversal would cross a limit: refused whole
                assert "limit" in answer.json["error"], answer.json
                return
            assert answer.status_code == 201, answer.json
            self.posted(answer.json)

        @rule(amount=minutes, clients=st.integers(2, 4))
        def brokers_drain_one_member_at_once(self, amount, clients):
            payer, payee = offline
            body = {"category": "transport", "transfers": [transfer(payer, payee, amount)]}
            answers = at_once(
                [
                    lambda: app.test_client().post(EXCHANGES, json=body, headers=broker)
                    for _ in range(clients)
                ]
            )
            for answer in answers:
                self.outcome(answer)

        @invariant()
        def the_ledger_adds_up(self):
            with app.app_context():
                session = api.get_session()
                assert ledger.problems(session) == []
                held = dict(
                    session.execute(
                        select(Account.id, Account.balance).where(Account.id.in_(self.expected))
                    ).all()
                )
            assert held == self.expected
            assert all(-DEBIT <= minutes <= CREDIT for minutes in held.values())

    return LedgerMachine


def test_the_ledger_always_balances(ledger_machine):
    run_state_machine_as_test(
        ledger_machine,
        settings=settings(
            max_examples=6,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
