"""`hub restore`: puts a `hub backup` back, on SQLite and PostgreSQL, and never
under a running server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from hub import create_app
from hub.db import database
from hub.federation.models import FeedState
from hub.testing import HubRunner, postgres_url

from .test_backup import add_locations, counts

ON_POSTGRES = postgres_url() is not None
HUB = str(Path(sys.executable).parent / "hub")
needs_pg_restore = pytest.mark.skipif(
    ON_POSTGRES and shutil.which("pg_restore") is None, reason="pg_restore is not installed"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def backup_of(runner: HubRunner, folder: Path) -> Path:
    result = runner.invoke("backup", "--output", str(folder))
    assert result.exit_code == 0, result.output
    return max(folder.glob("hub-backup-*.tar.gz"))


def epoch(app) -> str | None:
    with app.app_context():
        from hub.db import get_session

        state = get_session().get(FeedState, 1)
        return state.epoch if state else None


@needs_pg_restore
def test_restore_brings_back_the_backup_and_drops_what_came_after(app, accounts, tmp_path):
    runner = HubRunner(app)
    add_locations(app, 5)
    before = counts(app)
    archive = backup_of(runner, tmp_path / "out")
    add_locations(app, 7, prefix="Later")
    assert counts(app) != before
    old_epoch = epoch(app)

    result = runner.invoke("restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert "Restored the backup of" in result.output
    restored = create_app(instance_path=app.instance_path)
    try:
        assert counts(restored) == before
        assert epoch(restored) not in (None, old_epoch)
        with restored.test_client() as client:
            me = client.get("/api/v1/me", headers=accounts["admin"].headers)
        assert me.status_code == 200
    finally:
        database(restored).engine.dispose()
    instance = Path(app.instance_path)
    for name in ("hub.toml", "signing_key.pem"):
        assert stat.S_IMODE((instance / name).stat().st_mode) == 0o600
    if not ON_POSTGRES:
        database_file = Path(make_url(app.config["DATABASE_URL"]).database)
        assert stat.S_IMODE(database_file.stat().st_mode) == 0o600


@pytest.mark.multiprocess
@needs_pg_restore
def test_restore_refuses_a_running_server_or_stops_it(app, accounts, tmp_path):
    runner = HubRunner(app)
    archive = backup_of(runner, tmp_path / "out")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_INSTANCE_PATH"] = app.instance_path
    log = (tmp_path / "server.log").open("ab")
    server = subprocess.Popen(
        [HUB, "serve", "--port", str(free_port()), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        lock = Path(app.instance_path) / "server.lock"
        for _ in range(300):
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            if lock.exists() and lock.read_text().strip():
                break
            time.sleep(0.1)
        refused = runner.invoke("restore", str(archive), "--yes")
        assert refused.exit_code == 1
        assert "the server is running" in refused.output and "--stop" in refused.output
        assert server.poll() is None

        stopped = runner.invoke("restore", str(archive), "--yes", "--stop")
        assert stopped.exit_code == 0, stopped.output
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_a_second_server_for_the_same_instance_is_refused(app, tmp_path):
    from hub import server

    with server.instance_lock(app.instance_path):
        result = HubRunner(app).invoke("serve", "--port", "1")
    assert result.exit_code == 1
    assert "already being served" in result.output


def test_a_damaged_or_foreign_archive_is_refused_and_nothing_changes(app, tmp_path):
    runner = HubRunner(app)
    add_locations(app, 2)
    archive = backup_of(runner, tmp_path / "out")
    before = counts(app)

    not_an_archive = tmp_path / "notes.tar.gz"
    not_an_archive.write_text("hello")
    result = runner.invoke("restore", str(not_an_archive), "--yes")
    assert result.exit_code == 1 and "not a readable backup archive" in result.output

    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    (folder,) = unpacked.iterdir()
    (folder / "hub.toml").write_text((folder / "hub.toml").read_text() + "# tampered\n")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    result = runner.invoke("restore", str(damaged), "--yes")
    assert result.exit_code == 1 and "hub.toml in the backup is damaged" in result.output

    (folder / "hub.toml").write_text((folder / "hub.toml").read_text().replace("# tampered\n", ""))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["revisions"]["core"] = ["core_9999"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(newer, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    result = runner.invoke("restore", str(newer), "--yes")
    assert result.exit_code == 1 and "made by a newer version" in result.output
    assert "Traceback" not in result.output
    assert counts(app) == before


def test_restore_asks_first(app, tmp_path):
    runner = HubRunner(app)
    archive = backup_of(runner, tmp_path / "out")
    result = runner.invoke("restore", str(archive), input="n\n")
    assert result.exit_code == 1
