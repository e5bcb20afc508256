"""`hub backup`: a consistent archive of a running instance, and the restore
procedure of docs/admin.md carried out step by step."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from hub import backup, create_app, migrate
from hub.db import database, get_session
from hub.models import Location, User
from hub.testing import postgres_url

ON_POSTGRES = postgres_url() is not None


def add_locations(app, count: int, prefix: str = "Hall") -> None:
    with app.app_context():
        session = get_session()
        session.add_all(Location(name=f"{prefix} {i}", postcode="CF11 6AA") for i in range(count))
        session.commit()


def unpack(archive: Path, into: Path) -> Path:
    """`tar -xzf ARCHIVE`, as the restore procedure says; returns the backup folder."""
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (folder,) = into.iterdir()
    return folder


def latest_revisions(app) -> dict[str, list[str]]:
    """Each component's newest migration, from its scripts (a migrated test app is at head)."""
    return {
        component.name: sorted(
            ScriptDirectory.from_config(migrate._alembic_config(component, None)).get_heads()
        )
        for component in migrate.components(app)
    }


def counts(app) -> tuple[int, int]:
    with app.app_context():
        session = get_session()
        users = session.scalar(select(func.count()).select_from(User))
        locations = session.scalar(select(func.count()).select_from(Location))
        return users, locations


