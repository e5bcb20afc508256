"""Real hub servers on loopback ports, each with its own instance folder and database.

Servers are ``hub serve`` subprocesses (gunicorn). They find the test plugin
``hub_testmetrics`` as an installed distribution written to a temporary folder
on their ``PYTHONPATH``, exactly as a third party's plugin would be found.
Commands (``hub federation ...``) run in this process through the real CLI,
except where a test needs to kill one mid-run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

from hub import create_app
from hub.cli import cli
from hub.db import database
from hub.federation import identity
from hub.federation.documents import Signed, b64encode
from hub.testing import Databases, make_instance

HUB = str(Path(sys.executable).parent / "hub")
PLUGIN_SOURCE = '''
"""Test figures for federation: one JSON file of days in the instance folder."""

import datetime as dt
import json
from pathlib import Path

from flask import current_app

from hub import plugin_api as api

DATA_FILE = "testmetrics.json"
NAMES = ("repairs", "fixed", "waste_prevented_g", "visitors")


def _days():
    path = Path(current_app.instance_path) / DATA_FILE
    if not path.exists():
        return []
    return [(dt.date.fromisoformat(row["date"]), row) for row in json.loads(path.read_text())]


@api.hookimpl
def hub_metrics():
    return [
        api.Metric("repairs", "items", "Items brought for repair", counts="events"),
        api.Metric("fixed", "items", "Items fixed", counts="events"),
        api.Metric("waste_prevented_g", "grams", "Weight of the items fixed", counts="quantity"),
        api.Metric("visitors", "people", "Visitors (each counted once a session)", counts="people"),
    ]


@api.hookimpl
def hub_metric_periods(session):
    return [day for day, _ in _days()]


@api.hookimpl
def hub_compute_metrics_for_periods(session, periods):
    totals = {period: dict.fromkeys(NAMES, 0) for period in periods}
    for day, row in _days():
        for period in periods:
            if day in period:
                for name in NAMES:
                    totals[period][name] += row.get(name, 0)
    return totals
'''
METADATA = "Metadata-Version: 2.1\nName: hub-testmetrics\nVersion: 0.1\nSummary: Test figures\n"
ENTRY_POINTS = "[hub.plugins]\ntestmetrics = hub_testmetrics\n"


def _metric(name: str, unit: str, description: str, counts: str) -> dict[str, Any]:
    return {
        "name": name,
        "unit": unit,
        "description": description,
        "counts": counts,
        "counts_people": counts == "people",
        "window": "period",
        "codes": None,
    }


# The plugin's entry in a descriptor, as /.well-known/hub of an instance running it has it.
TESTMETRICS = {
    "name": "testmetrics",
    "version": "0.1",
    "metrics": [
        _metric("repairs", "items", "Items brought for repair", "events"),
        _metric("fixed", "items", "Items fixed", "events"),
        _metric("waste_prevented_g", "grams", "Weight of the items fixed", "quantity"),
        _metric("visitors", "people", "Visitors (each counted once a session)", "people"),
    ],
}


def descriptor_of(url: str, key: Ed25519PrivateKey, name: str = "Joining group") -> dict[str, Any]:
    """A complete descriptor for an instance at ``url`` with ``key``, publishing testmetrics."""
    return {
        "id": url,
        "name": name,
        "locality": {"town": name, "region": "Elsewhere", "country": "GB"},
        "software": {"name": "fake", "version": "0"},
        "protocol": "hub-federation/1",
        "public_key": identity.encode_public_key(key.public_key()),
        "disclosure": {"threshold": 5, "rounding": 5},
        "plugins": [TESTMETRICS],
    }


def write_distribution(folder: Path) -> Path:
    """Write the plugin as an installed distribution (module and .dist-info) into ``folder``."""
    (folder / "hub_testmetrics").mkdir(parents=True, exist_ok=True)
    (folder / "hub_testmetrics" / "__init__.py").write_text(PLUGIN_SOURCE)
    info = folder / "hub_testmetrics-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(METADATA)
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Hub:
    """One instance: its folder, database, port, and (when started) its server process."""

    def __init__(
        self,
        root: Path,
        name: str,
        db_url: str,
        plugin_path: Path,
        plugins: tuple[str, ...] = ("testmetrics",),
        **settings: Any,
    ):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.plugin_path = plugin_path
        self.db_url = db_url
        self.path = make_instance(
            root / name,
            db_url,
            plugins=list(plugins),
            name=name.title(),
            base_url=self.url,
            **settings,
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.cli("init")  # as an operator does: the database, and this instance's own key pinned

    def days(self, rows: list[dict[str, Any]]) -> None:
        (self.path / "testmetrics.json").write_text(json.dumps(rows))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env["HUB_INSTANCE_PATH"] = str(self.path)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(self.plugin_path), env.get("PYTHONPATH")])
        )
        return env

    def cli(self, *args: str, ok: bool = True) -> Result:
        """Run ``hub ARGS`` on this instance through the real CLI, in this process."""
        result = CliRunner().invoke(cli, list(args), env={"HUB_INSTANCE_PATH": str(self.path)})
        if ok:
            assert result.exit_code == 0, (args, result.output, result.exception)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args).stdout)

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        """``hub ARGS`` as a separate process (for killing it mid-run)."""
        with (self.path / "command.log").open("ab") as log:
            return subprocess.Popen([HUB, *args], env=self.env(), stdout=log, stderr=log)

    def start(self) -> None:
        with (self.path / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [HUB, "serve", "--port", str(self.port), "--workers", "1"],
                env=self.env(),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError((self.path / "server.log").read_text()[-3000:])
            try:
                if httpx.get(self.url + "/.well-known/hub", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(
            f"{self.name} did not start: " + (self.path / "server.log").read_text()[-3000:]
        )

    def signal_stop(self) -> None:
        # Test servers hold nothing worth draining: the whole process group goes at once.
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        self.signal_stop()
        if self.process is not None:
            self.process.wait()
        self.process = None

    def count_summaries(self) -> int:
        """Summaries held, read straight from the database (cheap enough to poll)."""
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                return connection.scalar(text("SELECT count(*) FROM federation_summary")) or 0
        finally:
            engine.dispose()

    def feed(self) -> list[dict[str, str]]:
        """Every item of this instance's feed, read in this process (no server needed)."""
        app = create_app(instance_path=self.path)
        try:
            return app.test_client().get("/federation/v1/summaries?limit=1000").json["items"]
        finally:
            database(app).engine.dispose()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)

    def token(self) -> dict[str, str]:
        """An admin's bearer token on this instance, for API calls."""
        email = f"admin@{self.name}.example"
        CliRunner().invoke(
            cli,
            ["user", "create", email, "--role", "admin", "--password-stdin"],
            input="correct horse battery staple\n",
            env={"HUB_INSTANCE_PATH": str(self.path)},
        )
        token = self.cli("token", "create", email).stdout.strip()
        return {"Authorization": f"Bearer {token}"}


