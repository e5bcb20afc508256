"""Signing in and out: the form, rate limiting, redirects, sessions and cookies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from hub.db import get_session
from hub.models import LoginAttempt, User
from hub.testing import csrf_token, login


def sign_in(client, email, password, **extra):
    token = csrf_token(client.get("/login").text)
    data = {"email": email, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=data)


def test_sign_in_and_out(client, accounts):
    assert client.get("/").headers["Location"].startswith("/login")
    response = sign_in(client, accounts["volunteer"].email.upper(), accounts["volunteer"].password)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "<h1>Dashboard</h1>" in page.text
    assert "volunteer@example.org (volunteer)" in page.text

    response = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_unknown_email_and_disabled_account_get_the_same_answer(
    app, client, accounts
):
    wrong = sign_in(client, accounts["admin"].email, "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    with app.app_context():
        session = get_session()
        user = session.get(User, accounts["viewer"].id)
        user.active = False
        session.commit()
    disabled = sign_in(client, accounts["viewer"].email, accounts["viewer"].password)
    for response in (wrong, unknown, disabled):
        assert response.status_code == 401
        assert "do not match an active account" in response.text
    assert client.get("/").status_code == 302


def test_empty_form_is_a_400_not_a_500(client):
    response = sign_in(client, "", "")
    assert response.status_code == 400
    assert "Enter your email and your password" in response.text


def test_logout_needs_post(as_role):
    admin = as_role("admin")
    assert admin.get("/logout").status_code == 405
    assert admin.get("/").status_code == 200  # still signed in


NEXT_TARGETS = [
    ("/people/?q=ann", "/people/?q=ann"),
    ("/locations/", "/locations/"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example/", "/"),
    ("/\t/evil.example/", "/"),
    ("http:/evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("", "/"),
]


def test_next_only_leads_to_this_site(app, accounts):
    account = accounts["coordinator"]
    for target, expected in NEXT_TARGETS:
        client = app.test_client()
        response = sign_in(client, account.email, account.password, next=target)
        assert response.headers["Location"] == expected, target


def test_a_page_asked_for_before_sign_in_comes_back_after(client, accounts):
    first = client.get("/locations/?x=1")
    assert first.status_code == 302
    login_url = first.headers["Location"]
    assert login_url == "/login?next=/locations/?x%3D1"
    page = client.get(login_url)
    assert 'name="next" value="/locations/?x=1"' in page.text
    account = accounts["viewer"]
    response = sign_in(client, account.email, account.password, next="/locations/?x=1")
    assert response.headers["Location"] == "/locations/?x=1"


def test_rate_limit_blocks_then_resets_after_the_window(app, client, accounts):
    account = accounts["coordinator"]
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert sign_in(client, account.email, "wrong password").status_code == 401
    blocked = sign_in(client, account.email, account.password)
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert client.get("/").status_code == 302  # the right password did not sign in

    # Let the window pass: the failures age beyond LOGIN_WINDOW_MINUTES.
    with app.app_context():
        session = get_session()
        aged = dt.datetime.now(dt.UTC) - dt.timedelta(
            minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1
        )
        session.execute(update(LoginAttempt).values(at=aged))
        session.commit()
    assert sign_in(client, account.email, account.password).status_code == 302
    assert client.get("/").status_code == 200


def test_rate_limit_is_per_account_and_other_accounts_still_sign_in(app, accounts):
    limit = app.config["LOGIN_MAX_FAILURES"]
    attacker = app.test_client()
    for _ in range(limit):
        sign_in(attacker, accounts["admin"].email, "guess")
    assert sign_in(attacker, accounts["admin"].email, "guess").status_code == 429
    colleague = app.test_client()
    login(colleague, accounts["volunteer"])


def test_rate_limit_per_address_behind_the_local_proxy(app, accounts):
    """Behind nginx on the same machine, each client's own address counts."""
    limit = app.config["LOGIN_MAX_FAILURES"] * 4
    attacker = app.test_client()
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    for number in range(limit):
        token = csrf_token(attacker.get("/login").text)
        attacker.post(
            "/login",
            data={"email": f"user{number}@example.org", "password": "x", "csrf_token": token},
            headers=proxied,
        )
    token = csrf_token(attacker.get("/login").text)
    account = accounts["admin"]
    data = {"email": account.email, "password": account.password, "csrf_token": token}
    assert attacker.post("/login", data=data, headers=proxied).status_code == 429
    # Someone else behind the same proxy is not locked out with them.
    neighbour = app.test_client()
    token = csrf_token(neighbour.get("/login").text)
    data["csrf_token"] = token
    response = neighbour.post("/login", data=data, headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 302
    with app.app_context():
        addresses = get_session().scalars(select(LoginAttempt.remote_addr).distinct()).all()
    assert set(addresses) == {"203.0.113.9", "198.51.100.7"}


def test_old_attempts_are_pruned(app, client, accounts):
    with app.app_context():
        session = get_session()
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
        session.add(LoginAttempt(email="x@example.org", remote_addr="10.0.0.1", succeeded=False))
        session.flush()
        session.execute(update(LoginAttempt).values(at=old))
        session.commit()
    sign_in(client, accounts["viewer"].email, accounts["viewer"].password)
    with app.app_context():
        emails = get_session().scalars(select(LoginAttempt.email)).all()
        total = get_session().scalar(select(func.count()).select_from(LoginAttempt))
    assert emails == [accounts["viewer"].email] and total == 1


def test_signing_in_starts_a_new_session(client, accounts):
    """Session fixation: nothing from the session before sign-in survives it."""
    before_token = csrf_token(client.get("/login").text)
    before_cookie = client.get_cookie("hub_session").value
    account = accounts["admin"]
    client.post(
        "/login",
        data={"email": account.email, "password": account.password, "csrf_token": before_token},
    )
    after_cookie = client.get_cookie("hub_session").value
    after_token = csrf_token(client.get("/").text)
    assert after_cookie != before_cookie
    assert after_token != before_token

    # A cookie planted before sign-in grants nothing.
    planted = client.application.test_client()
    planted.set_cookie("hub_session", before_cookie)
    assert planted.get("/").status_code == 302


def test_session_cookie_flags(client, accounts):
    login(client, accounts["viewer"])
    cookie = client.get_cookie("hub_session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure  # the test instance's BASE_URL is http


def test_session_cookie_is_secure_when_the_base_url_is_https(make_app):
    app = make_app(name="secure", BASE_URL="https://hub.example.org")
    client = app.test_client()
    response = client.get("/login", base_url="https://hub.example.org")
    cookie_header = response.headers["Set-Cookie"]
    assert "Secure" in cookie_header and "HttpOnly" in cookie_header
    assert "SameSite=Lax" in cookie_header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_signed_in_user_visiting_login_goes_on(as_role):
    viewer = as_role("viewer")
    response = viewer.get("/login?next=/locations/")
    assert response.status_code == 302 and response.headers["Location"] == "/locations/"


def test_passwords_are_argon2id_and_weak_hashes_are_upgraded_at_sign_in(
    app, client, accounts, monkeypatch, production_hasher
):
    from argon2 import Type

    from hub import auth

    assert production_hasher.type is Type.ID
    with app.app_context():
        session = get_session()
        weak = session.get(User, accounts["admin"].id)
        weak.password_hash = auth.hash_password(accounts["admin"].password)
        session.commit()
    assert weak.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")  # the tests' hasher

    monkeypatch.setattr(auth, "_hasher", production_hasher)
    login(client, accounts["admin"])
    with app.app_context():
        upgraded = get_session().get(User, accounts["admin"].id).password_hash
    params = f"m={production_hasher.memory_cost},t={production_hasher.time_cost}"
    assert upgraded.startswith(f"$argon2id$v=19${params},")
    assert accounts["admin"].password not in upgraded
