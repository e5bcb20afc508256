"""Backups: a consistent copy of a running instance, in one archive.

An archive holds the database (SQLite copied with SQLite's online backup API,
a consistent snapshot taken while the server goes on writing; PostgreSQL dumped with ``pg_dump``
in its custom format, itself a consistent snapshot), the instance's
``hub.toml`` and signing key, and ``manifest.json`` saying when it was made,
by which versions, at which migration revisions, with a SHA-256 of each file.
The archive holds secrets and personal data, so it is readable by its owner
only. :func:`restore` puts an archive back (``hub restore``, see ``docs/admin.md``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from hub import clock, config, migrate
from hub.db import database, get_session
from hub.federation import identity, store

FORMAT = "community-hub-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
SECRET_FILES = (config.CONFIG_FILE, identity.KEY_FILE)
ARCHIVE_GLOB = "hub-backup-*.tar.gz"

Progress = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup could not be made; the message says why and what to do."""


def create(
    app: Flask,
    output: Path,
    progress: Progress = lambda _msg: None,
    *,
    now: dt.datetime | None = None,
) -> Path:
    """Write a backup archive of ``app``'s instance into ``output``; return its path."""
    moment = now or dt.datetime.now(dt.UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    archive = output / f"hub-backup-{stamp}.tar.gz"
    if archive.exists():
        raise BackupError(f"{archive} already exists")
    output.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=output, prefix=".hub-backup-") as scratch:
        folder = Path(scratch) / f"hub-backup-{stamp}"
        folder.mkdir(mode=0o700)
        dump_database(app.config["DATABASE_URL"], folder, progress)
        instance = Path(app.instance_path)
        for name in SECRET_FILES:
            if (instance / name).exists():
                shutil.copy2(instance / name, folder / name)
        manifest = build_manifest(app, folder, moment)
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        progress("writing archive")
        _write_archive(folder, archive)
    return archive


def dump_database(url: str, folder: Path, progress: Progress) -> Path:
    """Copy the database at ``url`` into ``folder``, consistently, while it is in use."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _copy_sqlite(parsed, folder / SQLITE_FILE, progress)
    if backend == "postgresql":
        return _pg_dump(parsed, folder / POSTGRES_FILE, progress)
    raise BackupError(f"cannot back up a {backend!r} database")


def _copy_sqlite(url: URL, target: Path, progress: Progress) -> Path:
    source_path = Path(url.database or "")
    if not url.database or url.database == ":memory:" or not source_path.is_file():
        raise BackupError(f"SQLite database {source_path} does not exist")
    size_mb = source_path.stat().st_size / 1e6
    progress(f"copying SQLite database {source_path} ({size_mb:.1f} MB)")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # One step: in WAL mode (the hub's) the copy reads a single snapshot while writers
        # carry on. Copied in small steps instead, SQLite restarts the copy after every write
        # by another connection, and a busy instance's backup might never finish.
        source.backup(copy)
        progress("  database copied; checking it")
        # One self-contained file: no -wal beside it to lose when the archive is unpacked.
        copy.execute("PRAGMA journal_mode=DELETE")
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from None
    finally:
        copy.close()
        source.close()
    if check != "ok":
        raise BackupError(f"the copy failed SQLite's integrity check: {check}")
    target.chmod(0o600)
    return target


def pg_dump_command(url: URL, target: Path) -> tuple[list[str], dict[str, str]]:
    """The ``pg_dump`` command line and environment for ``url`` (the password
    goes in the environment, never on a command line others can read)."""
    executable = shutil.which("pg_dump")
    if executable is None:
        raise BackupError(
            "pg_dump is not installed: install the PostgreSQL client tools matching "
            "the server's version (Debian: apt install postgresql-client-15)"
        )
    schema = _search_path_schema(str(dict(url.query).get("options", "")))
    command = [
        executable,
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={target}",
    ]
    if schema:
        command.append(f"--schema={schema}")
    dbname, env = _libpq(url)
    return [*command, dbname], env


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """``--dbname=`` for PostgreSQL's own tools, and their environment with the password."""
    libpq = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, dict(url.query)
    )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return f"--dbname={libpq.render_as_string(hide_password=False)}", env


def _search_path_schema(options: str) -> str | None:
    # A URL with options=-csearch_path=NAME keeps the hub's tables in schema NAME.
    for part in options.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0].strip() or None
    return None


def _pg_dump(url: URL, target: Path, progress: Progress) -> Path:
    command, env = pg_dump_command(url, target)
    progress(f"dumping PostgreSQL database {url.database} with pg_dump")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupError(f"pg_dump failed: {lines[-1] if lines else 'no message'}")
    target.chmod(0o600)
    progress(f"  database dumped ({target.stat().st_size // 1024} KiB)")
    return target


def build_manifest(app: Flask, folder: Path, moment: dt.datetime) -> dict[str, Any]:
    """What the archive holds and what made it, for whoever restores it."""
    from hub import __version__

    plugins = app.extensions["hub.plugins"]
    return {
        "format": FORMAT,
        "created_at": moment.isoformat(timespec="seconds"),
        "instance": {
            "name": app.config["INSTANCE_NAME"],
            "base_url": app.config["BASE_URL"],
        },
        "database": make_url(app.config["DATABASE_URL"]).get_backend_name(),
        "versions": {
            "community-hub": __version__,
            **{name: plugins.records[name].version for name in plugins.enabled_names()},
        },
        "revisions": migration_revisions(app),
        "files": {
            path.name: {"bytes": path.stat().st_size, "sha256": _sha256(path)}
            for path in sorted(folder.iterdir())
        },
    }


