"""Sessions kept on the server, API tokens that expire, and sign-in limits that an
attacker cannot use to lock the owner out: through the pages, the API and the CLI."""

from __future__ import annotations

import datetime as dt
import threading

import httpx
import pytest
from sqlalchemy import func, select, update

from hub.db import get_session
from hub.models import ApiToken, LoginAttempt, User
from hub.testing import HubRunner, LiveServer, csrf_token, login

WRONG = "not the password at all"


def sign_in(client, email, password):
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def copy_cookie(source, target, name="hub_session", path="/"):
    target.set_cookie(name, source.get_cookie(name, path=path).value, path=path)


def test_a_cookie_copied_before_sign_out_is_dead_after_it(app, as_role):
    browser = as_role("coordinator")
    thief = app.test_client()
    copy_cookie(browser.client, thief)
    assert thief.get("/people/").status_code == 200
    assert thief.get("/api/v1/me").status_code == 200

    assert browser.post("/logout").status_code == 302
    replay = thief.get("/people/")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")
    assert thief.get("/api/v1/me").status_code == 401


def test_an_admin_reset_or_disable_ends_sessions_and_reset_revokes_tokens(
    app, client, as_role, accounts
):
    admin = as_role("admin")
    volunteer = as_role("volunteer")
    token = accounts["volunteer"].headers
    response = admin.post(
        f"/admin/users/{accounts['volunteer'].id}",
        {
            "name": "Volunteer",
            "role": "volunteer",
            "active": "y",
            "new_password": "fresh phrase for kit",
        },
    )
    assert response.status_code == 302
    assert volunteer.get("/").status_code == 302
    assert client.get("/api/v1/me", headers=token).status_code == 401

    coordinator = as_role("coordinator")
    change = {"active": False}
    headers = accounts["admin"].headers
    path = f"/api/v1/users/{accounts['coordinator'].id}"
    assert client.patch(path, json=change, headers=headers).status_code == 200
    assert coordinator.get("/").status_code == 302


def test_sign_out_everywhere_leaves_tokens_working(as_role, client, accounts):
    here, elsewhere = as_role("viewer"), as_role("viewer")
    response = here.post("/account/sessions")
    assert "API tokens are not affected" in here.get(response.headers["Location"]).text
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert here.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers=accounts["viewer"].headers).status_code == 200


def test_an_expired_session_signs_nobody_in(app, as_role):
    from hub.models import UserSession

    browser = as_role("viewer")
    with app.app_context():
        session = get_session()
        session.execute(update(UserSession).values(expires_at=dt.datetime.now(dt.UTC)))
        session.commit()
    assert browser.get("/").status_code == 302