class Network:
    """Makes hubs for one test and stops their servers at the end."""

    def __init__(self, root: Path, databases: Databases, plugin_path: Path) -> None:
        self.root = root
        self.databases = databases
        self.plugin_path = plugin_path
        self.hubs: list[Hub] = []

    def hub(
        self,
        name: str,
        *,
        serve: bool = False,
        plugins: tuple[str, ...] = ("testmetrics",),
        db_url: str | None = None,
        **settings: Any,
    ) -> Hub:
        db_url = db_url or self.databases.new(name)
        made = Hub(self.root, name, db_url, self.plugin_path, plugins, **settings)
        self.hubs.append(made)
        if serve:
            made.start()
        return made

    def serve(self, *hubs: Hub) -> None:
        for each in hubs:
            if each.process is None:
                each.start()
        for each in hubs:
            each.wait_ready()

    def close(self) -> None:
        for each in self.hubs:
            each.signal_stop()
        for each in self.hubs:
            each.stop()


@pytest.fixture(scope="session")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_distribution(tmp_path_factory.mktemp("site"))


@pytest.fixture
def network(
    tmp_path: Path, hub_databases: Databases, plugin_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Network]:
    # Commands run in this process must find the plugin too, as the servers do.
    monkeypatch.syspath_prepend(str(plugin_path))
    made = Network(tmp_path, hub_databases, plugin_path)
    yield made
    made.close()


