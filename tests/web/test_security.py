"""CSRF on every form, security headers on every response, and roles on every page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hub.db import get_session
from hub.models import ROLES, ApiToken, Person, User
from hub.testing import csrf_token

PLUGIN_URLS = ("/", "/api/v1/")
EVERYONE = set(ROLES)
STAFF = {"admin", "coordinator", "volunteer"}
EDITORS = {"admin", "coordinator"}
ADMINS = {"admin"}


def pages(records):
    """Every core page and the roles that may open it."""
    p, loc, u = records.person_id, records.location_id, records.user_id
    return {
        "/": EVERYONE,
        "/account/": EVERYONE,
        "/people/": STAFF,
        f"/people/{p}": STAFF,
        "/people/new": EDITORS,
        f"/people/{p}/edit": EDITORS,
        f"/people/{p}/erase": ADMINS,
        "/locations/": EVERYONE,
        "/locations/new": EDITORS,
        f"/locations/{loc}/edit": EDITORS,
        "/admin/": ADMINS,
        "/admin/users/": ADMINS,
        "/admin/users/new": ADMINS,
        f"/admin/users/{u}": ADMINS,
        "/admin/plugins/": ADMINS,
        "/admin/audit/": ADMINS,
        "/admin/exports/": ADMINS,
    }


def writes(records):
    """Every form that changes records, a valid submission, and who may send it."""
    p, loc, u = records.person_id, records.location_id, records.user_id
    person = {"name": "Nia Rees", "retention_until": "2030-01-01"}
    location = {"name": "Hall", "active": "y"}
    return [
        ("/people/new", person, EDITORS),
        (f"/people/{p}/edit", person, EDITORS),
        (f"/people/{p}/export", {}, ADMINS),
        (f"/people/{p}/erase", {"confirm": "yes"}, ADMINS),
        ("/locations/new", location, EDITORS),
        (f"/locations/{loc}/edit", location, EDITORS),
        (
            "/admin/users/new",
            {"email": "new@example.org", "role": "admin", "password": "a long password"},
            ADMINS,
        ),
        (f"/admin/users/{u}", {"role": "admin", "active": "y"}, ADMINS),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_only_its_pages(as_role, records, role):
    browser = as_role(role)
    for url, allowed in pages(records).items():
        status = browser.get(url, follow_redirects=True).status_code
        assert status == (200 if role in allowed else 403), (role, url, status)


@pytest.mark.parametrize("role", ["viewer", "volunteer", "coordinator"])
def test_forms_beyond_a_role_are_refused_and_change_nothing(as_role, records, audit_entries, role):
    browser = as_role(role)
    before = audit_entries()
    refused = [(url, data) for url, data, allowed in writes(records) if role not in allowed]
    assert refused
    for url, data in refused:
        response = browser.post(url, data)
        assert response.status_code == 403, (role, url, response.status_code)
        assert "Your role does not allow this" in response.text
    assert audit_entries() == before


def test_a_viewer_cannot_submit_any_write_form(as_role, records):
    viewer = as_role("viewer")
    for url, data, _allowed in writes(records):
        assert viewer.post(url, data).status_code == 403, url


def test_admin_forms_do_their_work(as_role, records, audit_entries):
    """The same submissions pass for an admin, so the refusals above are about roles."""
    admin = as_role("admin")
    before = audit_entries()
    for url, data, _allowed in writes(records):
        send = admin.submit if url.endswith("/new") else admin.post
        response = send(url, data)
        assert response.status_code in (200, 302), (url, response.status_code, response.text)
    assert audit_entries() > before


def test_signed_out_visitors_are_sent_to_sign_in_and_change_nothing(client, records, audit_entries):
    for url in pages(records):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    before = audit_entries()
    token = csrf_token(client.get("/login").text)
    for url, data, _allowed in writes(records):
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 302, url
    assert audit_entries() == before


def test_every_core_page_needs_sign_in(app, client):
    """Walks every route of the core, so a page added later without a guard fails
    here. Plugins choose their own public pages (a repair café's events feed) and
    test their guards themselves."""
    # The web-app manifest is read by the browser before anyone signs in (the sign-in
    # page links it); it says only the instance's public name.
    public = ("/login", "/static/", "/public", "/embed/", "/.well-known/", "/federation/")
    public += ("/manifest.webmanifest",)
    public_api = ("/api/v1/openapi.json", "/api/v1/docs")
    plugins = tuple(
        f"{prefix}{name}"
        for name in app.extensions["hub.plugins"].records
        for prefix in PLUGIN_URLS
    )
    checked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(public + public_api + plugins):
            continue
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "1", rule.rule)
        response = client.get(url)
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login"), url
        checked.append(rule.rule)
    assert {"/", "/people/<int:person_id>", "/admin/audit/", "/api/v1/me"} <= set(checked)


def test_forms_without_the_right_csrf_token_get_400_and_change_nothing(
    app, as_role, records, audit_entries
):
    admin = as_role("admin")
    other = as_role("coordinator")
    for token in (None, "not-a-token", other.token()):
        refused_without_change(app, admin, records, audit_entries, token)


def refused_without_change(app, admin, records, audit_entries, token):
    before = audit_entries()
    sends = [(url, data) for url, data, _allowed in writes(records)]
    sends += [
        ("/account/password", {"current_password": "x", "new_password": "y" * 12}),
        ("/account/tokens", {"name": "script"}),
        ("/account/sessions", {}),
        ("/logout", {}),
    ]
    for url, data in sends:
        form = data if token is None else {**data, "csrf_token": token}
        response = admin.client.post(url, data=form)
        assert response.status_code == 400, (url, response.status_code)
        assert "nothing was changed" in response.text
    assert audit_entries() == before
    assert admin.get("/").status_code == 200  # logout without a token did not sign out
    with app.app_context():
        session = get_session()
        assert session.get(Person, records.person_id).name == "Ceri Jenkins"
        assert session.scalars(select(ApiToken.name)).all() == ["tests"] * len(ROLES)
        assert session.scalar(select(User).where(User.email == "new@example.org")) is None


def test_sign_in_without_a_csrf_token_is_refused(client, accounts):
    account = accounts["admin"]
    response = client.post("/login", data={"email": account.email, "password": account.password})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_security_headers_on_every_kind_of_response(as_role, client, records, accounts):
    admin = as_role("admin")
    responses = {
        "sign-in page": client.get("/login"),
        "redirect": client.get("/people/"),
        "dashboard": admin.get("/"),
        "not found": admin.get("/no/such/page"),
        "forbidden": as_role("viewer").get("/admin/"),
        "csrf failure": admin.client.post("/people/new", data={"name": "x"}),
        "stylesheet": client.get("/static/hub.css", buffered=True),
        "api": client.get("/api/v1/me", headers=accounts["viewer"].headers),
        "api error": client.get("/api/v1/me"),
        "export": admin.post(f"/people/{records.person_id}/export"),
    }
    for what, response in responses.items():
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, what
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, what
        assert headers["X-Content-Type-Options"] == "nosniff", what
        assert headers["X-Frame-Options"] == "DENY", what
        assert headers["Referrer-Policy"] == "same-origin", what
        assert "camera=()" in headers["Permissions-Policy"], what
    for what in ("dashboard", "not found", "export"):
        assert responses[what].headers["Cache-Control"] == "no-store", what
    stylesheet = admin.get("/static/hub.css", buffered=True)
    assert "no-store" not in stylesheet.headers.get("Cache-Control", "")


def test_pages_have_no_inline_scripts_styles_or_outside_assets(as_role, records):
    """The CSP would block them, and an instance may run with no internet."""
    admin = as_role("admin")
    for url in pages(records):
        html = admin.get(url).text
        assert "<script>" not in html and " style=" not in html and "<style" not in html, url
        assert not re.search(r'(src|href)="(https?:)?//', html), url


def test_nul_bytes_get_a_400_not_a_database_error(client, as_role, records, audit_entries):
    """PostgreSQL refuses NUL in text; a typed or forged one must not become a 500."""
    coordinator = as_role("coordinator")
    before = audit_entries()
    responses = [
        coordinator.get("/people/?q=ab%00c"),
        coordinator.get("/admin/audit/?entity=%00"),
        coordinator.post("/people/new", {"name": "Nia\x00", "retention_until": "2030-01-01"}),
        coordinator.post(f"/locations/{records.location_id}/edit", {"name": "Hall\x00"}),
        client.post(
            "/login",
            data={
                "email": "admin@example.org\x00",
                "password": "x",
                "csrf_token": csrf_token(client.get("/login").text),
            },
        ),
    ]
    for response in responses:
        assert response.status_code == 400
        assert "nothing was changed" in response.text
    assert audit_entries() == before
