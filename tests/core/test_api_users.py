"""Admins manage users over the API; the last active admin is protected."""

from __future__ import annotations

from hub.testing import Account, login


def create_user(client, admin, **fields):
    body = {"email": "ffion@example.org", "role": "volunteer", "password": "a long enough password"}
    body.update(fields)
    return client.post("/api/v1/users", json=body, headers=admin.headers)


def test_admin_creates_a_user_who_can_then_sign_in(client, accounts, app):
    response = create_user(client, accounts["admin"], email="Ffion@Example.org", name="Ffion")
    assert response.status_code == 201, response.json
    created = response.json
    assert created["email"] == "ffion@example.org"
    assert created["role"] == "volunteer"
    assert "password" not in created and "password_hash" not in created
    login(
        client, Account(created["id"], created["email"], "volunteer", "a long enough password", "")
    )
    assert client.get("/api/v1/me").json["email"] == "ffion@example.org"


def test_bad_new_users_are_refused_naming_the_field(client, accounts):
    admin = accounts["admin"]
    assert create_user(client, admin).status_code == 201
    duplicate = create_user(client, admin, email="FFION@example.org")
    assert duplicate.status_code == 409
    assert "email" in duplicate.json["details"]
    for fields, field in [
        ({"email": "nobody"}, "email"),
        ({"password": "short"}, "password"),
        ({"role": "superuser"}, "role"),
        ({"role": None}, "role"),
        ({"active": "yes please"}, "active"),
        ({"is_admin": True}, "is_admin"),
    ]:
        response = create_user(client, admin, **{"email": "new@example.org", **fields})
        assert response.status_code == 422, (fields, response.json)
        assert field in response.json["details"], (fields, response.json)
    missing = client.post("/api/v1/users", json={"email": "x@example.org"}, headers=admin.headers)
    assert set(missing.json["details"]) == {"role", "password"}


def test_list_and_filter_users(client, accounts):
    headers = accounts["admin"].headers
    everyone = client.get("/api/v1/users", headers=headers).json
    assert everyone["total"] == 4
    coordinators = client.get("/api/v1/users?role=coordinator", headers=headers).json
    assert [u["email"] for u in coordinators["items"]] == ["coordinator@example.org"]
    found = client.get("/api/v1/users?q=VIEW", headers=headers).json
    assert [u["role"] for u in found["items"]] == ["viewer"]
    assert client.get("/api/v1/users?role=king", headers=headers).status_code == 422


def test_changing_role_and_disabling_a_user(client, accounts):
    admin = accounts["admin"].headers
    volunteer = accounts["volunteer"]
    promoted = client.patch(
        f"/api/v1/users/{volunteer.id}", json={"role": "coordinator"}, headers=admin
    )
    assert promoted.json["role"] == "coordinator"
    assert "people.edit" in client.get("/api/v1/me", headers=volunteer.headers).json["permissions"]
    disabled = client.patch(f"/api/v1/users/{volunteer.id}", json={"active": False}, headers=admin)
    assert disabled.json["active"] is False
    assert client.get("/api/v1/me", headers=volunteer.headers).status_code == 401
    short = client.patch(f"/api/v1/users/{volunteer.id}", json={"password": "abc"}, headers=admin)
    assert short.status_code == 422
    assert "password" in short.json["details"]


def test_the_last_active_admin_cannot_be_demoted_or_disabled(client, accounts, app):
    admin = accounts["admin"]
    path = f"/api/v1/users/{admin.id}"
    for change in ({"role": "coordinator"}, {"active": False}):
        response = client.patch(path, json=change, headers=admin.headers)
        assert response.status_code == 409, response.json
        assert "last active admin" in response.json["error"]
    renamed = client.patch(
        path, json={"name": "Still Admin", "role": "admin"}, headers=admin.headers
    )
    assert renamed.status_code == 200
    second = create_user(client, admin, email="second@example.org", role="admin").json
    # A disabled admin does not count: the first admin is still the last active one.
    client.patch(f"/api/v1/users/{second['id']}", json={"active": False}, headers=admin.headers)
    assert client.patch(path, json={"active": False}, headers=admin.headers).status_code == 409
    client.patch(f"/api/v1/users/{second['id']}", json={"active": True}, headers=admin.headers)
    demoted = client.patch(path, json={"role": "viewer"}, headers=admin.headers)
    assert demoted.status_code == 200
    assert demoted.json["role"] == "viewer"


def test_only_admins_manage_users(client, accounts):
    for role in ("coordinator", "volunteer", "viewer"):
        headers = accounts[role].headers
        assert client.get("/api/v1/users", headers=headers).status_code == 403
        assert create_user(client, accounts[role]).status_code == 403
        patch = client.patch(
            f"/api/v1/users/{accounts[role].id}", json={"role": "admin"}, headers=headers
        )
        assert patch.status_code == 403
    assert client.get("/api/v1/users/999", headers=accounts["admin"].headers).status_code == 404
