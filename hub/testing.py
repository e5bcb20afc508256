"""Pytest fixtures for the hub and its plugins (a plugin's tests use them too).

Enable with ``pytest_plugins = ["hub.testing"]`` in a ``conftest.py``. Besides
``hub.plugin_api``, this is the one module of the core a plugin's tests may
import (the import contracts allow it); ``login``, ``csrf_token`` and
``main_menu`` are fixtures and plain functions alike; ``submit_form`` sends a page's
form as a browser would. Every test
gets real instances: an instance folder with ``hub.toml`` and a signing key, and
a real database migrated by the real migrations. Tests run on SQLite unless
``HUB_TEST_DATABASE_URL`` names a PostgreSQL database; there each instance gets
its own schema, so several instances (federation tests) can share one server.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import os
import re
import threading
import tomllib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from hub import auth, create_app, migrate
from hub import clock as hub_clock
from hub.cli import cli, write_config
from hub.db import database, get_session
from hub.federation import identity
from hub.models import ROLES, User

TEST_DATABASE_ENV = "HUB_TEST_DATABASE_URL"
# CI's PostgreSQL (and this project's development machines'): the target of moves
# from SQLite, which are tested whichever database the rest of the suite runs on.
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery staple"


def postgres_url() -> str | None:
    return os.environ.get(TEST_DATABASE_ENV) or None


def schema_url(base: str, schema: str) -> str:
    """``base`` with every connection's search_path set to ``schema``."""
    url = make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


class Databases:
    """Hands out empty databases: SQLite files, or PostgreSQL schemas dropped at the end."""

    def __init__(self, root: Path, base: str | None = None) -> None:
        self.root = root
        self.schemas: list[str] = []
        self.base = base or postgres_url()

    def new(self, name: str) -> str:
        if self.base is None:
            return f"sqlite:///{self.root / f'{name}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        schema = f"t_{re.sub(r'[^a-z0-9]', '_', name.lower())[:30]}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(self.base)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        self.schemas.append(schema)
        return schema_url(self.base, schema)

    def drop_all(self) -> None:
        if self.base is None or not self.schemas:
            return
        engine = create_engine(self.base)
        # One transaction per schema: dropping them all at once takes a lock per
        # table and runs out of PostgreSQL's lock table in a long session.
        for schema in self.schemas:
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def hub_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    databases = Databases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def postgres_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Empty PostgreSQL schemas even when the suite runs on SQLite; the tests that
    need them are skipped on a machine without PostgreSQL."""
    base = postgres_url() or LOCAL_POSTGRES
    engine = create_engine(base)
    try:
        engine.connect().close()
    except OperationalError:
        pytest.skip(f"no PostgreSQL at {make_url(base).render_as_string()}")
    finally:
        engine.dispose()
    databases = Databases(tmp_path_factory.mktemp("postgres"), base)
    yield databases
    databases.drop_all()


def make_instance(
    path: Path,
    database_url: str,
    *,
    plugins: list[str] | None = None,
    name: str = "Test Hub",
    base_url: str = "http://127.0.0.1:5000",
    **settings: Any,
) -> Path:
    """Write an instance folder (hub.toml and signing key) for tests and test servers."""
    path.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "INSTANCE_NAME": name,
        "BASE_URL": base_url,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "DATABASE_URL": database_url,
        "PLUGINS": plugins if plugins is not None else ["*"],
        "FEDERATION_ALLOW_PRIVATE": True,
        "LOCALITY": {"town": "Testtown", "region": "Testshire", "country": "GB"},
        "TESTING": True,
    }
    values.update(settings)
    write_config(path, values)
    identity.ensure_keypair(path)
    return path


@pytest.fixture(autouse=True)
def _no_stray_hub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's HUB_* variables must not leak into test instances.
    for key in list(os.environ):
        if key.startswith("HUB_") and key != TEST_DATABASE_ENV:
            monkeypatch.delenv(key)


class Clock:
    """The hub's clock (``api.today()``, ``api.now()``, new rows' timestamps), held still."""

    def __init__(self) -> None:
        self.moment = hub_clock.now()
        hub_clock.set_to(self.moment)

    def set(self, moment: dt.date | dt.datetime) -> None:
        """Stop the clock at ``moment``; a date is that day at local noon."""
        hub_clock.set_to(moment)
        self.moment = hub_clock.now()

    def advance(self, **delta: float) -> None:
        """Move the clock on, as ``datetime.timedelta(**delta)``: ``advance(days=7)``."""
        self.set(self.moment + dt.timedelta(**delta))


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The hub's clock, stopped for the test (at the moment it started) until it sets it:
    ``clock.set(dt.date(2025, 3, 14))``. It runs again after the test."""
    yield Clock()
    hub_clock.set_to(None)