@pytest.fixture(scope="module")
def module_network(
    tmp_path_factory: pytest.TempPathFactory, hub_databases: Databases, plugin_path: Path
) -> Iterator[Network]:
    """A network shared by a module's tests, for those that each leave it as they found it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(plugin_path))
        made = Network(tmp_path_factory.mktemp("network"), hub_databases, plugin_path)
        yield made
        made.close()


class FakePeer:
    """A misbehaving or hostile peer: a real HTTP server on loopback whose answers a
    test sets, with its own Ed25519 key for signing whatever it likes."""

    def __init__(self, name: str) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.feed_body: bytes = b'{"items": [], "next": "", "more": false}'
        self.feed_status = 200
        self.delay = 0.0
        self.requests: list[str] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                peer.requests.append(self.path)
                if self.path.startswith("/.well-known/hub"):
                    body, status = json.dumps(peer.descriptor).encode(), 200
                else:
                    time.sleep(peer.delay)
                    body, status = peer.feed_body, peer.feed_status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.descriptor = descriptor_of(self.url, self.key, name)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def sign(self, document: dict[str, Any], key: Any = None) -> dict[str, str]:
        return Signed.make(document, key or self.key).as_json()

    def sign_text(self, payload: str) -> dict[str, str]:
        """Sign text as it is, canonical or not (what a hostile peer can do)."""
        signature = self.key.sign(payload.encode())
        return {"payload": payload, "signature": b64encode(signature)}

    def serve_items(self, items: list[dict[str, str]]) -> None:
        self.feed_body = json.dumps({"items": items, "next": "x-1", "more": False}).encode()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Member:
    """An instance written by hand: its id, key and descriptor, to sign whatever it
    likes (canonical or not, with its own key or another's) and to build the bodies
    and headers of its joins and pushes, honest or hostile."""

    JSON = {"Content-Type": "application/json"}

    def __init__(self, url: str, name: str = "Tregaron") -> None:
        self.url = url
        self.key = Ed25519PrivateKey.generate()
        self.descriptor = descriptor_of(url, self.key, name)

    def sign(self, document: dict[str, Any], key: Any = None) -> dict[str, str]:
        return Signed.make(document, key or self.key).as_json()

    def sign_text(self, payload: str, key: Any = None) -> dict[str, str]:
        """Sign text as it is, canonical or not (what a hostile member can do)."""
        signature = (key or self.key).sign(payload.encode("utf-8", "surrogatepass"))
        return {"payload": payload, "signature": b64encode(signature)}

    def summary(self, period: str = "2025-05", revision: int = 1, **metrics: Any) -> dict[str, Any]:
        """A summary of testmetrics that a receiver accepts (unless ``metrics`` says otherwise)."""
        figures = {"repairs": 30, "fixed": 20, "waste_prevented_g": 9_000, "visitors": 25}
        return {
            "origin": self.url,
            "plugin": "testmetrics",
            "period": period,
            "metrics": {**figures, **metrics},
            "revision": revision,
            "generated_at": "2025-06-01T09:00:00Z",
        }

    def join_body(self, token: str, descriptor: dict[str, Any] | None = None) -> bytes:
        signed = self.sign(descriptor or self.descriptor)
        return json.dumps({"token": token, "descriptor": signed}).encode()

    def push_request(self, items: Any, key: Any = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a push of ``items``, signed by this member."""
        body = items if isinstance(items, bytes) else json.dumps({"items": items}).encode()
        signature = b64encode((key or self.key).sign(body))
        return body, {**self.JSON, "Hub-Origin": self.url, "Hub-Signature": signature}


@pytest.fixture(scope="session")
def member() -> Any:
    """``member(url, name)``: a :class:`Member` with a new key."""
    return Member


def load_corpus() -> Any:
    """tests/federation/corpus.py, the hostile documents by class (a helper, not a test)."""
    name = "federation_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("corpus.py"))
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


@pytest.fixture(scope="session")
def corpus() -> Any:
    return load_corpus()


@pytest.fixture
def fake_peer() -> Iterator[Any]:
    made: list[FakePeer] = []

    def factory(name: str) -> FakePeer:
        made.append(FakePeer(name))
        return made[-1]

    yield factory
    for peer in made:
        peer.stop()