def migration_revisions(app: Flask) -> dict[str, list[str]]:
    """Each component's current Alembic revision(s), as stored in the database."""
    found = {}
    with database(app).engine.connect() as connection:
        for component in migrate.components(app):
            context = MigrationContext.configure(
                connection, opts={"version_table": component.version_table}
            )
            found[component.name] = sorted(context.get_current_heads())
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_archive(folder: Path, archive: Path) -> None:
    partial = archive.with_name(archive.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with (
            os.fdopen(descriptor, "wb") as handle,
            tarfile.open(fileobj=handle, mode="w:gz", compresslevel=6) as tar,
        ):
            tar.add(folder, arcname=folder.name)
        # Renamed only when whole, so a crash never leaves a truncated archive under a good name.
        partial.replace(archive)
    finally:
        partial.unlink(missing_ok=True)


def prune(output: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives in ``output``; return those deleted."""
    archives = sorted(output.glob(ARCHIVE_GLOB))
    doomed = archives[:-keep] if keep > 0 else archives
    for path in doomed:
        path.unlink()
    return doomed


# --- restoring -------------------------------------------------------------------------


def restore(app: Flask, archive: Path, progress: Progress = lambda _msg: None) -> dict[str, Any]:
    """Put ``archive`` back into ``app``'s instance: its hub.toml and signing key,
    then its database (replacing the current one whole), brought up to the
    installed version. The caller holds the server lock: nothing else may use the
    database meanwhile. Returns the archive's manifest."""
    instance = Path(app.instance_path)
    with tempfile.TemporaryDirectory(dir=instance, prefix=".hub-restore-") as scratch:
        folder = _unpack(archive, Path(scratch), progress)
        manifest = _checked_manifest(app, folder)
        for name in SECRET_FILES:
            if (folder / name).exists():
                _replace_file(folder / name, instance / name)
        progress(f"restoring the {manifest['database']} database")
        database(app).engine.dispose()
        url = make_url(app.config["DATABASE_URL"])
        if manifest["database"] != url.get_backend_name():
            raise BackupError(
                f"the backup holds a {manifest['database']} database, but DATABASE_URL "
                f"is {url.get_backend_name()}: restore it onto a {manifest['database']} instance"
            )
        if manifest["database"] == "sqlite":
            _restore_sqlite(folder / SQLITE_FILE, Path(url.database or ""))
        else:
            _restore_postgres(app, url, folder / POSTGRES_FILE)
    progress("bringing the database up to the installed version")
    migrate.upgrade(app, progress=lambda msg: progress(f"  {msg}"))
    start_new_feed_epoch(app)
    return manifest


def start_new_feed_epoch(app: Flask) -> None:
    """A restored instance's feed counter goes back to where the backup left it:
    a new epoch makes every follower read the feed again from its start instead of
    skipping what is numbered below its old cursor. Its summaries' revisions went
    back too, so the revision floor rises above any issued since the backup: a
    follower that alone holds one of those takes the next revision as newer."""
    with app.app_context():
        session = get_session()
        state = store.lock_feed(session)
        store.rotate_epoch(state)
        store.raise_floor(state, clock.now())
        session.commit()


def _unpack(archive: Path, into: Path, progress: Progress) -> Path:
    progress(f"unpacking {archive}")
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{archive} is not a readable backup archive: {exc}") from None
    folders = [path for path in into.iterdir() if path.is_dir()]
    if len(folders) != 1 or not (folders[0] / MANIFEST).is_file():
        raise BackupError(f"{archive} is not a hub backup (no {MANIFEST})")
    return folders[0]


def _checked_manifest(app: Flask, folder: Path) -> dict[str, Any]:
    """The manifest, once every file matches its SHA-256 and every migration
    revision is known to the installed code (a backup from a newer version is refused)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise BackupError(f"the backup's {MANIFEST} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"the backup is not in the format {FORMAT}")
    for name, entry in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file() or _sha256(path) != entry.get("sha256"):
            raise BackupError(f"{name} in the backup is damaged (its SHA-256 does not match)")
    components = {component.name: component for component in migrate.components(app)}
    for name, revisions in manifest.get("revisions", {}).items():
        component = components.get(name)
        if component is None:
            continue  # a plugin not enabled here: its tables come back, unused
        scripts = ScriptDirectory.from_config(migrate._alembic_config(component, None))
        for revision in revisions:
            try:
                scripts.get_revision(revision)
            except CommandError:
                raise BackupError(
                    f"the backup was made by a newer version ({name} at revision {revision}): "
                    f"install at least community-hub {manifest['versions'].get('community-hub')}"
                ) from None
    return manifest


def _replace_file(source: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    partial.chmod(0o600)
    partial.replace(target)


def _restore_sqlite(source: Path, target: Path) -> None:
    # The server is stopped and every engine disposed: the -wal and -shm files belong
    # to the database being replaced, and would be read back into the restored one.
    _replace_file(source, target)
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)


def _restore_postgres(app: Flask, url: URL, dump: Path) -> None:
    """Empty the hub's schema of every table (those made after the backup too), then
    load the dump in one transaction."""
    executable = shutil.which("pg_restore")
    if executable is None:
        raise BackupError(
            "pg_restore is not installed: install the PostgreSQL client tools matching "
            "the server's version (Debian: apt install postgresql-client-15)"
        )
    engine = database(app).engine
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        for table in tables:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(table)} CASCADE")
    engine.dispose()
    dbname, env = _libpq(url)
    command = [
        executable,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        dbname,
        str(dump),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupError(f"pg_restore failed: {lines[-1] if lines else 'no message'}")