@dataclass
class Account:
    id: int
    email: str
    role: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_app(tmp_path: Path, hub_databases: Databases) -> Iterator[Callable[..., Flask]]:
    """Build a migrated app: ``make_app(plugins=[...], extra_plugins={...}, **settings)``.

    Every app made is closed at the end of the test (open PostgreSQL
    connections would otherwise be reported as leaks by a later test)."""
    made: list[Flask] = []

    def factory(
        *,
        name: str = "hub",
        plugins: list[str] | None = None,
        extra_plugins: dict[str, object] | None = None,
        **settings: Any,
    ) -> Flask:
        instance = make_instance(
            tmp_path / name, hub_databases.new(name), plugins=plugins, **settings
        )
        app = create_app(instance_path=instance, extra_plugins=extra_plugins)
        made.append(app)
        migrate.upgrade(app)
        return app

    yield factory
    for each in made:
        database(each).engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An app with every installed plugin enabled, on a fresh database."""
    application = make_app()
    yield application
    database(application).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _test_password_hash() -> str:
    # argon2id is slow on purpose (about 0.15 s); one hash serves every test account.
    # Keyed by the hasher, so a test that swaps in other parameters gets its own.
    return _hash_with(auth._hasher)


@functools.cache
def _hash_with(hasher: Any) -> str:
    return hasher.hash(PASSWORD)


def create_account(app: Flask, role: str, email: str | None = None) -> Account:
    with app.app_context():
        session = get_session()
        user = User(
            email=email or f"{role}@example.org",
            name=role.title(),
            role=role,
            password_hash=_test_password_hash(),
        )
        session.add(user)
        session.flush()
        token = auth.create_token(user, "tests")
        session.commit()
        return Account(user.id, user.email, role, PASSWORD, token)


@pytest.fixture
def accounts(app: Flask) -> dict[str, Account]:
    """One user per role, each with an API token."""
    return {role: create_account(app, role) for role in ROLES}


def login(client: FlaskClient, account: Account) -> None:
    """Sign ``client`` in through the real form (with its CSRF token)."""
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/login", data={"email": account.email, "password": account.password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match[1]


def hidden_inputs(html: str) -> dict[str, str]:
    """A page's hidden inputs by name (its CSRF token, a create form's one-time token)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def open_form(client: FlaskClient, url: str) -> tuple[str, dict[str, str]]:
    """Open a form's page as a browser does (following its redirect to a one-time
    token): the address it ends at, and its hidden inputs to send back."""
    page = client.get(url, follow_redirects=True)
    assert page.status_code == 200, page.get_data(as_text=True)
    query = page.request.query_string.decode()
    address = page.request.path + (f"?{query}" if query else "")
    return address, hidden_inputs(page.get_data(as_text=True))


