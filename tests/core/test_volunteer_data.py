"""Volunteers are data subjects too: a user's account, what they did, and what a
plugin links to them (``testvisits`` records who logged each visit) can be
exported and erased, through the API, the command line and the admin pages."""

from __future__ import annotations

import json

import pytest

from hub.testing import HubRunner, create_account


@pytest.fixture
def volunteer(visits_app, visits_client, visits_accounts):
    """A volunteer who logged three visits, one with a token of their own."""
    account = create_account(visits_app, "volunteer", "nia@example.org")
    for day in ("2025-03-03", "2025-03-04", "2025-03-10"):
        logged = visits_client.post(
            "/api/v1/testvisits/visits",
            json={"person_id": None, "day": day},
            headers=account.headers,
        )
        assert logged.status_code == 201, logged.json
    return account


def published(client, accounts):
    return client.get("/api/v1/metrics?plugin=testvisits", headers=accounts["viewer"].headers).json


def test_a_volunteers_export_holds_their_account_activity_and_plugin_records(
    visits_client, visits_accounts, volunteer
):
    admin = visits_accounts["admin"].headers
    response = visits_client.get(f"/api/v1/users/{volunteer.id}/export", headers=admin)
    assert response.status_code == 200, response.json
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="user-{volunteer.id}.json"'
    )
    data = response.json
    assert data["user"]["email"] == "nia@example.org"
    assert data["user"]["role"] == "volunteer"
    assert [token["name"] for token in data["tokens"]] == ["tests"]
    assert "token_hash" not in json.dumps(data)
    created = [a for a in data["activity"] if a["action"] == "create"]
    assert {a["entity"] for a in created} == {"testvisits_visit"}
    assert len(created) == 3
    assert data["plugins"] == {
        "testvisits": {"visits_logged": ["2025-03-03", "2025-03-04", "2025-03-10"]}
    }
    volunteers_own = visits_client.get(
        f"/api/v1/users/{volunteer.id}/export", headers=volunteer.headers
    )
    assert volunteers_own.status_code == 403
    assert visits_client.get("/api/v1/users/999999/export", headers=admin).status_code == 404


