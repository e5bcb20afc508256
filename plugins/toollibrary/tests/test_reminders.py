"""Reminders end to end, through a real SMTP server on loopback: due soon, overdue,
hold ready (at check-in, or by the daily run if it could not go then); once each;
members without email on the phone list."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from hub.testing import HubRunner, csrf_token, login


def _subjects(smtp_server) -> list[tuple[str, str]]:
    return sorted((message["To"], message["Subject"]) for message in smtp_server.messages)


def test_reminders_by_email_once_each_and_by_phone(make_app, make_library, smtp_server, clock):
    app = make_app(**smtp_server.settings("Splott Tool Library <hub@example.org>"))
    library = make_library(app)
    runner = HubRunner(app)
    drill, saw, ladder = (
        library.item(),
        library.item("Tenon saw", "hand_saws"),
        library.item("Ladder", "ladders"),
    )
    ann, bob = library.member("Ann Jones"), library.member("Bob Evans")
    cat = library.member("Cat Price", email=None, phone="07700 900123")
    dave = library.member("Dave Owen")
    loans = [library.lend(drill, ann), library.lend(saw, bob), library.lend(ladder, cat)]
    library.ok("POST", "/holds", {"item_id": drill["id"], "member_id": dave["id"]})

    clock.set(dt.date(2025, 3, 16))  # Sunday: due Wednesday, more than two days off
    quiet = runner.invoke("toollibrary", "reminders")
    assert quiet.exit_code == 0 and "Sent 0 due-soon" in quiet.output and not smtp_server.messages

    clock.set(dt.date(2025, 3, 17))
    first = runner.invoke("toollibrary", "reminders")
    assert first.exit_code == 0, first.output
    assert (
        "Sent 2 due-soon and 0 overdue" in first.output and "1 member(s) to phone" in first.output
    )
    assert _subjects(smtp_server) == [
        ("ann.jones@example.org", "Due back Wednesday 19 March: Cordless drill"),
        ("bob.evans@example.org", "Due back Wednesday 19 March: Tenon saw"),
    ]
    body = smtp_server.messages[0].get_content()
    assert "Test Hub" in body and "renew" in body  # the instance's name
    assert smtp_server.messages[0]["From"] == "Splott Tool Library <hub@example.org>"
    again = runner.invoke("toollibrary", "reminders")
    assert "Sent 0 due-soon and 0 overdue" in again.output and len(smtp_server.messages) == 2

    # Overdue on Thursday; Ann's address is refused today: she is reminded the next day.
    clock.set(dt.date(2025, 3, 20))
    smtp_server.refuse.add("ann.jones@example.org")
    late = runner.invoke("toollibrary", "reminders")
    assert late.exit_code == 1 and "refused the address ann.jones@example.org" in late.output
    assert "Sent 0 due-soon and 1 overdue" in late.output
    smtp_server.refuse.clear()
    clock.set(dt.date(2025, 3, 21))
    assert "Sent 0 due-soon and 1 overdue" in runner.invoke("toollibrary", "reminders").output
    overdue = [m["To"] for m in smtp_server.messages if m["Subject"].startswith("Overdue")]
    assert sorted(overdue) == ["ann.jones@example.org", "bob.evans@example.org"]

    # Ann brings the drill back: Dave is told his hold is ready then, and only then.
    clock.set(dt.date(2025, 3, 22))
    library.give_back(loans[0])
    (notice,) = [m for m in smtp_server.messages if m["Subject"].startswith("Ready to collect")]
    assert notice["To"] == "dave.owen@example.org" and "Saturday 29 March" in notice.get_content()
    assert "0 hold-ready notice(s)" in runner.invoke("toollibrary", "reminders").output

    # Cat has no email: she is on the phone list, due soon and now overdue.
    owed = library.ok("GET", "/reminders/to-phone", role="volunteer")
    assert [(e["member_code"], e["kind"], e["phone"]) for e in owed] == [
        (cat["code"], "overdue", "07700 900123")
    ]
    browser = app.test_client()
    login(browser, library.accounts["volunteer"])
    assert "Cat Price" in browser.get("/toollibrary/reminders").get_data(as_text=True)
    phoned = {"loan_id": loans[2]["id"], "kind": "overdue"}
    assert library.call("POST", "/reminders", phoned, role="volunteer").status_code == 201
    assert library.call("POST", "/reminders", phoned, role="volunteer").status_code == 409
    assert library.ok("GET", "/reminders/to-phone", role="volunteer") == []
    made = library.ok("GET", "/reminders", role="viewer")
    assert sorted((r["kind"], r["channel"]) for r in made["items"]) == [
        ("due_soon", "email"),
        ("due_soon", "email"),
        ("overdue", "email"),
        ("overdue", "email"),
        ("overdue", "phone"),
    ]


def _ready_notices(smtp_server) -> list[str]:
    return [m["To"] for m in smtp_server.messages if m["Subject"].startswith("Ready to collect")]


def test_a_hold_ready_notice_goes_at_check_in_once(make_app, make_library, smtp_server, clock):
    app = make_app(**smtp_server.settings())
    library = make_library(app)
    runner = HubRunner(app)
    drill, saw, ladder = (
        library.item(),
        library.item("Tenon saw", "hand_saws"),
        library.item("Ladder", "ladders"),
    )
    ann = library.member("Ann Jones")
    cat = library.member("Cat Price", email=None, phone="07700 900123")
    dave, eve = library.member("Dave Owen"), library.member("Eve Hill")
    loans = [library.lend(item, ann) for item in (drill, saw)]
    ladder_loan = library.lend(ladder, library.member("Fay Lee"))
    for item, who in ((drill, dave), (saw, cat), (ladder, eve)):
        library.ok("POST", "/holds", {"item_id": item["id"], "member_id": who["id"]})

    def hold_of(member: dict) -> dict:
        (hold,) = library.ok("GET", f"/holds?member_id={member['id']}", role="viewer")["items"]
        return hold

    # At the counter page: Dave is emailed as the drill is checked in.
    clock.set(dt.date(2025, 3, 15))
    browser = app.test_client()
    login(browser, library.accounts["volunteer"])
    html = browser.get(f"/toollibrary/counter?item={drill['number']}").get_data(as_text=True)
    back = browser.post(
        f"/toollibrary/counter/checkin/{loans[0]['id']}",
        data={"csrf_token": csrf_token(html), "condition": "good"},
        follow_redirects=True,
    )
    assert "They have been emailed." in back.get_data(as_text=True)
    assert _ready_notices(smtp_server) == ["dave.owen@example.org"]
    assert hold_of(dave)["notified_on"] == "2025-03-15"

    # Cat has no email: no message, and she is on the phone list until someone calls.
    library.give_back(loans[1])
    assert len(smtp_server.messages) == 1 and hold_of(cat)["notified_on"] is None
    page = browser.get("/toollibrary/reminders").get_data(as_text=True)
    assert "Cat Price" in page and f"{saw['number']} Tenon saw is ready to collect" in page

    # The server refuses Eve's address at check-in: the ladder is still checked in, and
    # the morning's run sends her notice instead.
    smtp_server.refuse.add("eve.hill@example.org")
    returned = library.give_back(ladder_loan)
    assert returned["returned_on"] == "2025-03-15"
    assert library.ok("GET", f"/items/{ladder['id']}")["availability"] == "on_hold"
    assert hold_of(eve)["notified_on"] is None and len(smtp_server.messages) == 1
    smtp_server.refuse.clear()

    clock.set(dt.date(2025, 3, 16))
    morning = runner.invoke("toollibrary", "reminders")
    assert morning.exit_code == 0, morning.output
    assert "1 hold-ready notice(s)" in morning.output and "1 member(s) to phone" in morning.output
    assert _ready_notices(smtp_server) == ["dave.owen@example.org", "eve.hill@example.org"]
    assert hold_of(eve)["notified_on"] == "2025-03-16"
    assert "0 hold-ready notice(s)" in runner.invoke("toollibrary", "reminders").output
    assert len(_ready_notices(smtp_server)) == 2


class SilentServer:
    """A mail server on loopback that takes the connection and never answers, as a hung
    one does: ``connections`` counts those it holds open."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def connections(self) -> int:
        return len(self._held)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._held.append(connection)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self._held:
            connection.close()
        self._listener.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.stop()


