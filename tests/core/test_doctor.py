"""`hub doctor`: silent on a healthy instance; each planted problem found, with what
to do, on the command line (text and JSON) and on the admin page."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from hub.db import database, get_session, utcnow
from hub.federation.models import Peer, Refusal
from hub.models import AuditEntry
from hub.testing import HubRunner, create_account, login

BROKEN_IMPORT = "raise RuntimeError('the plugin cannot be imported')\n"
BROKEN_MODELS = """
from hub import plugin_api as api

@api.hookimpl
def hub_models():
    raise RuntimeError("no models today")
"""


def doctor(runner: HubRunner, *args: str) -> tuple[int, list[dict[str, str]]]:
    result = runner.invoke("doctor", "--json", "--min-free-mb", "1", *args)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


def set_config(app: Flask, **values: str) -> None:
    """Rewrite settings in the instance's hub.toml (the file an admin edits)."""
    path = Path(app.instance_path) / "hub.toml"
    lines = [line for line in path.read_text().splitlines() if line.split(" = ")[0] not in values]
    lines += [f"{key} = {value}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def healthy(app: Flask, runner: HubRunner) -> Flask:
    """A core instance as the deploy files leave it: backed up, retention run, private files."""
    assert runner.invoke("backup").exit_code == 0
    assert runner.invoke("retention").exit_code == 0
    return app


@pytest.fixture
def peer_clock() -> Iterator[Callable[[float], str]]:
    """``start(skew)``: a loopback HTTP server whose clock is ``skew`` seconds ahead."""
    servers: list[ThreadingHTTPServer] = []

    def start(skew: float = 0.0) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self.send_response(200)
                self.end_headers()

            def date_time_string(self, timestamp: float | None = None) -> str:
                return email.utils.formatdate(time.time() + skew, usegmt=True)

            def log_message(self, *_args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_healthy_instance_is_silent(healthy, runner):
    result = runner.invoke("doctor", "--min-free-mb", "1")
    assert (result.exit_code, result.output) == (0, "")
    assert doctor(runner) == (0, [])


def test_each_problem_planted_is_found_with_what_to_do(
    healthy, runner, peer_clock, install_plugin, testvisits_installed
):
    app = healthy
    instance = Path(app.instance_path)
    now = utcnow()
    [archive] = (instance / "backups").glob("hub-backup-*.tar.gz")
    archive.rename(archive.with_name("hub-backup-20250101T023000Z.tar.gz"))
    (instance / "backups" / "hub-backup-20250101T023000Z.tar.gz").chmod(0o644)
    (instance / "signing_key.pem").chmod(0o644)
    (instance / "hub.toml").chmod(0o640)
    install_plugin("broken", BROKEN_IMPORT)
    set_config(app, PLUGINS='["broken", "testvisits"]')  # testvisits: installed, never migrated
    with app.app_context():
        session = get_session()
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.action == "run", AuditEntry.entity == "retention")
            .values(at=now - dt.timedelta(days=3))
        )
        peers = {
            "failing": Peer(
                url=peer_clock(0),
                direction="push",
                last_success_at=now - dt.timedelta(hours=2),
                failures=3,
                last_error="connection refused",
            ),
            "silent": Peer(
                url=peer_clock(0), direction="pull", last_success_at=now - dt.timedelta(days=3)
            ),
            "unreached": Peer(
                url=peer_clock(0), direction="push", last_attempt_at=now, last_error="timed out"
            ),
            "untried": Peer(url=peer_clock(0), direction="pull"),
            "skewed": Peer(url=peer_clock(300), direction="push", last_success_at=now),
        }
        session.add_all(peers.values())
        session.add(
            Refusal(source=peers["silent"].url, reason="signature does not match the pinned key")
        )
        session.add(
            Refusal(
                source=peers["silent"].url,
                reason="origin claims another id",
                at=now - dt.timedelta(days=30),
            )
        )
        session.commit()
    expected = [
        ("plugins", "broken failed to load: RuntimeError: the plugin cannot be imported"),
        ("database", "testvisits is not at its latest migration"),
        ("backups", "the newest backup is "),
        ("permissions", "signing_key.pem can be read by every user on the machine (mode 0644)"),
        ("permissions", "hub.toml can be read by its group (mode 0640)"),
        ("permissions", "hub-backup-20250101T023000Z.tar.gz can be read by every user"),
        ("retention", "hub retention has not run in the last 2 days"),
        (
            "federation",
            f"{peers['failing'].url} has failed 3 times since it was last reached 2 hours ago: connection refused",
        ),
        ("federation", f"{peers['silent'].url} was last reached 3 days ago"),
        ("federation", f"{peers['unreached'].url} has never been reached: timed out"),
        ("federation", f"the followed feed {peers['untried'].url} has not been tried yet"),
        (
            "federation",
            f"refused 1 document from {peers['silent'].url} in the last 7 days, the latest because: signature does not match",
        ),
        ("clock", f"this server's clock is 5 minutes behind {peers['skewed'].url}'s"),
    ]

    code, findings = doctor(runner)

    assert code == 1
    for check, fragment in expected:
        assert any(f["check"] == check and fragment in f["problem"] for f in findings), (
            check,
            fragment,
            findings,
        )
    assert len(findings) == len(expected), findings
    assert all(finding["action"] for finding in findings)
    lines = runner.invoke("doctor", "--min-free-mb", "1").output.splitlines()
    assert lines[0] == (
        "plugins: broken failed to load: RuntimeError: the plugin cannot be imported — "
        "fix or reinstall it, or take it out of PLUGINS (hub plugins lists them all)"
    )
    assert len(lines) == len(expected)