def test_backup_command_writes_a_private_archive_with_a_manifest(app, accounts, runner, tmp_path):
    add_locations(app, 3)
    result = runner.invoke("backup", "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    (archive,) = (tmp_path / "out").glob("hub-backup-*.tar.gz")
    assert str(archive) in result.output
    assert "copying SQLite database" in result.output or "pg_dump" in result.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    folder = unpack(archive, tmp_path / "unpacked")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == "community-hub-backup/1"
    assert manifest["database"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["instance"]["name"] == "Test Hub"
    assert manifest["revisions"] == latest_revisions(app)
    assert set(manifest["versions"]) >= {"community-hub"}
    database_file = "database.pgdump" if ON_POSTGRES else "database.sqlite3"
    assert set(manifest["files"]) == {database_file, "hub.toml", "signing_key.pem"}
    for name, entry in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert len(data) == entry["bytes"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    instance = Path(app.instance_path)
    assert (folder / "signing_key.pem").read_bytes() == (instance / "signing_key.pem").read_bytes()
    assert (folder / "hub.toml").read_text() == (instance / "hub.toml").read_text()


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite restore procedure")
def test_sqlite_backup_wipe_restore_brings_the_data_back(app, accounts, runner, tmp_path):
    add_locations(app, 5)
    before = counts(app)
    result = runner.invoke("backup", "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    (archive,) = (tmp_path / "out").glob("*.tar.gz")

    # Disaster: the instance folder is lost, database, config and key.
    instance = Path(app.instance_path)
    database_path = Path(make_url(app.config["DATABASE_URL"]).database)
    database(app).engine.dispose()
    shutil.rmtree(instance)
    for leftover in database_path.parent.glob(database_path.name + "*"):
        leftover.unlink()

    # The documented restore: unpack, put the files back, remove stale -wal/-shm, upgrade.
    folder = unpack(archive, tmp_path / "restore")
    instance.mkdir()
    shutil.copy2(folder / "hub.toml", instance / "hub.toml")
    shutil.copy2(folder / "signing_key.pem", instance / "signing_key.pem")
    shutil.copy2(folder / "database.sqlite3", database_path)
    restored = create_app(instance_path=instance)
    upgrade = runner.invoke("db", "upgrade")
    assert upgrade.exit_code == 0, upgrade.output

    assert counts(restored) == before
    with restored.test_client() as client:
        response = client.get("/api/v1/me", headers=accounts["admin"].headers)
    database(restored).engine.dispose()
    assert response.status_code == 200
    assert response.json["email"] == accounts["admin"].email


@pytest.mark.skipif(not ON_POSTGRES, reason="needs HUB_TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.skipif(shutil.which("pg_restore") is None, reason="pg_restore is not installed")
def test_postgres_backup_drop_restore_brings_the_data_back(app, accounts, runner, tmp_path):
    add_locations(app, 4)
    before = counts(app)
    result = runner.invoke("backup", "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    (archive,) = (tmp_path / "out").glob("*.tar.gz")

    url = make_url(app.config["DATABASE_URL"])
    schema = backup._search_path_schema(url.query["options"])
    database(app).engine.dispose()
    engine = create_engine(postgres_url())
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    folder = unpack(archive, tmp_path / "restore")
    libpq = url.set(drivername="postgresql", password=None, query={})
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={libpq.render_as_string(hide_password=False)}",
            str(folder / "database.pgdump"),
        ],
        check=True,
        capture_output=True,
    )
    engine.dispose()
    restored = create_app(instance_path=app.instance_path)
    assert counts(restored) == before
    database(restored).engine.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's online backup")
def test_sqlite_backup_finishes_while_the_server_keeps_writing(app, tmp_path):
    # About 8 MB: many pages, so a copy that restarted on every write would never catch up.
    note = "Ring the bell by the side door; the hall is upstairs. " * 8
    with database(app).engine.begin() as connection:
        connection.execute(
            insert(Location), [{"name": f"Before {i}", "notes": note} for i in range(16000)]
        )
    started, stop = threading.Event(), threading.Event()

    def keep_writing() -> None:
        # Bounded in count and time; a backup that needs the writes to stop fails the test.
        deadline = time.monotonic() + 20
        with app.app_context():
            session = get_session()
            for n in range(200_000):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                session.add(Location(name=f"During {n}"))
                session.commit()
                started.set()
                time.sleep(0)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert started.wait(10)
        archive = backup.create(app, tmp_path / "out")
        writing_throughout = writer.is_alive()
    finally:
        stop.set()
        writer.join()
    assert writing_throughout, "the backup only finished once the writes stopped"
    copy = unpack(archive, tmp_path / "unpacked") / "database.sqlite3"
    engine = create_engine(f"sqlite:///{copy}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        names = connection.execute(text("SELECT name FROM location")).scalars().all()
    engine.dispose()
    assert sum(name.startswith("Before") for name in names) == 16000
    assert any(name.startswith("During") for name in names)
    assert not list(copy.parent.glob("*-wal"))


def test_keep_prunes_the_oldest_archives(app, runner, tmp_path):
    import datetime as dt

    out = tmp_path / "out"
    first = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
    made = [backup.create(app, out, now=first + dt.timedelta(days=day)) for day in range(3)]
    result = runner.invoke("backup", "--output", str(out), "--keep", "2")
    assert result.exit_code == 0, result.output
    remaining = sorted(out.glob("hub-backup-*.tar.gz"))
    assert len(remaining) == 2
    assert made[2] in remaining
    assert not made[0].exists() and not made[1].exists()
    assert f"removed old backup {made[0].name}" in result.output


def test_pg_dump_missing_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    url = make_url("postgresql+psycopg://hub:s3cret@db.internal:5432/hub")
    with pytest.raises(backup.BackupError, match="pg_dump is not installed"):
        backup.pg_dump_command(url, tmp_path / "x.pgdump")


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_pg_dump_password_stays_off_the_command_line(tmp_path):
    url = make_url(
        "postgresql+psycopg://hub:s3cret@db.internal:5432/hub?options=-csearch_path%3Dtown"
    )
    command, env = backup.pg_dump_command(url, tmp_path / "x.pgdump")
    assert not any("s3cret" in part for part in command)
    assert env["PGPASSWORD"] == "s3cret"
    assert "--format=custom" in command
    assert "--schema=town" in command
    assert any(
        part.startswith("--dbname=postgresql://hub@db.internal:5432/hub") for part in command
    )


def test_cli_reports_a_missing_database_in_one_line(app, runner, tmp_path, monkeypatch):
    if ON_POSTGRES:
        monkeypatch.setenv("PATH", str(tmp_path))
        expected = "pg_dump is not installed"
    else:
        database(app).engine.dispose()
        Path(make_url(app.config["DATABASE_URL"]).database).unlink()
        expected = "does not exist"
    result = runner.invoke("backup", "--output", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not list((tmp_path / "out").glob("*.tar.gz"))


def test_an_unusable_output_folder_is_one_clear_error(app, runner, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backups folder should be")
    result = runner.invoke("backup", "--output", str(blocker / "backups"))
    assert result.exit_code == 1
    assert f"cannot write a backup to {blocker / 'backups'}" in result.output
    assert "Traceback" not in result.output
