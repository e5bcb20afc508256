"""Exchanges through the API: recorded by one party, confirmed or declined by the other,
recorded and confirmed by a broker for an offline member, expiring, reversed."""

from __future__ import annotations

import datetime as dt

API = "/api/v1/skillshare"

EXCHANGES = f"{API}/exchanges"


def exchange(giver, receiver, minutes=60, category="garden", **extra):
    transfer = {"from_account": giver.account, "to_account": receiver.account, "minutes": minutes}
    return {"category": category, "transfers": [transfer], **extra}


def balance(client, member, headers):
    return client.get(f"{API}/accounts/{member.account}", headers=headers).json["balance"]


def test_one_member_records_the_other_confirms(client, make_member, accounts, runner):
    ana, ben = make_member("Ana"), make_member("Ben")
    recorded = client.post(EXCHANGES, json=exchange(ana, ben, 90), headers=ana.headers)
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["state"] == "pending" and not recorded.json["brokered"]
    assert balance(client, ana, ana.headers) == 0  # nothing moves before Ben confirms
    again = client.post(f"{EXCHANGES}/{recorded.json['id']}/confirm", json={}, headers=ana.headers)
    assert again.status_code == 200 and again.json["state"] == "pending"  # Ana's was given
    confirmed = client.post(
        f"{EXCHANGES}/{recorded.json['id']}/confirm", json={}, headers=ben.headers
    )
    assert confirmed.json["state"] == "confirmed"
    assert balance(client, ana, ana.headers) == -90 and balance(client, ben, ben.headers) == 90
    twice = client.post(f"{EXCHANGES}/{recorded.json['id']}/confirm", json={}, headers=ben.headers)
    assert twice.status_code == 409
    assert balance(client, ben, ben.headers) == 90
    assert runner.invoke("skillshare", "check").exit_code == 0


def test_a_declined_exchange_moves_nothing(client, make_member):
    ana, ben = make_member("Ana"), make_member("Ben")
    recorded = client.post(EXCHANGES, json=exchange(ana, ben), headers=ben.headers).json
    declined = client.post(f"{EXCHANGES}/{recorded['id']}/decline", json={}, headers=ana.headers)
    assert declined.json["state"] == "declined"
    late = client.post(f"{EXCHANGES}/{recorded['id']}/confirm", json={}, headers=ana.headers)
    assert late.status_code == 409 and "declined" in late.json["error"]
    assert balance(client, ben, ben.headers) == 0


def test_a_broker_records_and_confirms_for_an_offline_member(client, make_member, accounts):
    cai = make_member("Cai", offline=True)
    ana = make_member("Ana")
    broker = accounts["coordinator"].headers
    recorded = client.post(EXCHANGES, json=exchange(cai, ana, 120), headers=broker).json
    assert recorded["brokered"] and recorded["state"] == "pending"
    cai_says = {c["account"]: c for c in recorded["confirmations"]}
    assert cai_says[cai.account]["state"] == "confirmed" and cai_says[cai.account]["on_behalf"]
    assert cai_says[ana.account]["state"] == "awaiting"  # Ana is online: she answers herself
    wrong = client.post(
        f"{EXCHANGES}/{recorded['id']}/confirm", json={"account": ana.account}, headers=broker
    )
    assert wrong.status_code == 409
    confirmed = client.post(f"{EXCHANGES}/{recorded['id']}/confirm", json={}, headers=ana.headers)
    assert confirmed.json["state"] == "confirmed"
    dee = make_member("Dee", offline=True)
    both_offline = client.post(EXCHANGES, json=exchange(dee, cai, 30), headers=broker).json
    assert both_offline["state"] == "confirmed" and both_offline["brokered"]


def test_members_cannot_record_for_others_or_with_the_bank(client, make_member, accounts):
    ana, ben, cai = make_member("Ana"), make_member("Ben"), make_member("Cai")
    others = client.post(EXCHANGES, json=exchange(ben, cai), headers=ana.headers)
    assert others.status_code == 422 and "transfers" in others.json["details"]
    bank = client.get(f"{API}/accounts/bank", headers=ana.headers).json
    with_bank = exchange(ana, ben)
    with_bank["transfers"][0]["from_account"] = bank["id"]
    refused = client.post(EXCHANGES, json=with_bank, headers=ana.headers)
    assert refused.status_code == 422
    credited = client.post(EXCHANGES, json=with_bank, headers=accounts["coordinator"].headers)
    assert credited.status_code == 201 and credited.json["state"] == "pending"
    assert (
        client.post(
            f"{EXCHANGES}/{credited.json['id']}/confirm", json={}, headers=ben.headers
        ).json["state"]
        == "confirmed"
    )
    assert client.get(f"{API}/accounts/bank", headers=ana.headers).json["balance"] == -60


