"""``hub federation ...``: invite, join, follow, publish, push, sync, status, and the
operator's actions: remove, block, unblock, unfollow, role.

publish, push and sync are safe to run from cron every few minutes: a run
that finds another still going leaves at once (exit 0, one line on standard
error), and every step is idempotent.
"""

from __future__ import annotations

import fcntl
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask

from hub.db import get_session
from hub.federation import directories, moderation, store, sync
from hub.federation.net import Client

LOCK_FILE = "federation.lock"


def _app_context() -> Any:
    from hub.cli import app_context

    return app_context()


@contextmanager
def run_lock(app: Flask) -> Iterator[bool]:
    """An exclusive lock on the instance's federation runs; yields whether it was taken."""
    path = Path(app.instance_path) / LOCK_FILE
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _client(app: Flask, timeout: float, retries: int) -> Client:
    return Client(
        allow_private=app.config["FEDERATION_ALLOW_PRIVATE"], timeout=timeout, retries=retries
    )


def network_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--timeout", default=10.0, show_default=True, help="Seconds to wait for a peer."
    )(command)
    return click.option(
        "--retries",
        default=2,
        show_default=True,
        type=click.IntRange(0, 10),
        help="Retries, with back-off, of a request that may succeed later.",
    )(command)


def _progress() -> tuple[Callable[[str, int], None], Callable[[], None]]:
    """Progress on a terminal (one updating line per peer); silent under cron."""
    shown = {"line": False}

    def progress(peer: str, count: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r  {peer}: {count} items", nl=False, err=True)
            shown["line"] = True

    def done() -> None:
        if shown["line"]:
            click.echo("", err=True)
            shown["line"] = False

    return progress, done


def _print_reports(reports: list[sync.PeerReport], verb: str) -> None:
    if not reports:
        click.echo(f"No peers to {verb}.")
    for report in reports:
        if report.skipped:
            click.echo(f"{report.url}: skipped, {report.error} (use --force to try now)")
            continue
        outcome = report.outcome
        line = (
            f"{report.url}: {outcome.accepted} new, {outcome.unchanged} unchanged, "
            f"{len(outcome.refused)} refused"
        )
        if verb == "push":
            line = f"{report.url}: sent {report.sent}, {outcome.accepted} new there, {len(outcome.refused)} refused"
        if not report.ok:
            line += f"; failed: {report.error}"
        click.echo(line)
        for reason in outcome.refused[:10]:
            click.echo(f"    refused: {reason}")


def _exit_status(reports: list[sync.PeerReport]) -> None:
    if any(not report.ok for report in reports):
        sys.exit(1)


@click.group("federation")
def federation() -> None:
    """Share signed, non-personal summaries with a network of hubs."""


def _role(aggregator: bool) -> str:
    return "aggregator" if aggregator else "instance"


AS_AGGREGATOR = click.option(
    "--aggregator",
    is_flag=True,
    help="Trust it as an aggregator: its statements vouch for its members' keys.",
)


@federation.command("invite")
@click.option("--note", default="", help="Who the invite is for.")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 365))
@AS_AGGREGATOR
def invite_command(note: str, days: int, aggregator: bool) -> None:
    """Print a one-time token a group uses to join this aggregator."""
    with _app_context() as app:
        session = get_session()
        token = sync.invite(session, note, days, _role(aggregator))
        session.commit()
        base = app.config["BASE_URL"]
    click.echo(token)
    click.echo(f"The group runs: hub federation join {base} {token}", err=True)


@federation.command("join")
@click.argument("aggregator_url")
@click.argument("token")
@network_options
def join_command(aggregator_url: str, token: str, timeout: float, retries: int) -> None:
    """Join the aggregator at AGGREGATOR_URL with an invite TOKEN."""
    with _app_context() as app, _client(app, timeout, retries) as client:
        session = get_session()
        try:
            peer = sync.join(app, session, client, aggregator_url, token)
        except sync.FederationError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(f"Joined {peer.name or peer.url} ({peer.url}). Next: hub federation push")


@federation.command("follow")
@click.argument("url")
@click.option("--expect-key", default=None, help="Refuse unless the peer's key is this one.")
@AS_AGGREGATOR
@network_options
def follow_command(
    url: str, expect_key: str | None, aggregator: bool, timeout: float, retries: int
) -> None:
    """Pull the feed of the instance or aggregator at URL from now on."""
    with _app_context() as app, _client(app, timeout, retries) as client:
        session = get_session()
        try:
            peer = sync.follow(app, session, client, url, expect_key, _role(aggregator))
        except sync.FederationError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(f"Following {peer.name or peer.url} ({peer.url}). Next: hub federation sync")