def test_tokens_expire_and_say_so(app, client, accounts):
    headers = accounts["viewer"].headers
    with app.app_context():
        session = get_session()
        session.execute(
            update(ApiToken).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
        session.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "token expired"


def test_a_token_cannot_mint_tokens_but_a_browser_session_can(as_role, client, accounts):
    refused = client.post("/api/v1/tokens", json={"name": "x"}, headers=accounts["admin"].headers)
    assert refused.status_code == 403
    assert refused.json["error"] == "tokens cannot create tokens"

    browser = as_role("admin")
    headers = {"X-CSRFToken": browser.token()}
    made = browser.client.post(
        "/api/v1/tokens", json={"name": "script", "days": 7}, headers=headers
    )
    assert made.status_code == 201
    lifetime = dt.datetime.fromisoformat(made.json["expires_at"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=6) < lifetime <= dt.timedelta(days=7)
    for days in (0, 367, True, "7"):
        bad = browser.client.post("/api/v1/tokens", json={"days": days}, headers=headers)
        assert bad.status_code == 422, days


def test_token_create_days_on_the_command_line(app, accounts):
    runner = HubRunner(app)
    result = runner.invoke("token", "create", accounts["viewer"].email, "--days", "3")
    assert result.exit_code == 0, result.output
    with app.app_context():
        expiry = get_session().scalar(select(ApiToken.expires_at).order_by(ApiToken.id.desc()))
    assert expiry - dt.datetime.now(dt.UTC) < dt.timedelta(days=3, minutes=1)
    assert (
        runner.invoke("token", "create", accounts["viewer"].email, "--days", "999").exit_code == 2
    )


def test_guesses_elsewhere_do_not_lock_the_owner_out_of_a_known_device(app, accounts):
    account = accounts["coordinator"]
    owner = app.test_client()
    login(owner, account)
    assert owner.get_cookie("hub_device", path="/login") is not None
    owner.post("/logout", data={"csrf_token": csrf_token(owner.get("/").text)})

    attacker = app.test_client()
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert sign_in(attacker, account.email, WRONG).status_code == 401
    assert sign_in(attacker, account.email, account.password).status_code == 429
    newcomer = app.test_client()
    assert sign_in(newcomer, account.email, account.password).status_code == 429

    # The owner's own browser still signs in; its own guesses have their own limit.
    assert sign_in(owner, account.email, account.password).status_code == 302
    owner.post("/logout", data={"csrf_token": csrf_token(owner.get("/").text)})
    for _ in range(limit):
        assert sign_in(owner, account.email, WRONG).status_code == 401
    assert sign_in(owner, account.email, account.password).status_code == 429

    # A device cookie is the account's own: it does not open another account.
    other = accounts["viewer"]
    for _ in range(limit):
        sign_in(attacker, other.email, WRONG)
    copy_cookie(owner, attacker, "hub_device", "/login")
    assert sign_in(attacker, other.email, other.password).status_code == 429


def test_an_admin_unlocks_an_account_on_its_page(app, as_role, accounts):
    account = accounts["volunteer"]
    stranger = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(stranger, account.email, WRONG)
    admin = as_role("admin")
    assert "sign-in locked" in admin.get("/admin/users/").text
    page = admin.get(f"/admin/users/{account.id}")
    assert "Unlock sign-in" in page.text
    response = admin.post(f"/admin/users/{account.id}/unlock")
    assert response.status_code == 302
    assert "failed attempts forgotten" in admin.get(response.headers["Location"]).text
    assert sign_in(stranger, account.email, account.password).status_code == 302
    assert as_role("viewer").post(f"/admin/users/{account.id}/unlock").status_code == 403


def test_hub_user_unlock(app, accounts):
    account = accounts["viewer"]
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(client, account.email, WRONG)
    assert sign_in(client, account.email, account.password).status_code == 429
    result = HubRunner(app).invoke("user", "unlock", account.email.upper())
    assert result.exit_code == 0, result.output
    assert f"Unlocked {account.email}" in result.output
    assert sign_in(client, account.email, account.password).status_code == 302


def test_common_and_guessable_passwords_are_refused_everywhere(app, as_role, accounts, client):
    weak = ["aaaaaaaaaa", "password123", "qwertyuiop", "1234567890", "Riverside2025"]
    admin = as_role("admin")
    for password in weak:
        response = admin.submit(
            "/admin/users/new", {"email": "new@example.org", "role": "viewer", "password": password}
        )
        assert response.status_code == 422 and "too easy to guess" in response.text, password
        api = client.post(
            "/api/v1/users",
            json={"email": "new@example.org", "role": "viewer", "password": password},
            headers=accounts["admin"].headers,
        )
        assert api.status_code == 422, password
    cli = HubRunner(app).invoke(
        "user",
        "create",
        "kit@example.org",
        "--role",
        "viewer",
        "--password-stdin",
        input="kit@example.org\n",
    )
    assert cli.exit_code == 1 and "too easy to guess" in cli.output
    long = client.post(
        "/api/v1/users",
        json={"email": "new@example.org", "role": "viewer", "password": "x y z " * 400},
        headers=accounts["admin"].headers,
    )
    assert long.status_code == 422


@pytest.mark.multiprocess
def test_64_parallel_wrong_passwords_get_at_most_the_limit_checked(app, accounts):
    """Sign-in attempts are counted before the password is checked: of 64 guesses
    arriving together, no more than the limit are ever checked."""
    server = LiveServer(app)
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses: list[int] = []
    start = threading.Barrier(64)

    def guess() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            token = csrf_token(http.get("/login").text)
            start.wait()
            data = {"email": accounts["admin"].email, "password": WRONG, "csrf_token": token}
            statuses.append(http.post("/login", data=data).status_code)

    threads = [threading.Thread(target=guess) for _ in range(64)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        server.stop()
    assert len(statuses) == 64
    assert statuses.count(401) <= limit
    assert statuses.count(401) + statuses.count(429) == 64
    with app.app_context():
        counted = get_session().scalar(
            select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(False))
        )
        assert counted == statuses.count(401)
        assert get_session().get(User, accounts["admin"].id).active