def test_many_to_one_a_workshop_host_credited_by_several(client, make_member, accounts):
    host = make_member("Host", offline=True)
    pupils = [make_member(f"Pupil {n}", offline=True) for n in range(3)]
    body = {
        "category": "learning",
        "transfers": [
            {"from_account": p.account, "to_account": host.account, "minutes": 60} for p in pupils
        ],
    }
    made = client.post(EXCHANGES, json=body, headers=accounts["coordinator"].headers).json
    assert made["state"] == "confirmed" and made["minutes"] == 180
    assert balance(client, host, accounts["coordinator"].headers) == 180


def test_limits_are_enforced(client, make_member, accounts):
    ana = make_member("Ana", debit=60)
    ben = make_member("Ben", credit=100)
    too_much = client.post(EXCHANGES, json=exchange(ana, ben, 90), headers=ana.headers)
    assert too_much.status_code == 409 and too_much.json["details"]["limit"] == -60
    fits = client.post(EXCHANGES, json=exchange(ana, ben, 60), headers=ana.headers).json
    client.post(f"{EXCHANGES}/{fits['id']}/confirm", json={}, headers=ben.headers)
    cai = make_member("Cai")
    over_credit = client.post(EXCHANGES, json=exchange(cai, ben, 50), headers=cai.headers)
    assert over_credit.status_code == 409 and "credit" in over_credit.json["error"]


def test_unconfirmed_exchanges_expire(client, make_member, runner, clock):
    clock.set(dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC))
    ana, ben = make_member("Ana"), make_member("Ben")
    recorded = client.post(EXCHANGES, json=exchange(ana, ben), headers=ana.headers).json
    assert recorded["expires_at"].startswith("2025-03-15")
    clock.advance(days=15)
    shown = client.get(f"{EXCHANGES}/{recorded['id']}", headers=ana.headers).json
    assert shown["state"] == "expired"  # at read time, before the command has run
    late = client.post(f"{EXCHANGES}/{recorded['id']}/confirm", json={}, headers=ben.headers)
    assert late.status_code == 409 and "expired" in late.json["error"]
    other = client.post(EXCHANGES, json=exchange(ben, ana), headers=ana.headers).json
    clock.advance(days=15)
    result = runner.invoke("skillshare", "expire")
    assert result.exit_code == 0 and "1 unconfirmed exchange expired" in result.output
    assert client.get(f"{EXCHANGES}/{other['id']}", headers=ana.headers).json["state"] == "expired"


def test_a_correction_is_a_reversing_exchange(client, make_member, accounts, runner):
    ana, ben = make_member("Ana"), make_member("Ben")
    coordinator = accounts["coordinator"].headers
    made = client.post(EXCHANGES, json=exchange(ana, ben, 45), headers=ana.headers).json
    client.post(f"{EXCHANGES}/{made['id']}/confirm", json={}, headers=ben.headers)
    refused = client.post(
        f"{EXCHANGES}/{made['id']}/reverse", json={"reason": "typo"}, headers=ana.headers
    )
    assert refused.status_code == 403
    reversal = client.post(
        f"{EXCHANGES}/{made['id']}/reverse", json={"reason": "Recorded twice"}, headers=coordinator
    )
    assert reversal.status_code == 201 and reversal.json["reverses"] == made["id"]
    assert balance(client, ana, ana.headers) == 0 and balance(client, ben, ben.headers) == 0
    again = client.post(
        f"{EXCHANGES}/{made['id']}/reverse", json={"reason": "Again"}, headers=coordinator
    )
    assert again.status_code == 409
    statement = client.get(f"{API}/accounts/{ana.account}/statement", headers=ana.headers).json
    assert [line["minutes"] for line in statement["items"]] == [45, -45]
    assert [line["balance_after"] for line in statement["items"]] == [0, -45]
    assert runner.invoke("skillshare", "check").exit_code == 0


def test_the_api_refuses_what_does_not_fit(client, make_member, clock):
    clock.set(dt.date(2025, 3, 14))
    ana, ben = make_member("Ana"), make_member("Ben")
    for body, field in [
        ({**exchange(ana, ben), "category": "nonsense"}, "category"),
        (exchange(ana, ben, 2.5), "transfers"),
        (exchange(ana, ben, "60"), "transfers"),
        (exchange(ana, ben, 0), "transfers"),
        (exchange(ana, ben, 10**30), "transfers"),
        ({**exchange(ana, ben), "description": "x" * 10_000}, "description"),
        ({**exchange(ana, ben), "occurred_on": "2025-03-15"}, "occurred_on"),
        ({"category": "garden", "transfers": []}, "transfers"),
        (exchange(ana, ana), "transfers.0.to_account"),
    ]:
        response = client.post(EXCHANGES, json=body, headers=ana.headers)
        assert response.status_code == 422, (body, response.json)
        assert any(key.startswith(field) for key in response.json["details"]), (body, response.json)
    missing = client.post(f"{EXCHANGES}/99999/confirm", json={}, headers=ana.headers)
    assert missing.status_code == 404
    huge = client.get(f"{EXCHANGES}/{2**70}", headers=ana.headers)
    assert huge.status_code == 404
