"""The dashboard and navigation, built from plugins that may misbehave."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Blueprint, render_template

from hub import plugin_api as api
from hub.testing import create_account, login

TEMPLATES = Path(__file__).parent / "templates"


class Visits:
    """A well-behaved plugin: a page, two panels (one needs a permission), nav entries."""

    @api.hookimpl
    def hub_blueprints(self):
        pages = Blueprint("visits_pages", __name__, url_prefix="/visits", template_folder=TEMPLATES)
        pages.add_url_rule(
            "/",
            "home",
            api.require_permission("visits.record")(lambda: render_template("visits/home.html")),
        )
        return [pages]

    @api.hookimpl
    def hub_permissions(self):
        return [api.Permission("visits.record", "Record visits", ("coordinator", "volunteer"))]

    @api.hookimpl
    def hub_dashboard_panels(self, user, today):
        return [
            api.Panel("Visits this week", "visits/panel.html", {"count": 42}, order=10),
            api.Panel(
                "Visits by volunteers", "visits/panel.html", {"count": 17}, "visits.record", 20
            ),
        ]

    @api.hookimpl
    def hub_nav_items(self, user):
        return [
            api.NavItem("Visits", "visits_pages.home", "visits.record", order=30, quick=True),
            api.NavItem("Nowhere", "visits_pages.no_such_page", order=31),
        ]


class Broken:
    """A plugin whose every optional contribution fails."""

    @api.hookimpl
    def hub_dashboard_panels(self, user):
        raise RuntimeError("the panel database is on fire")

    @api.hookimpl
    def hub_nav_items(self, user):
        raise RuntimeError("no navigation today")


class BadPanels:
    """A plugin whose panels fail only when rendered, or are not panels at all."""

    @api.hookimpl
    def hub_dashboard_panels(self):
        return [
            api.Panel("Divides by zero", "visits/broken.html", {"count": 3}),
            api.Panel("Missing template", "badpanels/nothing.html"),
            "not a panel",
        ]


@pytest.fixture
def shell_app(make_app):
    return make_app(
        name="shell", extra_plugins={"visits": Visits(), "broken": Broken(), "bad": BadPanels()}
    )


def signed_in(app, role):
    client = app.test_client()
    login(client, create_account(app, role))
    return client


def test_dashboard_shows_panels_and_survives_broken_plugins(shell_app, caplog):
    with caplog.at_level(logging.ERROR):
        page = signed_in(shell_app, "volunteer").get("/")
    assert page.status_code == 200
    html = page.text
    assert html.index("Visits this week") < html.index("Visits by volunteers")
    assert "<dd>42</dd>" in html and "<dd>17</dd>" in html
    assert "(seen by volunteer@example.org, 42 in all)" in html  # the shell context, and panel
    assert 'data-plugin="visits"' in html
    for left_out in ("Divides by zero", "Missing template", "on fire"):
        assert left_out not in html
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "plugin broken: hub_dashboard_panels failed" in logged
    assert "plugin bad: dashboard panel 'Divides by zero' failed" in logged


def test_panels_needing_a_permission_are_hidden_without_it(shell_app):
    html = signed_in(shell_app, "viewer").get("/").text
    assert "Visits this week" in html
    assert "Visits by volunteers" not in html


def navigation(html):
    return html[html.index('<nav aria-label="Main"') : html.index("</nav>")]


def test_navigation_from_plugins_hides_what_the_user_cannot_use(shell_app):
    volunteer = navigation(signed_in(shell_app, "volunteer").get("/").text)
    viewer = navigation(signed_in(shell_app, "viewer").get("/").text)
    admin = navigation(signed_in(shell_app, "admin").get("/").text)
    assert '<a href="/visits/">Visits</a>' in volunteer
    assert "Visits" not in viewer
    assert '<a href="/people/">People</a>' in volunteer and "People" not in viewer
    assert '<a href="/admin/">Admin</a>' in admin and "Admin" not in volunteer
    assert "Nowhere" not in admin  # names a page that does not exist
    labels = ("Dashboard", "People", "Locations", "Visits", "Admin", "Account")
    positions = [admin.index(f">{label}</a>") for label in labels]
    assert positions == sorted(positions)


def test_the_current_page_is_marked_in_the_navigation(shell_app):
    html = signed_in(shell_app, "coordinator").get("/visits/").text
    assert '<a href="/visits/" aria-current="page">Visits</a>' in html
    assert '<a href="/" aria-current' not in html


class Shelves:
    """A plugin with an entry for its section and another for a page inside it."""

    @api.hookimpl
    def hub_blueprints(self):
        pages = Blueprint("shelves", __name__, url_prefix="/shelves", template_folder=TEMPLATES)

        def home(**_ids):
            return render_template("visits/home.html")

        pages.add_url_rule("/", "index", home)
        pages.add_url_rule("/stock", "stock", home)
        pages.add_url_rule("/stock/<int:shelf>", "shelf", home)
        return [pages]

    @api.hookimpl
    def hub_nav_items(self, user):
        return [api.NavItem("Shelves", "shelves.index"), api.NavItem("Stock", "shelves.stock")]


def test_only_the_most_specific_entry_is_the_current_page(make_app):
    app = make_app(name="shelves", extra_plugins={"shelves": Shelves()})
    client = signed_in(app, "volunteer")
    for path, current in (("/shelves/", "Shelves"), ("/shelves/stock/3", "Stock")):
        nav = navigation(client.get(path).text)
        assert nav.count('aria-current="page"') == 1, path
        assert f'aria-current="page">{current}</a>' in nav, path


def test_plugin_pages_are_guarded_by_their_permission(shell_app):
    assert signed_in(shell_app, "viewer").get("/visits/").status_code == 403
    assert signed_in(shell_app, "volunteer").get("/visits/").status_code == 200


def test_failures_are_listed_on_the_admin_plugins_page(shell_app):
    admin = signed_in(shell_app, "admin")
    admin.get("/")
    html = admin.get("/admin/plugins/").text
    assert "hub_dashboard_panels: RuntimeError: the panel database is on fire" in html
    assert "hub_nav_items: RuntimeError: no navigation today" in html
    assert "dashboard panel &#39;Divides by zero&#39;: ZeroDivisionError" in html
    assert "dashboard panel &#39;Missing template&#39;: TemplateNotFound" in html
    assert "hub_dashboard_panels: returned str in its list, not Panel" in html
    assert "navigation entry &#39;Nowhere&#39;: BuildError" in html


def test_dashboard_without_plugins_says_so(make_app):
    app = make_app(name="bare", plugins=[])
    admin_html = signed_in(app, "admin").get("/").text
    assert "Nothing to show yet" in admin_html and 'href="/admin/plugins/"' in admin_html
    viewer_html = signed_in(app, "viewer").get("/").text
    assert "An admin chooses which services this hub runs" in viewer_html


class Crashing:
    """A plugin page with a bug in it."""

    @api.hookimpl
    def hub_blueprints(self):
        pages = Blueprint("crashing_pages", __name__, url_prefix="/crashing")

        @pages.get("/")
        @api.require_permission()
        def home():
            raise KeyError("a bug")

        return [pages]


def test_a_crashing_page_gets_the_friendly_error_page(make_app):
    app = make_app(name="crash", extra_plugins={"crashing": Crashing()})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    client = signed_in(app, "volunteer")
    response = client.get("/crashing/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert '<nav aria-label="Main"' in response.text  # still inside the shell
    assert "KeyError" not in response.text
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_home_page_puts_the_days_quick_logs_first(shell_app):
    html = signed_in(shell_app, "volunteer").get("/").text
    assert html.index("At today's session") < html.index("Visits this week")
    assert '<a class="button primary big" href="/visits/">Visits</a>' in html
    quick = html[html.index('aria-label="Quick logs"') :]
    assert quick.index('href="/visits/"') < quick.index("</nav>")  # on every page's header
    viewer = signed_in(shell_app, "viewer").get("/").text  # no quick log to offer
    assert "At today" not in viewer and 'aria-label="Quick logs"' not in viewer