@contextmanager
def _locked_run(app: Flask) -> Iterator[None]:
    with run_lock(app) as taken:
        if not taken:
            click.echo("Another federation run is in progress; leaving it to finish.", err=True)
            sys.exit(0)
        yield


@federation.command("publish")
@click.option(
    "--offline",
    is_flag=True,
    help="Do not ask the aggregators which revisions they hold (only if they are gone for good).",
)
@network_options
def publish_command(offline: bool, timeout: float, retries: int) -> None:
    """Compute, sign and store this instance's summaries (new revisions only where changed)."""
    from hub.cli import plugins_of, report_failures

    with _app_context() as app, _locked_run(app), _client(app, timeout, retries) as client:
        from hub.federation.store import PublishReport

        learned = PublishReport()
        try:
            if not offline:
                sync.learn_own_revisions(app, client, learned)
            report = sync.publish(app, plugins_of(app))
        except sync.FederationError as exc:
            raise click.ClickException(str(exc)) from None
    if learned.adopted:
        click.echo(
            f"Took back {learned.adopted} newer revisions the aggregators held "
            "(this database was restored from a backup)."
        )
    click.echo(
        f"Published: {report.new} new, {report.revised} revised, {report.unchanged} unchanged."
    )
    if report.awaiting:
        click.echo(f"{report.awaiting} periods' figures await approval: see hub approvals list.")
    if report.failures:
        report_failures(report.failures)
        sys.exit(1)


@federation.command("push")
@click.option("--force", is_flag=True, help="Also try peers that are backing off after failures.")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 1000))
@network_options
def push_command(force: bool, batch: int, timeout: float, retries: int) -> None:
    """Send unsent summaries to every aggregator this instance joined."""
    _exchange("push", sync.push, timeout, retries, batch=batch, force=force)