def test_a_hung_mail_server_does_not_keep_the_counter_waiting(
    make_app, make_library, smtp_server, silent_server, clock, monkeypatch
):
    app = make_app(**{**smtp_server.settings(), "MAIL_PORT": silent_server.port})
    library = make_library(app)
    runner = HubRunner(app)
    drill = library.item()
    loan = library.lend(drill, library.member("Ann Jones"))
    dave = library.member("Dave Owen")
    library.ok("POST", "/holds", {"item_id": drill["id"], "member_id": dave["id"]})

    clock.set(dt.date(2025, 3, 15))
    browser = app.test_client()
    login(browser, library.accounts["volunteer"])
    html = browser.get(f"/toollibrary/counter?item={drill['number']}").get_data(as_text=True)
    started = time.monotonic()
    back = browser.post(
        f"/toollibrary/counter/checkin/{loan['id']}",
        data={"csrf_token": csrf_token(html), "condition": "good"},
        follow_redirects=True,
    )
    waited = time.monotonic() - started
    page = back.get_data(as_text=True)
    # The core's mail timeout is 30 s; the counter gives up after a few.
    assert silent_server.connections == 1 and waited < 10, waited
    assert "Checked in: " in page and "could not be emailed now" in page
    assert library.ok("GET", f"/items/{drill['id']}")["availability"] == "on_hold"
    (hold,) = library.ok("GET", f"/holds?member_id={dave['id']}", role="viewer")["items"]
    assert hold["status"] == "ready" and hold["notified_on"] is None and not smtp_server.messages

    # By the morning the mail server answers again: the daily run sends the notice.
    monkeypatch.setenv("HUB_MAIL_PORT", str(smtp_server.port))
    clock.set(dt.date(2025, 3, 16))
    morning = runner.invoke("toollibrary", "reminders")
    assert morning.exit_code == 0 and "1 hold-ready notice(s)" in morning.output, morning.output
    assert _ready_notices(smtp_server) == ["dave.owen@example.org"]