def submit_form(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Open the form at ``url`` and send it with ``data``, its hidden inputs included."""
    address, hidden = open_form(client, url)
    return client.post(address, data={**hidden, **data}, **kwargs)


def load_demo_data(app: Flask, plugin: str, today: dt.date | None = None) -> None:
    """Fill ``app``'s database with ``plugin``'s demo data as ``hub demo`` does, up to
    ``today`` (default: the hub's clock). Plugins' demo sessions follow the locations'
    opening times: the demo's halls are added first if no location opens at all."""
    from hub.demo import demo_locations
    from hub.models import Location

    with app.app_context():
        session = get_session()
        locations = [each for each in session.scalars(select(Location)) if each.opening_times]
        if not locations:
            locations = demo_locations()
            session.add_all(locations)
            session.flush()
        app.extensions["hub.plugins"].call(
            "hub_demo_data",
            plugin=plugin,
            session=session,
            today=today or hub_clock.today(),
            locations=locations,
        )
        session.commit()


def install_plugin(project: Path, site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the plugin project in folder ``project`` as pip would, for one test: its
    package on ``sys.path``, and the ``.dist-info`` folder (``METADATA`` and the entry
    points of its ``pyproject.toml``) that registers it on ``hub.plugins``, in ``site``."""
    project_table = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    name, version = project_table["name"], project_table["version"]
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = []
    for group, entries in project_table.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines += [f"{key} = {value}" for key, value in entries.items()]
    (folder / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return folder


@pytest.fixture(name="login")
def login_fixture() -> Callable[[FlaskClient, Account], None]:
    """``login(client, account)``: sign a test client in through the real form."""
    return login


@pytest.fixture(name="csrf_token")
def csrf_token_fixture() -> Callable[[str], str]:
    """``csrf_token(html)``: the CSRF token of a page, to post its form."""
    return csrf_token


class HubRunner:
    """Runs ``hub`` commands against one test instance, as an admin would."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.runner = CliRunner()

    def invoke(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(
            cli, list(args), input=input, env={"HUB_INSTANCE_PATH": self.app.instance_path}
        )


@pytest.fixture
def runner(app: Flask) -> HubRunner:
    return HubRunner(app)


class LiveServer:
    """An app served on a loopback port from a thread, for browsers and HTTP clients."""

    def __init__(self, app: Flask) -> None:
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# For page.evaluate: each chart's text that the browser lays out beyond the chart's
# drawing, where it is cut off (an empty list when every label fits).
CLIPPED_CHART_LABELS = """() => [...document.querySelectorAll("svg.chart")].flatMap(svg => {
    const width = svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll("text")]
        .filter(text => {
            const box = text.getBBox();
            return box.x < 0 || box.x + box.width > width + 0.5;
        })
        .map(text => text.textContent);
})"""


@pytest.fixture
def phone_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A phone-sized page (390x844, touch) on the live server."""
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A desktop-sized page (1280x800, mouse) on the live server."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def main_menu(page: Any) -> Any:
    """The main navigation with its links in view: a narrow screen folds them behind "Menu"."""
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.locator("details.nav-menu")
    summary = menu.locator("summary")
    if summary.is_visible() and not menu.evaluate("menu => menu.open"):
        summary.click()
    return nav


@pytest.fixture(name="main_menu")
def main_menu_fixture() -> Callable[[Any], Any]:
    """``main_menu(page)``: the main navigation, opened on a phone, at any size."""
    return main_menu


def browser_login(page: Any, account: Account) -> None:
    """Sign in through the real sign-in form in the browser."""
    page.goto("/login")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    page.click("main button[type=submit]")  # not the language switcher in the header
    page.wait_for_url(lambda url: "/login" not in url)


class SmtpServer:
    """A real SMTP server on loopback (aiosmtpd) for tests of mail: what it received, as
    parsed messages, in ``messages``; addresses in ``refuse`` are refused (550)."""

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self.refuse: set[str] = set()
        with socket.socket() as probe:  # a free port on loopback
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.host = "127.0.0.1"
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def settings(self, sender: str = "Test Hub <hub@example.org>") -> dict[str, Any]:
        """The hub.toml settings that send through this server: ``make_app(**settings)``."""
        return {
            "MAIL_HOST": self.host,
            "MAIL_PORT": self.port,
            "MAIL_SECURITY": "none",
            "MAIL_FROM": sender,
        }

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


# The test accounts are named after their roles ("Volunteer"): names are not translated.
_ACCOUNT_NAMES = frozenset({"Admin", "Coordinator", "Volunteer", "Viewer"})


def english_messages(catalogues: Iterable[Path]) -> set[str]:
    """Every whole English message (no placeholders, three letters or more) that these
    ``.po`` catalogues give a different translation for: text a translated page must not
    show. For tests that read a page in another language."""
    from babel.messages.pofile import read_po

    found: set[str] = set()
    for path in catalogues:
        with path.open("rb") as handle:
            found |= {
                message.id.strip()
                for message in read_po(handle)
                if isinstance(message.id, str)
                and "%(" not in message.id
                and message.string != message.id
                and re.search(r"[A-Za-z]{3}", message.id)
            }
    return found - _ACCOUNT_NAMES
