"""``hub doctor``: what needs doing on this instance, one line per finding.

Each check looks at something an admin would otherwise learn of from a failure:
the configuration, the database (reachable, migrated for the core and each
plugin), plugins that failed to load, who can read the files holding secrets and
personal data, free disk space, the clock against the peers this instance talks
to, backups, retention, and federation peers (last reached, what was refused).
Every finding says what to do. A healthy instance has none; the admin page
shows the same findings.

``hub backup`` and ``hub retention`` note each run in the audit log with
:func:`record_run`, which is how the doctor knows when they last ran.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import httpx
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hub import audit, backup, config, migrate
from hub.config import ConfigError
from hub.db import database, first_line, utcnow
from hub.federation import identity
from hub.federation.models import Peer, Refusal
from hub.federation.net import PeerError, resolve
from hub.models import AuditEntry
from hub.plugin_manager import PluginError

log = logging.getLogger(__name__)

# Audit entries of routine jobs: action "run", and the job as the entity.
RUN = "run"
BACKUP_RUN = "backup"
RETENTION_RUN = "retention"
DESCRIPTOR_PATH = "/.well-known/hub"
# How far back the audit log is searched for a backup's folder: further than any
# sensible backup age, and bounded so a long log is never read whole.
BACKUP_RECORDS = dt.timedelta(days=90)


@dataclass(frozen=True)
class Finding:
    """Something that needs doing: which check found it, what is wrong, what to do."""

    check: str
    problem: str
    action: str

    def __str__(self) -> str:
        return f"{self.check}: {self.problem} — {self.action}"

    def as_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Limits:
    """Where each check draws the line."""

    min_free_bytes: int = 1024**3
    backup_age: dt.timedelta = dt.timedelta(hours=48)
    retention_age: dt.timedelta = dt.timedelta(hours=48)
    peer_silence: dt.timedelta = dt.timedelta(hours=24)
    clock_skew: dt.timedelta = dt.timedelta(seconds=60)
    refusals_window: dt.timedelta = dt.timedelta(days=7)
    timeout: float = 5.0


def record_run(session: Session, job: str, **details: Any) -> None:
    """Note in the audit log that a routine job (``hub backup``, ``hub retention``)
    ran, even when it changed nothing: the doctor reads when each last did."""
    audit.record(session, RUN, job, **details)


@dataclass
class Case:
    """One examination: the instance, and what the checks learn on the way."""

    instance: Path
    limits: Limits
    now: dt.datetime
    app: Flask | None = None
    database_ready: bool = False
    backup_folders: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Where hub backup writes by default; the audit log adds where it wrote lately.
        self.backup_folders.append(self.instance / "backups")

    @cached_property
    def archives(self) -> list[Path]:
        found = {
            path
            for folder in self.backup_folders
            if folder.is_dir()
            for path in folder.glob(backup.ARCHIVE_GLOB)
        }
        return sorted(found, key=_made_at)


Check = Callable[[Case], Iterable[Finding]]


def examine_instance(instance: Path, limits: Limits | None = None) -> list[Finding]:
    """Everything that needs doing on the instance in ``instance``, even when its
    configuration is too broken for the hub to start."""
    from hub import create_app

    limits = limits or Limits()
    try:
        app = create_app(instance_path=instance)
    except ConfigError as exc:
        found = [
            Finding("configuration", problem, "correct it in hub.toml or its HUB_ variable")
            for problem in exc.problems
        ]
        return found + _run(Case(instance, limits, utcnow()), (_files, _disk))
    except PluginError as exc:
        found = [
            Finding(
                "plugins",
                f"the hub cannot start: {exc}",
                "take the plugin out of PLUGINS (or uninstall it) and tell its author",
            )
        ]
        return found + _run(Case(instance, limits, utcnow()), (_files, _disk))
    try:
        return examine(app, limits)
    finally:
        database(app).engine.dispose()


def examine(app: Flask, limits: Limits | None = None) -> list[Finding]:
    """Everything that needs doing on the instance ``app`` serves."""
    case = Case(Path(app.instance_path), limits or Limits(), utcnow(), app)
    found = _run(case, (_plugins, _database, _backups, _files, _disk))
    if case.database_ready:  # what the core's tables say: only once they are there
        found += _run(case, (_retention, _peers, _refusals, _clock))
    return found


def _run(case: Case, checks: Iterable[Check]) -> list[Finding]:
    found: list[Finding] = []
    for check in checks:
        try:
            found += check(case)
        except Exception as exc:  # one broken check must not hide what the others find
            log.exception("hub doctor: %s failed", check.__name__)
            found.append(
                Finding(
                    "doctor",
                    f"the {check.__name__.strip('_')} check failed: {type(exc).__name__}: {exc}",
                    "run hub doctor again; if it says the same, report it",
                )
            )
    return found


# --- the checks -------------------------------------------------------------------------


def _plugins(case: Case) -> Iterable[Finding]:
    assert case.app is not None
    for name, record in sorted(case.app.extensions["hub.plugins"].records.items()):
        if record.state == "failed":
            yield Finding(
                "plugins",
                f"{name} failed to load: {record.error}",
                "fix or reinstall it, or take it out of PLUGINS (hub plugins lists them all)",
            )


def _database(case: Case) -> Iterable[Finding]:
    assert case.app is not None
    url = make_url(case.app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        yield Finding(
            "database",
            f"the database file {url.database} does not exist",
            "restore it from a backup (docs/admin.md, Restoring), or correct DATABASE_URL",
        )
        return
    try:
        behind = migrate.pending(case.app)
    except DBAPIError as exc:
        yield Finding("database", f"cannot be reached: {first_line(exc)}", _reach_advice(url))
        return
    case.database_ready = migrate.CORE not in behind
    for name in behind:
        yield Finding(
            "database",
            f"{name} is not at its latest migration",
            "make a backup, then run: hub db upgrade",
        )


def _reach_advice(url: Any) -> str:
    if url.get_backend_name() == "sqlite":
        return "check that the hub's user owns the file and the folder it is in"
    return (
        "is PostgreSQL running (systemctl status postgresql)? "
        "Are the host, user and password in DATABASE_URL right?"
    )


def _session(case: Case) -> Session:
    assert case.app is not None
    return database(case.app).sessionmaker()


def _backups(case: Case) -> Iterable[Finding]:
    if case.database_ready:
        with _session(case) as session:
            recorded = session.scalars(
                select(AuditEntry.changes).where(
                    AuditEntry.action == RUN,
                    AuditEntry.entity == BACKUP_RUN,
                    AuditEntry.at >= case.now - BACKUP_RECORDS,
                )
            ).all()
        for changes in recorded:
            folder = Path(str(changes.get("archive", ""))).parent
            if folder not in case.backup_folders:
                case.backup_folders.append(folder)
    if not case.archives:
        where = ", ".join(str(folder) for folder in case.backup_folders)
        yield Finding(
            "backups",
            f"no backups found (looked in {where})",
            "run hub backup, and enable the nightly hub-backup.timer (docs/admin.md, Backups)",
        )
        return
    newest = case.archives[-1]
    age = case.now - _made_at(newest)
    if age > case.limits.backup_age:
        yield Finding(
            "backups",
            f"the newest backup is {_span(age)} old ({newest})",
            "see why the nightly backup stopped: systemctl status hub-backup.timer, "
            "journalctl -u hub-backup",
        )


def _made_at(archive: Path) -> dt.datetime:
    """When an archive was made: the time in its name (kept when it is copied)."""
    stamp = archive.name.removeprefix("hub-backup-").removesuffix(".tar.gz")
    try:
        return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return dt.datetime.fromtimestamp(archive.stat().st_mtime, dt.UTC)


def _files(case: Case) -> Iterable[Finding]:
    key = identity.key_path(case.instance)
    if not key.exists():
        yield Finding(
            "signing key",
            f"there is no signing key at {key}: the network knows this instance by it",
            "restore signing_key.pem from a backup (a new key makes it a stranger to its network)",
        )
    else:
        try:
            identity.load_private_key(case.instance)
        except (ValueError, OSError) as exc:
            yield Finding(
                "signing key",
                f"{key} cannot be read as an Ed25519 key: {exc}",
                "restore signing_key.pem from a backup",
            )
    private = [(case.instance / config.CONFIG_FILE, "secrets"), (key, "secrets")]
    private += [(archive, "secrets and personal data") for archive in case.archives]
    private += [(path, "personal data") for path in _sqlite_files(case)]
    for path, held in private:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0
        if mode & 0o077:
            yield Finding(
                "permissions",
                f"{path} can be read by {_who(mode)} (mode {mode:04o}); it holds {held}",
                f"chmod 600 {path}",
            )


def _sqlite_files(case: Case) -> list[Path]:
    """The SQLite database's file and the two SQLite keeps beside it, if SQLite it is."""
    if case.app is None:
        return []
    url = make_url(case.app.config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite" or not url.database:
        return []
    return [Path(url.database + suffix) for suffix in ("", "-wal", "-shm")]


def _who(mode: int) -> str:
    return "every user on the machine" if mode & 0o007 else "its group"


def _disk(case: Case) -> Iterable[Finding]:
    folders = [case.instance, *case.backup_folders, *(p.parent for p in _sqlite_files(case))]
    seen = set()
    for folder in folders:
        if not folder.is_dir() or folder.stat().st_dev in seen:
            continue
        seen.add(folder.stat().st_dev)
        free = shutil.disk_usage(folder).free
        if free < case.limits.min_free_bytes:
            yield Finding(
                "disk",
                f"only {_size(free)} free on the disk holding {folder}",
                "make room: keep fewer backups here (hub backup --keep N) and copy them off, "
                "trim old logs (journalctl --vacuum-size=200M)",
            )


def _retention(case: Case) -> Iterable[Finding]:
    with _session(case) as session:
        # Only recent entries are read: the audit log's time index keeps this cheap.
        last = session.scalar(
            select(func.max(AuditEntry.at)).where(
                AuditEntry.action == RUN,
                AuditEntry.entity == RETENTION_RUN,
                AuditEntry.at >= case.now - case.limits.retention_age,
            )
        )
    if last is None:
        yield Finding(
            "retention",
            f"hub retention has not run in the last {_span(case.limits.retention_age)}, so "
            "personal data past its retention date may still be held",
            "enable the daily hub-retention.timer (systemctl enable --now "
            "hub-retention.timer), or run hub retention daily from cron",
        )


def _peers(case: Case) -> Iterable[Finding]:
    with _session(case) as session:
        peers = session.scalars(select(Peer).order_by(Peer.direction, Peer.url)).all()
    status = "see hub federation status, and that hub-federation.timer is enabled"
    for peer in peers:
        role = "aggregator" if peer.direction == "push" else "followed feed"
        if peer.last_success_at is None:
            if peer.last_attempt_at is None:
                yield Finding(
                    "federation",
                    f"the {role} {peer.url} has not been tried yet",
                    f"run hub federation {'push' if peer.direction == 'push' else 'sync'}; "
                    f"{status}",
                )
            else:
                yield Finding(
                    "federation",
                    f"the {role} {peer.url} has never been reached: {peer.last_error}",
                    f"check its address and that it is up; {status}",
                )
        elif peer.failures:  # counted since the last success
            yield Finding(
                "federation",
                f"the {role} {peer.url} has failed {_times(peer.failures)} since it was last "
                f"reached {_span(case.now - peer.last_success_at)} ago: {peer.last_error}",
                f"check that it is up and reachable from here; {status}",
            )
        elif case.now - peer.last_success_at > case.limits.peer_silence:
            yield Finding(
                "federation",
                f"the {role} {peer.url} was last reached "
                f"{_span(case.now - peer.last_success_at)} ago",
                status,
            )


def _refusals(case: Case) -> Iterable[Finding]:
    since = case.now - case.limits.refusals_window
    with _session(case) as session:
        by_source = session.execute(
            select(Refusal.source, func.count(), func.max(Refusal.id))
            .where(Refusal.at >= since)
            .group_by(Refusal.source)
            .order_by(Refusal.source)
        ).all()
        for source, count, latest in by_source:
            reason = session.get(Refusal, latest).reason  # type: ignore[union-attr]
            yield Finding(
                "federation",
                f"refused {count} document{'s' if count > 1 else ''} from {source} in the last "
                f"{_span(case.limits.refusals_window)}, the latest because: {reason}",
                "see hub federation status; if the peer's key or address changed, ask its "
                "operator (docs/federation.md)",
            )


def _clock(case: Case) -> Iterable[Finding]:
    assert case.app is not None
    with _session(case) as session:
        urls = sorted(set(session.scalars(select(Peer.url))))
    if not urls:
        return
    allow_private = case.app.config["FEDERATION_ALLOW_PRIVATE"]
    with ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
        answers = list(pool.map(lambda url: _skew(url, allow_private, case.limits.timeout), urls))
    for url, (skew, error) in zip(urls, answers, strict=True):
        if error:
            yield Finding(
                "clock",
                f"could not ask {url} the time: {error}",
                "check the network; hub federation status shows how its exchanges go",
            )
        elif skew is not None and abs(skew) > case.limits.clock_skew:
            way = "behind" if skew > dt.timedelta(0) else "ahead of"
            yield Finding(
                "clock",
                f"this server's clock is {_span(abs(skew))} {way} {url}'s",
                "turn on time synchronisation (timedatectl set-ntp true): signed summaries, "
                "invites and sign-ins depend on the time",
            )


def _skew(url: str, allow_private: bool, timeout: float) -> tuple[dt.timedelta | None, str]:
    """How far the peer's clock (its HTTP ``Date``) is ahead of this one's, or why not known."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        resolve(parts.hostname or "", port, allow_private)
        sent = time.time()
        response = httpx.head(
            url + DESCRIPTOR_PATH, timeout=timeout, follow_redirects=False, trust_env=False
        )
        answered = time.time()
    except PeerError as exc:
        return None, str(exc)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    stamp = response.headers.get("Date")
    if not stamp:
        return None, ""
    try:
        theirs = parsedate_to_datetime(stamp)
    except (TypeError, ValueError):
        return None, f"it sent a Date header that is not a date: {stamp[:40]!r}"
    # Date is whole seconds, cut down: their time was, on average, half a second later.
    ours = dt.datetime.fromtimestamp((sent + answered) / 2, dt.UTC)
    return theirs + dt.timedelta(seconds=0.5) - ours, ""


# --- wording ------------------------------------------------------------------------------


def _span(span: dt.timedelta) -> str:
    seconds = round(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= 2 * size:
            return f"{round(seconds / size)} {unit}s"
    return f"{seconds} seconds"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _size(count: int) -> str:
    return f"{count / 1024**3:.1f} GB" if count >= 1024**3 else f"{count // 1024**2} MB"


# --- the command ------------------------------------------------------------------------------


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--min-free-mb",
    default=Limits.min_free_bytes // 1024**2,
    show_default=True,
    type=click.IntRange(0),
    help="Less free disk space than this is a finding.",
)
@click.option(
    "--timeout",
    default=Limits.timeout,
    show_default=True,
    type=click.FloatRange(0.1, 60),
    help="Seconds to wait for each peer when comparing clocks.",
)
def doctor_command(as_json: bool, min_free_mb: int, timeout: float) -> None:
    """Check the instance and say what needs doing, one line each (nothing when all is
    well); exit 1 if anything does."""
    limits = Limits(min_free_bytes=min_free_mb * 1024**2, timeout=timeout)
    findings = examine_instance(config.instance_path_from_env(), limits)
    if as_json:
        click.echo(json.dumps({"findings": [f.as_json() for f in findings]}, indent=2))
    else:
        for finding in findings:
            click.echo(str(finding))
    if findings:
        sys.exit(1)