def test_without_a_mail_server_everyone_is_on_the_phone_list(library, runner, clock):
    drill, saw = library.item(), library.item("Tenon saw", "hand_saws")
    ann = library.member("Ann Jones", phone="07700 900123")
    dave = library.member("Dave Owen", phone="07700 900456")
    drill_loan, saw_loan = library.lend(drill, ann), library.lend(saw, ann)
    hold = library.ok("POST", "/holds", {"item_id": saw["id"], "member_id": dave["id"]})

    # Thursday: the drill is overdue, and the saw comes back for Dave. Both have email,
    # but this hub cannot send it: the counter says to phone Dave, not to wait a night.
    clock.set(dt.date(2025, 3, 20))
    browser = library.app.test_client()
    login(browser, library.accounts["volunteer"])
    html = browser.get(f"/toollibrary/counter?item={saw['number']}").get_data(as_text=True)
    back = browser.post(
        f"/toollibrary/counter/checkin/{saw_loan['id']}",
        data={"csrf_token": csrf_token(html), "condition": "good"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "phone them" in back and "morning" not in back

    page = browser.get("/toollibrary/reminders").get_data(as_text=True)
    assert "no mail server" in page and "Ann Jones" in page and "Dave Owen" in page
    assert f"{saw['number']} Tenon saw is ready to collect" in page

    # The API lists the same calls as the page: the loan, then the hold.
    owed = library.ok("GET", "/reminders/to-phone", role="volunteer")
    (ready,) = library.ok("GET", f"/holds?member_id={dave['id']}", role="viewer")["items"]
    assert [
        (e["kind"], e["member_code"], e["phone"], e["loan_id"], e["hold_id"], e["item"])
        for e in owed
    ] == [
        ("overdue", ann["code"], "07700 900123", drill_loan["id"], None, "Cordless drill"),
        ("hold_ready", dave["code"], "07700 900456", None, hold["id"], "Tenon saw"),
    ]
    assert owed[0]["due_on"] == drill_loan["due_on"] and owed[0]["ready_until"] is None
    assert owed[1]["ready_until"] == ready["expires_on"] and owed[1]["due_on"] is None

    # The daily run sends nothing, says why, and does not fail for it.
    result = runner.invoke("toollibrary", "reminders")
    assert result.exit_code == 0, result.output
    assert "No mail server is configured" in result.output
    assert "2 member(s) to phone" in result.output


def test_the_phone_list_in_the_openapi_document_has_holds(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/toollibrary/reminders/to-phone"]["get"]
    assert "holds ready to collect" in operation["description"]
    fields = document["components"]["schemas"]["hub_toollibrary.ToPhoneOut"]["properties"]
    assert {"kind", "loan_id", "hold_id", "due_on", "ready_until"} <= set(fields)
    assert "hold_ready" in fields["kind"]["description"]
