"""The account page: own password, own API tokens, own sessions."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.db import get_session
from hub.models import ApiToken
from hub.testing import login

NEW_PASSWORD = "a brand new passphrase"


def change_password(browser, current, new, again=None):
    return browser.post(
        "/account/password",
        {"current_password": current, "new_password": new, "confirm_password": again or new},
    )


def test_account_page_lists_role_and_permissions(as_role):
    html = as_role("volunteer").get("/account/").text
    assert "<h1>Your account</h1>" in html
    assert "<dd>volunteer@example.org</dd>" in html
    assert "<code>people.view</code>" in html and "<code>people.edit</code>" not in html


def test_changing_password_ends_other_sessions_and_tokens_but_keeps_this_one(
    app, client, as_role, accounts
):
    here = as_role("coordinator")
    elsewhere = as_role("coordinator")
    token = accounts["coordinator"].headers
    assert client.get("/api/v1/me", headers=token).status_code == 200

    response = change_password(here, accounts["coordinator"].password, NEW_PASSWORD)
    assert response.status_code == 302
    page = here.get("/account/")
    assert page.status_code == 200
    assert "You are signed out everywhere else" in page.text
    assert elsewhere.get("/account/").status_code == 302  # sent back to sign in
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=token).status_code == 401  # revoked too
    with app.app_context():
        assert all(
            row.revoked_at
            for row in get_session().scalars(select(ApiToken)).all()
            if row.user_id == accounts["coordinator"].id
        )
    fresh = app.test_client()
    accounts["coordinator"].password = NEW_PASSWORD
    login(fresh, accounts["coordinator"])


def test_password_form_explains_each_mistake(app, as_role, accounts):
    browser = as_role("viewer")
    cases = [
        (("", "", ""), ["Enter your current password.", "Enter a new password."]),
        (("wrong password", NEW_PASSWORD, NEW_PASSWORD), ["That is not your current password."]),
        ((accounts["viewer"].password, "short", "short"), ["at least 10 characters"]),
        ((accounts["viewer"].password, NEW_PASSWORD, "different words"), ["are different"]),
    ]
    for (current, new, again), messages in cases:
        response = change_password(browser, current, new, again)
        assert response.status_code == 422
        assert "There is a problem" in response.text
        for message in messages:
            assert message in response.text
        assert 'aria-invalid="true"' in response.text
    login(app.test_client(), accounts["viewer"])  # the password did not change


def test_guessing_the_current_password_is_rate_limited(app, as_role, accounts):
    browser = as_role("volunteer")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert change_password(browser, "guess", NEW_PASSWORD).status_code == 422
    response = change_password(browser, accounts["volunteer"].password, NEW_PASSWORD)
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.text


def test_sign_out_other_devices(as_role):
    here = as_role("admin")
    elsewhere = as_role("admin")
    assert here.post("/account/sessions").status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_a_token_is_shown_once_works_and_can_be_revoked(app, client, as_role):
    browser = as_role("viewer")
    created = browser.post("/account/tokens", {"name": "Till laptop"})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="new-token" class="token" readonly value="(hub_[^"]+)"', created.text)[1]
    assert "Till laptop" in created.text

    later = browser.get("/account/").text
    assert token not in later and token[:12] in later  # only its prefix is shown again
    with app.app_context():
        stored = get_session().scalars(select(ApiToken.token_hash)).all()
    assert token not in stored

    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json["email"] == "viewer@example.org"

    with app.app_context():
        row = get_session().scalar(select(ApiToken).where(ApiToken.name == "Till laptop"))
    assert browser.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    assert "revoked" in browser.get("/account/").text
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_tokens_need_a_name_and_others_tokens_cannot_be_revoked(app, as_role, accounts):
    browser = as_role("volunteer")
    response = browser.post("/account/tokens", {"name": "   "})
    assert response.status_code == 422
    assert "Name the token" in response.text
    response = browser.post("/account/tokens", {"name": "x" * 121})
    assert response.status_code == 422

    with app.app_context():
        admins = get_session().scalar(
            select(ApiToken).where(ApiToken.user_id == accounts["admin"].id)
        )
    assert browser.post(f"/account/tokens/{admins.id}/revoke").status_code == 404
    assert browser.post("/account/tokens/999999/revoke").status_code == 404
    with app.app_context():
        assert get_session().get(ApiToken, admins.id).revoked_at is None