def test_erasing_a_volunteer_unlinks_them_everywhere_and_figures_survive(
    visits_client, visits_accounts, volunteer, csrf_token
):
    admin = visits_accounts["admin"].headers
    before = published(visits_client, visits_accounts)
    response = visits_client.post(f"/api/v1/users/{volunteer.id}/erase", headers=admin)
    assert response.status_code == 200, response.json
    assert response.json["plugins"] == {"testvisits": 3}
    assert response.json["erased_at"]
    assert published(visits_client, visits_accounts) == before

    # Signed out, token gone, cannot sign in again, and the account names them no more.
    assert visits_client.get("/api/v1/me", headers=volunteer.headers).status_code == 401
    account = visits_client.get(f"/api/v1/users/{volunteer.id}", headers=admin).json
    assert account["email"] == f"erased-{volunteer.id}@erased.invalid"
    assert (account["name"], account["active"]) == ("(erased)", False)
    client = visits_client.application.test_client()
    page = client.get("/login")
    refused = client.post(
        "/login",
        data={
            "email": "nia@example.org",
            "password": volunteer.password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert refused.status_code != 302
    export = visits_client.get(f"/api/v1/users/{volunteer.id}/export", headers=admin).json
    assert export["plugins"] == {} and export["tokens"] == []
    log = visits_client.get("/api/v1/audit?per_page=200", headers=admin).json["items"]
    assert "nia@example.org" not in json.dumps(log)

    again = visits_client.post(f"/api/v1/users/{volunteer.id}/erase", headers=admin)
    assert again.status_code == 409
    revived = visits_client.patch(
        f"/api/v1/users/{volunteer.id}", json={"active": True}, headers=admin
    )
    assert revived.status_code == 409


def test_the_last_admin_and_oneself_cannot_be_erased(visits_client, visits_accounts):
    admin = visits_accounts["admin"]
    response = visits_client.post(f"/api/v1/users/{admin.id}/erase", headers=admin.headers)
    assert response.status_code == 409
    assert response.json["error"] == "cannot erase yourself"
    other = create_account(visits_client.application, "admin", "second@example.org")
    refused = visits_client.post(f"/api/v1/users/{admin.id}/erase", headers=other.headers)
    assert refused.status_code == 200  # another admin remains: allowed
    last = visits_client.post(f"/api/v1/users/{other.id}/erase", headers=other.headers)
    assert last.status_code == 409


def test_the_command_line_exports_and_erases_a_volunteer(
    visits_runner, visits_client, visits_accounts, volunteer, tmp_path
):
    out = tmp_path / "nia.json"
    exported = visits_runner.invoke("user", "export", "NIA@example.org", "--output", str(out))
    assert exported.exit_code == 0, exported.output
    assert json.loads(out.read_text())["plugins"]["testvisits"]["visits_logged"][0] == "2025-03-03"
    assert visits_runner.invoke("user", "erase", "nia@example.org", input="n\n").exit_code == 1
    erased = visits_runner.invoke("user", "erase", "nia@example.org", "--yes")
    assert erased.exit_code == 0, erased.output
    assert erased.output == f"Erased user {volunteer.id} (testvisits: 3)\n"
    missing = visits_runner.invoke("user", "erase", "nia@example.org", "--yes")
    assert (missing.exit_code, missing.output) == (1, "Error: no user with email nia@example.org\n")
    twice = visits_runner.invoke("user", "erase", f"erased-{volunteer.id}@erased.invalid", "--yes")
    assert twice.output == f"Error: user {volunteer.id} was already erased\n"


FAILS_TO_UNLINK = """
from hub import plugin_api as api


@api.hookimpl
def hub_erase_user(session, user):
    raise RuntimeError("rota is locked")
"""


def test_an_erasure_a_plugin_cannot_finish_changes_nothing(
    make_app, install_plugin, testvisits_installed
):
    install_plugin("rota", FAILS_TO_UNLINK)
    app = make_app(plugins=["rota", "testvisits"])
    admin = create_account(app, "admin").headers
    nia = create_account(app, "volunteer", "nia@example.org")
    client = app.test_client()
    response = client.post(f"/api/v1/users/{nia.id}/erase", headers=admin)
    assert response.status_code == 500
    assert response.json["details"] == {
        "plugin": ["plugin 'rota': hub_erase_user failed: RuntimeError: rota is locked"]
    }
    assert client.get(f"/api/v1/users/{nia.id}", headers=admin).json["email"] == "nia@example.org"
    assert client.get("/api/v1/me", headers=nia.headers).status_code == 200
    result = HubRunner(app).invoke("user", "erase", "nia@example.org", "--yes")
    assert result.exit_code == 1


def test_admins_export_and_erase_a_volunteer_on_their_page(
    visits_app, visits_accounts, volunteer, login, csrf_token
):
    """Uses the login and csrf_token fixtures, as a plugin's page tests would."""
    client = visits_app.test_client()
    login(client, visits_accounts["admin"])
    page = client.get(f"/admin/users/{volunteer.id}")
    html = page.get_data(as_text=True)
    assert "Download their data (JSON)" in html and "Erase this account" in html
    token = csrf_token(html)
    download = client.post(f"/admin/users/{volunteer.id}/export", data={"csrf_token": token})
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith(
        f'attachment; filename="user-{volunteer.id}-'
    )
    assert json.loads(download.data)["plugins"]["testvisits"]["visits_logged"]

    confirm = client.get(f"/admin/users/{volunteer.id}/erase")
    assert "Erase the account of nia@example.org?" in confirm.get_data(as_text=True)
    unticked = client.post(f"/admin/users/{volunteer.id}/erase", data={"csrf_token": token})
    assert unticked.status_code == 400
    erased = client.post(
        f"/admin/users/{volunteer.id}/erase", data={"csrf_token": token, "confirm": "yes"}
    )
    assert erased.status_code == 302
    after = client.get(f"/admin/users/{volunteer.id}").get_data(as_text=True)
    assert "This account was erased on" in after and "Erase this account" not in after
    assert "nia@example.org" not in client.get("/admin/users/").get_data(as_text=True)
    me = visits_accounts["admin"].id
    own = client.get(f"/admin/users/{me}/erase")
    assert own.status_code == 302