@federation.command("sync")
@click.option("--force", is_flag=True, help="Also try peers that are backing off after failures.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 1000))
@network_options
def sync_command(force: bool, limit: int, timeout: float, retries: int) -> None:
    """Pull the changes feed of every followed instance and aggregator, then fetch the
    service directory of every member and followed instance."""
    _exchange(
        "sync", sync.sync, timeout, retries, then=directories.refresh, limit=limit, force=force
    )


def _exchange(
    direction: str,
    operation: Callable[..., Any],
    timeout: float,
    retries: int,
    then: Callable[[Flask, Client], Any] | None = None,
    **options: Any,
) -> None:
    """Run a push or a sync once, locked against overlapping runs, with progress; then
    ``then``, whose outcome is reported on a line of its own and never fails the run (a
    member's directory is extra: most members cannot be reached from outside)."""
    progress, done = _progress()
    extra = None
    with _app_context() as app, _locked_run(app), _client(app, timeout, retries) as client:
        try:
            reports = operation(app, client, progress=progress, **options)
        finally:
            done()
        if then is not None:
            extra = then(app, client)
    _print_reports(reports, direction)
    if extra is not None:
        click.echo(extra.line())
    _exit_status(reports)


@federation.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status_command(as_json: bool) -> None:
    """Each peer: last success, last error, lag and counts; who is trusted, who is blocked."""
    with _app_context() as app:
        found = sync.status(app)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    click.echo(
        f"{found['id']}: {found['summaries']} summaries held ({found['own_summaries']} own), "
        f"{found['origins']} origins pinned, {found['refusals']} documents refused"
    )
    trusted = found["trusted"]
    relations = ", ".join(
        f"{sum(t['relation'] == relation for t in trusted)} {label}"
        for relation, label in (
            ("member", "members"),
            ("followed", "followed"),
            ("aggregator", "joined"),
        )
    )
    aggregators = [t["id"] for t in trusted if t["role"] == "aggregator"]
    click.echo(f"Trusted directly: {relations}; as aggregators: {', '.join(aggregators) or 'none'}")
    for block in found["blocks"]:
        click.echo(f"Blocked {block['value']} since {block['at']}: {block['reason']}")
    if not found["peers"]:
        click.echo("No peers yet: hub federation join URL TOKEN, or hub federation follow URL.")
    for peer in found["peers"]:
        lag = "never" if peer["lag_seconds"] is None else f"{peer['lag_seconds']}s ago"
        click.echo(f"{peer['direction']:<5} {peer['url']} ({peer['role']})  last success {lag}")
        counts = (
            f"received {peer['received']}, accepted {peer['accepted']}, refused {peer['refused']}"
        )
        if peer["direction"] == "push":
            counts = f"sent {peer['sent']}, unsent {peer['unsent']}, refused {peer['refused']}"
        click.echo(f"      {counts}")
        if peer["last_error"]:
            click.echo(f"      last error ({peer['last_error_at']}): {peer['last_error']}")


@contextmanager
def _moderating() -> Iterator[tuple[Any, store.Node]]:
    """A session and this instance, for an operator's action; committed if it succeeds."""
    with _app_context() as app:
        session = get_session()
        try:
            yield session, store.Node.of(app)
        except moderation.ModerationError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()


def _unpinned(count: int) -> str:
    return f"{count} pinned {'origin' if count == 1 else 'origins'} forgotten, with their summaries"


@federation.command("remove")
@click.argument("instance_id")
def remove_command(instance_id: str) -> None:
    """Remove the member (or other instance) INSTANCE_ID and what is held for it."""
    with _moderating() as (session, node):
        gone = moderation.remove(session, node, instance_id)
    click.echo(f"Removed {instance_id}: {_unpinned(gone)}. It may join again with a new invite.")


@federation.command("block")
@click.argument("id_or_key")
@click.option("--reason", required=True, help="Why: kept, shown in status and in the log.")
def block_command(id_or_key: str, reason: str) -> None:
    """Block an instance id or a public key (ed25519:...): never pinned again."""
    with _moderating() as (session, node):
        gone = moderation.block(session, node, id_or_key, reason)
    click.echo(f"Blocked {id_or_key}: {_unpinned(gone)}.")


@federation.command("unblock")
@click.argument("id_or_key")
def unblock_command(id_or_key: str) -> None:
    """Lift a block (nothing is pinned again until it joins or is followed)."""
    with _moderating() as (session, _node):
        moderation.unblock(session, id_or_key)
    click.echo(f"Unblocked {id_or_key}.")


@federation.command("unfollow")
@click.argument("url")
def unfollow_command(url: str) -> None:
    """Stop pulling URL's feed, and forget it unless it is also a member."""
    with _moderating() as (session, _node):
        gone = moderation.unfollow(session, url)
    click.echo(f"No longer following {url}: {_unpinned(gone)}.")


@federation.command("role")
@click.argument("instance_id")
@click.argument("role", type=click.Choice(store.ROLES))
def role_command(instance_id: str, role: str) -> None:
    """Trust INSTANCE_ID as an aggregator (it may vouch for other ids) or an instance."""
    with _moderating() as (session, node):
        origin = moderation.set_role(session, node, instance_id, role)
    click.echo(f"{origin} is trusted here as an {role}.")


@federation.command("verify")
@click.argument("evidence", type=click.File("rb"))
def verify_command(evidence: Any) -> None:
    """Check the signed summaries of an evidence report (its evidence.json): each digest
    is the SHA-256 of its signed bytes, each signature is its origin's, and each says what
    the report lists. Needs no database: anyone can run it on a downloaded file."""
    import hashlib
    import json

    from nacl.signing import VerifyKey

    from hub.federation.documents import Refused, parse_json, verify_bytes
    from hub.federation.identity import raw_public_key

    try:
        document = json.loads(evidence.read())
        origins = document["origins"]
        items = document["summaries"]
    except (ValueError, KeyError, TypeError):
        raise click.ClickException(
            "not an evidence file: download /public/report/evidence.json"
        ) from None
    problems, checked = [], 0
    for item in items:
        where = f"{item.get('origin')} {item.get('plugin')} {item.get('period')}"
        try:
            payload = item["signed"]["payload"]
            key = raw_public_key(origins[item["origin"]]["public_key"])
            verify_bytes(payload.encode(), item["signed"]["signature"], VerifyKey(key))
            if hashlib.sha256(payload.encode()).hexdigest() != item["digest"]:
                raise Refused("the digest is not that of the signed bytes")
            signed = parse_json(payload)
            for field in ("origin", "plugin", "period", "revision"):
                if signed.get(field) != item[field]:
                    raise Refused(
                        f"the signed {field} is {signed.get(field)!r}, not {item[field]!r}"
                    )
            checked += 1
        except (Refused, KeyError, TypeError) as exc:
            problems.append(f"{where}: {exc}")
    for origin, described in sorted(origins.items()):
        click.echo(
            f"{origin} signs with {described.get('public_key')}: compare with its /.well-known/hub"
        )
    for problem in problems:
        click.echo(f"NOT VERIFIED {problem}", err=True)
    click.echo(f"{checked} of {len(items)} summaries verified.")
    if problems:
        sys.exit(1)