def test_core_behind_its_migrations_and_a_full_disk(healthy, runner):
    with database(healthy).engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'core_0001'"))
    code, findings = doctor(runner, "--min-free-mb", str(1024**3))
    assert code == 1
    assert [(f["check"], f["problem"].split(" ")[0]) for f in findings] == [
        ("database", "core"),
        ("disk", "only"),
    ]
    assert findings[0]["action"] == "make a backup, then run: hub db upgrade"


def test_a_configuration_mistake_is_found_though_the_hub_cannot_start(healthy, runner):
    set_config(healthy, SUPPRESION_THRESHOLD="5")
    assert doctor(runner) == (
        1,
        [
            {
                "check": "configuration",
                "problem": "hub.toml: unknown setting 'SUPPRESION_THRESHOLD' (did you mean SUPPRESSION_THRESHOLD?)",
                "action": "correct it in hub.toml or its HUB_ variable",
            }
        ],
    )


def test_a_plugin_stopping_start_up_is_found(healthy, runner, install_plugin):
    install_plugin("nomodels", BROKEN_MODELS)
    set_config(healthy, PLUGINS='["nomodels"]')
    code, [finding] = doctor(runner)
    assert code == 1 and finding["check"] == "plugins"
    assert (
        "the hub cannot start: plugin 'nomodels': hub_models failed: RuntimeError: no models today"
        in finding["problem"]
    )


def test_an_unreachable_database_is_found(healthy, runner, tmp_path):
    if make_url(healthy.config["DATABASE_URL"]).get_backend_name() == "sqlite":
        garbage = tmp_path / "not-a-database.sqlite3"
        garbage.write_bytes(b"this is not SQLite" * 100)
        garbage.chmod(0o600)
        set_config(healthy, DATABASE_URL=json.dumps(f"sqlite:///{garbage}"))
        problem = "cannot be reached: file is not a database"
    else:
        url = make_url(healthy.config["DATABASE_URL"]).set(port=1)
        set_config(healthy, DATABASE_URL=json.dumps(url.render_as_string(hide_password=False)))
        problem = "cannot be reached: connection failed"
    code, [finding] = doctor(runner)
    assert code == 1 and finding["check"] == "database"
    assert finding["problem"].startswith(problem)
    assert "DATABASE_URL" in finding["action"] or "owns the file" in finding["action"]


def test_a_lost_signing_key_and_no_backups_are_found(healthy, runner, tmp_path):
    instance = Path(healthy.instance_path)
    (instance / "signing_key.pem").unlink()
    for archive in (instance / "backups").iterdir():
        archive.unlink()
    code, findings = doctor(runner)
    assert code == 1
    assert [f["check"] for f in findings] == ["backups", "signing key"]
    assert findings[0]["problem"] == f"no backups found (looked in {instance / 'backups'})"
    assert "restore signing_key.pem from a backup" in findings[1]["action"]


def test_backups_written_elsewhere_are_found_through_the_audit_log(healthy, runner, tmp_path):
    for archive in (Path(healthy.instance_path) / "backups").iterdir():
        archive.unlink()
    assert runner.invoke("backup", "--output", str(tmp_path / "offsite")).exit_code == 0
    assert doctor(runner) == (0, [])
    (tmp_path / "offsite").rename(tmp_path / "gone")
    _code, [finding] = doctor(runner)
    assert str(tmp_path / "offsite") in finding["problem"]


def test_the_admin_page_shows_the_findings_to_admins(healthy, runner):
    client = healthy.test_client()
    login(client, create_account(healthy, "admin"))
    page = client.get("/admin/").text
    assert "Health" in page and "finds nothing that needs doing" in page
    (Path(healthy.instance_path) / "signing_key.pem").chmod(0o644)
    page = client.get("/admin/").text
    assert "1 thing needs doing" in page
    assert "signing_key.pem can be read by every user on the machine" in page
    assert "chmod 600" in page
    coordinator = healthy.test_client()
    login(coordinator, create_account(healthy, "coordinator"))
    assert coordinator.get("/admin/").status_code == 403
