"""Admin pages: users, plugins and the audit log."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from hub import plugin_api as api
from hub.db import get_session
from hub.models import AuditEntry, User
from hub.testing import Account, create_account, login


def user(app, user_id):
    with app.app_context():
        return get_session().get(User, user_id)


def test_admin_index_lists_the_sections(as_role):
    html = as_role("admin").get("/admin/").text
    for link in ('href="/admin/users/"', 'href="/admin/plugins/"', 'href="/admin/audit/"'):
        assert link in html


def test_creating_a_user_who_can_then_sign_in(app, as_role):
    admin = as_role("admin")
    form = {
        "email": "  Gwen@Example.org ",
        "name": "Gwen",
        "role": "volunteer",
        "password": "gwen's first password",
    }
    assert admin.submit("/admin/users/new", form).status_code == 302
    assert "gwen@example.org can now sign in as volunteer" in admin.get("/admin/users/").text
    with app.app_context():
        gwen = get_session().scalar(select(User).where(User.email == "gwen@example.org"))
        assert gwen.role == "volunteer" and gwen.password_hash.startswith("$argon2id$")
    client = app.test_client()
    login(client, Account(gwen.id, gwen.email, gwen.role, form["password"], token=""))


def test_new_user_form_explains_each_mistake(as_role, audit_entries):
    admin = as_role("admin")
    before = audit_entries()
    base = {"email": "new@example.org", "name": "", "role": "viewer", "password": "long enough!"}
    cases = [
        ({"email": ""}, "Enter their email address."),
        ({"email": "nope"}, "Enter an email address like"),
        ({"email": "ADMIN@example.org"}, "There is already a user with this email."),
        ({"role": "superuser"}, "must be one of: admin"),
        ({"password": "short"}, "at least 10 characters"),
    ]
    for changes, message in cases:
        response = admin.submit("/admin/users/new", {**base, **changes})
        assert response.status_code == 422 and message in response.text, changes
    assert audit_entries() == before


def test_changing_a_role_and_disabling_a_user(app, as_role, records):
    admin = as_role("admin")
    helper = app.test_client()
    login(
        helper, Account(records.user_id, "helper@example.org", "volunteer", "helper password 1", "")
    )
    assert helper.get("/people/new").status_code == 403

    response = admin.post(f"/admin/users/{records.user_id}", {"role": "coordinator", "active": "y"})
    assert response.status_code == 302
    assert helper.get("/people/new", follow_redirects=True).status_code == 200  # at once

    response = admin.post(f"/admin/users/{records.user_id}", {"role": "coordinator"})
    assert response.status_code == 302
    assert not user(app, records.user_id).active
    assert helper.get("/").status_code == 302  # the disabled user's session ended


def test_a_disabled_users_tokens_stop_working(app, client, as_role, accounts):
    headers = accounts["coordinator"].headers
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    as_role("admin").post(f"/admin/users/{accounts['coordinator'].id}", {"role": "coordinator"})
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_an_admin_cannot_disable_or_demote_themself(app, as_role, accounts):
    admin = as_role("admin")
    me = accounts["admin"].id
    response = admin.post(f"/admin/users/{me}", {"role": "admin"})
    assert response.status_code == 422
    assert "You cannot disable your own account." in response.text
    response = admin.post(f"/admin/users/{me}", {"role": "viewer", "active": "y"})
    assert response.status_code == 422
    assert "You cannot take away your own admin role." in response.text
    assert user(app, me).active and user(app, me).role == "admin"
    assert admin.get("/admin/").status_code == 200


def test_resetting_a_users_password_ends_their_sessions(app, as_role, accounts):
    viewer = as_role("viewer")
    admin = as_role("admin")
    response = admin.post(
        f"/admin/users/{accounts['viewer'].id}",
        {"role": "viewer", "active": "y", "new_password": "a reset password"},
    )
    assert response.status_code == 302
    assert viewer.get("/").status_code == 302
    accounts["viewer"].password = "a reset password"
    login(app.test_client(), accounts["viewer"])


class Lending:
    """A plugin with metrics and a permission, for the plugins page."""

    @api.hookimpl
    def hub_metrics(self):
        return [
            api.Metric("loans", "loans", "Tools lent"),
            api.Metric("borrowers", "people", "Different people who borrowed", counts="people"),
        ]

    @api.hookimpl
    def hub_permissions(self):
        return [api.Permission("lending.lend", "Lend tools", ("volunteer",))]


class BrokenMetrics:
    @api.hookimpl
    def hub_metrics(self):
        raise ValueError("metric table missing")


def test_plugins_page_shows_state_version_metrics_and_errors(make_app):
    app = make_app(name="plugins", extra_plugins={"lending": Lending(), "shaky": BrokenMetrics()})
    app.extensions["hub.plugins"].records["lending"].version = "1.2.0"
    client = app.test_client()
    login(client, create_account(app, "admin"))
    html = client.get("/admin/plugins/").text
    section = html[html.index('id="plugin-lending"') : html.index('id="plugin-shaky"')]
    assert "enabled" in section and "<dd>1.2.0</dd>" in section
    assert "<strong>loans</strong>" in section and "<strong>borrowers</strong>" in section
    assert "disclosure control" in section
    assert "<code>lending.lend</code>: Lend tools (held by volunteer)" in section
    shaky = html[html.index('id="plugin-shaky"') :]
    assert "hub_metrics: ValueError: metric table missing" in shaky

    volunteer = app.test_client()
    login(volunteer, create_account(app, "volunteer"))
    assert volunteer.get("/admin/plugins/").status_code == 403


def test_plugins_page_reports_a_plugin_that_failed_to_load(make_app):
    app = make_app(name="failed")
    manager = app.extensions["hub.plugins"]
    from hub.plugin_manager import PluginRecord

    manager.records["oldthing"] = PluginRecord(
        "oldthing", "0.3", "hub-oldthing", "failed", "ImportError: No module named 'ldap'"
    )
    client = app.test_client()
    login(client, create_account(app, "admin"))
    html = client.get("/admin/plugins/").text
    assert "badge-bad" in html and "ImportError: No module named &#39;ldap&#39;" in html


def test_audit_log_filters_by_entity_user_and_date(app, as_role, accounts, records):
    coordinator = as_role("coordinator")
    coordinator.post(
        f"/people/{records.person_id}/edit",
        {"name": "Ceri J", "retention_until": "2031-01-01"},
    )
    as_role("admin").post(f"/locations/{records.location_id}/edit", {"name": "New Hall"})
    with app.app_context():
        session = get_session()
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.entity == "location")
            .values(at=dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC))
        )
        session.commit()

    admin = as_role("admin")
    everything = admin.get("/admin/audit/").text
    assert "<code>person " in everything and "<code>location " in everything

    people = admin.get("/admin/audit/?entity=person").text
    assert "<code>person " in people and "<code>location " not in people
    assert "<code>name</code>: (personal data)" in people
    assert "Ceri J" not in people  # personal values never reach the log

    by_coordinator = admin.get(f"/admin/audit/?user={accounts['coordinator'].id}").text
    assert "coordinator@example.org (web)" in by_coordinator
    assert "admin@example.org (web)" not in by_coordinator

    system = admin.get("/admin/audit/?user=system").text
    assert (
        "coordinator@example.org (web)" not in system
        and '<td data-label="Who">system</td>' in system
    )

    in_2024 = admin.get("/admin/audit/?since=2024-04-30&until=2024-05-01").text
    assert "<code>location " in in_2024 and "<code>person " not in in_2024
    one = admin.get(f"/admin/audit/?entity=person&entity_id={records.person_id}").text
    assert "2 entries." in one  # added, then changed


def test_audit_log_filter_mistakes_are_explained(as_role):
    admin = as_role("admin")
    response = admin.get("/admin/audit/?since=2025-02-01&until=2025-01-01")
    assert response.status_code == 422
    assert "The end date is before the start date." in response.text
    response = admin.get("/admin/audit/?since=yesterday")
    assert response.status_code == 422 and "Enter a real date" in response.text
    assert admin.get("/admin/audit/?until=9999-12-31&user=abc&page=-3").status_code == 200


class Calendar:
    """A plugin offering two exports, one of which is broken."""

    @api.hookimpl
    def hub_exporters(self):
        def write_events(session, stream, options):
            stream.write("BEGIN:VCALENDAR\r\nSUMMARY:Repair café\r\nEND:VCALENDAR\r\n")
            return 1

        def write_broken(session, stream, options):
            raise OSError("disk full")

        return [
            api.Exporter(
                "events-ical", "Events as iCalendar", "text/calendar", write_events, "ics"
            ),
            api.Exporter("broken-csv", "Never works", "text/csv", write_broken),
        ]


def test_admins_download_exports_and_each_is_audited(make_app):
    app = make_app(name="exports", extra_plugins={"calendar": Calendar()})
    client = app.test_client()
    login(client, create_account(app, "admin"))
    page = client.get("/admin/exports/").text
    assert "events-ical" in page and "Events as iCalendar" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]

    response = client.post("/admin/exports/events-ical", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].endswith('.ics"')
    assert "SUMMARY:Repair café" in response.text
    with app.app_context():
        entry = get_session().scalar(select(AuditEntry).where(AuditEntry.entity == "events-ical"))
    assert entry.action == "export" and entry.changes == {"records": 1}

    broken = client.post("/admin/exports/broken-csv", data={"csrf_token": token})
    assert broken.status_code == 302
    assert "The broken-csv export failed" in client.get("/admin/exports/").text
    assert "export &#39;broken-csv&#39;: OSError: disk full" in client.get("/admin/plugins/").text
    assert client.post("/admin/exports/nope", data={"csrf_token": token}).status_code == 404

    coordinator = app.test_client()
    login(coordinator, create_account(app, "coordinator"))
    token = re.search(r'name="csrf-token" content="([^"]+)"', coordinator.get("/").text)[1]
    assert coordinator.get("/admin/exports/").status_code == 403
    refused = coordinator.post("/admin/exports/events-ical", data={"csrf_token": token})
    assert refused.status_code == 403
