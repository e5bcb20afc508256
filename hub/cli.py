"""The ``hub`` command line.

Every command reads the instance from ``HUB_INSTANCE_PATH`` (default
``./instance``). Errors are one clear line on standard error and a non-zero
exit; long operations show progress on a terminal.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import secrets
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from hub import audit, auth, config, dbmove, doctor, migrate, people, scaffold, submissions
from hub.approvals_cli import approvals_group
from hub.config import ConfigError
from hub.db import database, describe_error, get_session
from hub.exchange import Exporter, Importer, ImportFileError, parse_options, run_import
from hub.federation.cli import federation
from hub.metrics import compute
from hub.models import ROLES, Person, User
from hub.periods import Period, PeriodError
from hub.plugin_manager import Failure, PluginError, PluginManager

T = TypeVar("T")
STOP_WAIT_SECONDS = 60


class HubGroup(click.Group):
    """The core's commands, plus ``hub <plugin> ...`` for enabled plugins' commands."""

    def _plugin_groups(self) -> dict[str, click.Command]:
        app = _create_app()
        database(app).engine.dispose()
        groups: dict[str, click.Command] = {}
        for name, commands in app.extensions["hub.cli_commands"]:
            group = click.Group(name, help=f"Commands of the {name} plugin.")
            for command in commands:
                group.add_command(_in_app_context(command))
            groups[name] = group
        return groups

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            plugin_groups = set(self._plugin_groups())
        except (ConfigError, PluginError, OSError):
            plugin_groups = set()  # `hub --help` still lists the core's commands
        return sorted(set(super().list_commands(ctx)) | plugin_groups)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        found = super().get_command(ctx, name)
        if found is not None:
            return found
        # A plugin's command: if the instance cannot start (a ConfigError, a PluginError),
        # main() says why in one line rather than "no such command".
        try:
            return self._plugin_groups().get(name)
        except OSError:
            return None


def _in_app_context(command: click.Command) -> click.Command:
    original = command.callback
    if original is None or isinstance(command, click.Group):
        return command

    @functools.wraps(original)
    def callback(*args: Any, **kwargs: Any) -> Any:
        with app_context():
            return original(*args, **kwargs)

    command.callback = callback
    return command


def _create_app() -> Flask:
    from hub import create_app

    return create_app()


@contextmanager
def app_context() -> Iterator[Flask]:
    """The instance's app, with changes attributed to the command line in the audit log."""
    app = _create_app()
    try:
        with app.app_context():
            audit.set_actor(None, f"cli ({Path(app.instance_path).name})")
            yield app
    finally:
        # Commands run in-process in tests and scripts: leave no connections open.
        database(app).engine.dispose()


def plugins_of(app: Flask) -> PluginManager:
    return app.extensions["hub.plugins"]


@click.group(cls=HubGroup)
@click.version_option(package_name="community-hub", prog_name="hub")
def cli() -> None:
    """Community Hub: self-hosted, federated software for community services."""


# --- setting up ---------------------------------------------------------------


def write_config(instance: Path, values: dict[str, Any]) -> None:
    lines = [
        "# Community Hub instance configuration. Every key can be overridden by HUB_<KEY>.",
        "# See docs/admin.md for each setting.",
    ]
    for key, value in values.items():
        lines.append(f"{key} = {_toml_value(value)}")
    path = instance / config.CONFIG_FILE
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)  # it holds the secret key


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def initialise(
    instance: Path, *, name: str, base_url: str, locality: dict[str, str], database_url: str = ""
) -> bool:
    """Create the instance folder, its config and signing key. False if it existed."""
    from hub.federation import identity

    instance.mkdir(parents=True, exist_ok=True)
    created = False
    if not (instance / config.CONFIG_FILE).exists():
        values: dict[str, Any] = {
            "INSTANCE_NAME": name,
            "BASE_URL": base_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "LOCALITY": locality,
        }
        if database_url:
            values["DATABASE_URL"] = database_url
        write_config(instance, values)
        created = True
    identity.ensure_keypair(instance)
    return created


@cli.command()
@click.option("--name", default="Community Hub", show_default=True, help="The group's name.")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="The public address of this instance: its identity in the network.",
)
@click.option("--town", default="", help="Town or city, for network dashboards.")
@click.option("--region", default="", help="Region (e.g. Wales, North West).")
@click.option("--country", default="GB", show_default=True)
@click.option("--database-url", default="", help="Leave empty for SQLite in the instance folder.")
def init(name: str, base_url: str, town: str, region: str, country: str, database_url: str) -> None:
    """Create the instance: folder, hub.toml, signing key and database."""
    from hub.federation import sync as federation_sync

    instance = config.instance_path_from_env()
    locality = {"town": town, "region": region, "country": country}
    created = initialise(
        instance, name=name, base_url=base_url, locality=locality, database_url=database_url
    )
    click.echo(f"{'Created' if created else 'Found'} instance at {instance}")
    with app_context() as app:
        migrate.upgrade(app, progress=lambda msg: click.echo(f"  {msg}"))
        federation_sync.pin_own_key(app)  # before anyone can join: the id is taken
    click.echo("Database is up to date. Next: hub user create EMAIL --role admin")


# --- database -----------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the core and every enabled plugin to their latest revision."""
    with app_context() as app:
        migrate.upgrade(app, progress=lambda msg: click.echo(msg))
    click.echo("Database is up to date.")


@db.command("status")
def db_status() -> None:
    """Say which components are behind their latest revision (exit 1 if any)."""
    with app_context() as app:
        behind = migrate.pending(app)
    if behind:
        raise click.ClickException(f"needs upgrade: {', '.join(behind)} (run: hub db upgrade)")
    click.echo("Database is up to date.")


db.add_command(dbmove.move_command)


@db.command("revision")
@click.option("--component", required=True, help="core, or a plugin's name.")
@click.option("-m", "--message", required=True)
def db_revision(component: str, message: str) -> None:
    """Autogenerate a migration for one component (for developers)."""
    with app_context() as app:
        try:
            migrate.revision(app, component, message)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None


# --- backups -----------------------------------------------------------------------


@cli.command("backup")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the archive. Default: backups/ in the instance folder.",
)
@click.option(
    "--keep", type=click.IntRange(1), default=None, help="Then keep only the newest N archives."
)
def backup_command(output: Path | None, keep: int | None) -> None:
    """A consistent backup of the running instance: database, hub.toml and signing key."""
    from hub import backup

    with app_context() as app:
        folder = output or Path(app.instance_path) / "backups"
        try:
            archive = backup.create(app, folder, progress=lambda msg: click.echo(msg, err=True))
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(
                f"cannot write a backup to {folder}: {exc.strerror}"
            ) from None
        doctor.record_run(get_session(), doctor.BACKUP_RUN, archive=str(archive))
        get_session().commit()
    if keep is not None:
        for old in backup.prune(folder, keep):
            click.echo(f"removed old backup {old.name}", err=True)
    click.echo(f"Backup written to {archive} (it holds secrets and personal data: keep it safe)")


@cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--stop", "stop_server", is_flag=True, help="Stop the running server first.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(archive: Path, stop_server: bool, yes: bool) -> None:
    """Replace this instance's database, hub.toml and signing key with a backup's.

    Refused while the server runs (stop it, or pass --stop). Everything since the
    backup was made is lost; followers of the feed read it again from its start."""
    from hub import backup

    app = _create_app()
    try:
        with instance_alone(app, stop_server):
            if not yes:
                click.confirm(
                    f"Replace the database of {app.instance_path} with {archive.name}? "
                    "Changes since that backup are lost",
                    abort=True,
                )
            try:
                manifest = backup.restore(app, archive, lambda msg: click.echo(msg, err=True))
            except backup.BackupError as exc:
                raise click.ClickException(str(exc)) from None
    finally:
        database(app).engine.dispose()
    click.echo(
        f"Restored the backup of {manifest['created_at']}. Start the server again "
        "(systemctl start hub); if the instance is in a network, run hub federation publish."
    )


@contextmanager
def instance_alone(app: Flask, stop_server: bool) -> Iterator[None]:
    """Hold the instance for a command that replaces its database (hub restore, hub db
    move): no server (``stop_server`` stops a running one) and no federation run."""
    from hub.federation.cli import run_lock

    with _stopped_server(app, stop_server), run_lock(app) as federation_free:
        if not federation_free:
            raise click.ClickException("a hub federation command is running; wait for it to finish")
        yield


@contextmanager
def _stopped_server(app: Flask, stop_server: bool) -> Iterator[None]:
    """Hold the server lock; with ``stop_server``, stop the server holding it first."""
    from hub import server

    deadline = time.monotonic() + STOP_WAIT_SECONDS
    with ExitStack() as held:
        while True:
            try:
                held.enter_context(server.instance_lock(app.instance_path))
                break
            except server.ServerRunning as running:
                if not stop_server or running.pid is None:
                    raise click.ClickException(
                        f"{running}: stop it first (systemctl stop hub), or pass --stop"
                    ) from None
                if time.monotonic() > deadline:
                    raise click.ClickException(f"{running} and did not stop in time") from None
                with suppress(ProcessLookupError):
                    os.kill(running.pid, signal.SIGTERM)
                time.sleep(0.2)
        yield


# --- running --------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Default: 2 per core, as many as the memory available holds, at most 8.",
)
@click.option("--dev", is_flag=True, help="Flask's development server, with reloading.")
def serve(host: str, port: int, workers: int | None, dev: bool) -> None:
    """Serve the instance with gunicorn (or Flask's server with --dev)."""
    from hub import server

    app = _create_app()
    with app.app_context():
        behind = migrate.pending(app)
    # Workers must not share the checker's connections across the fork.
    database(app).engine.dispose()
    if behind:
        raise click.ClickException(
            f"the database needs upgrading first: hub db upgrade ({', '.join(behind)})"
        )
    try:
        _serve(app, host=host, port=port, workers=workers, dev=dev)
    except server.ServerRunning as running:
        raise click.ClickException(f"{running}: this instance is already being served") from None


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Prepare the demo instance and stop.")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
def demo(host: str, port: int, no_serve: bool, dev: bool) -> None:
    """A ready instance with realistic demo data, served on http://127.0.0.1:5000."""
    from hub import demo as demo_data
    from hub import server
    from hub.federation import sync as federation_sync

    instance = config.instance_path_from_env()
    initialise(
        instance,
        name="Riverside Community Hub (demo)",
        base_url=f"http://{host}:{port}",
        locality={"town": "Riverside", "region": "Wales", "country": "GB"},
    )
    with app_context() as app:
        migrate.upgrade(app, progress=lambda msg: click.echo(msg))
        logins = demo_data.load(app, progress=lambda msg: click.echo(msg))
        # Publish, so /public and the network pages show the demo's figures at once.
        published = federation_sync.publish(app, plugins_of(app))
        click.echo(f"published summaries: {published.new} new, {published.revised} revised")
        report_failures(published.failures)
    click.echo(f"\nDemo instance at {instance}. Sign in at http://{host}:{port}/login with:")
    for role, (email, password) in logins.items():
        click.echo(f"  {role:<12} {email:<32} {password}")
    if not no_serve:
        # A demo serves a few people at a time: two workers, so it fits a 1 GB machine.
        demo_workers = min(DEMO_WORKERS, server.size_workers().workers)
        _serve(_create_app(), host=host, port=port, workers=demo_workers, dev=dev)


DEMO_WORKERS = 2


def _serve(app: Flask, *, host: str, port: int, workers: int | None, dev: bool) -> None:
    """Run the server, saying how many workers it runs and why."""
    from hub import server

    if not dev:
        sizing = server.size_workers(workers)
        click.echo(sizing.explain())
        workers = sizing.workers
    server.run(app, host=host, port=port, workers=workers, dev=dev)


# --- users and tokens -------------------------------------------------------


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cli.group()
def user() -> None:
    """Users who sign in."""


@user.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a user (the password is prompted for, or read with --password-stdin)."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise click.ClickException(f"{email!r} is not an email address")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = auth.validate_password(password, (email, name))
    if problem:
        raise click.ClickException(f"password {problem}")
    with app_context():
        session = get_session()
        if session.scalar(select(User).where(func.lower(User.email) == email)):
            raise click.ClickException(f"a user with email {email} already exists")
        session.add(
            User(email=email, name=name, role=role, password_hash=auth.hash_password(password))
        )
        session.commit()
    click.echo(f"Created {role} {email}")


@user.command("unlock")
@click.argument("email")
def user_unlock(email: str) -> None:
    """Let EMAIL sign in from any browser again after too many wrong passwords."""
    with app_context():
        session = get_session()
        forgotten = auth.unlock(email.strip())
        session.commit()
    click.echo(f"Unlocked {email.strip().lower()} ({forgotten} failed attempts forgotten)")


def _user(email: str) -> User:
    found = get_session().scalar(
        select(User).where(func.lower(User.email) == email.strip().lower())
    )
    if found is None:
        raise click.ClickException(f"no user with email {email}")
    return found


@user.command("export")
@click.argument("email")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
def user_export(email: str, output: Path | None) -> None:
    """Export everything held about the user EMAIL (a volunteer's subject access
    request): the account, its tokens, what they did, what every plugin links to them."""
    with app_context() as app:
        session = get_session()
        data = people.export_user(session, plugins_of(app), _user(email))
        session.commit()
    _write_json(data, output)


@user.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def user_erase(email: str, yes: bool) -> None:
    """Erase the user EMAIL's account everywhere: blanked, disabled, unlinked in every
    plugin; the records they made stay, so published figures do not change."""
    with app_context() as app:
        session = get_session()
        found = _user(email)
        if not yes:
            click.confirm(f"Erase the account of {found.email} from every service?", abort=True)
        try:
            touched = people.erase_user(session, plugins_of(app), found)
        except people.AccountError as exc:
            raise click.ClickException(str(exc)) from None
        erased = found.id
    click.echo(f"Erased user {erased} ({_touched(touched)})")


@cli.group()
def token() -> None:
    """API tokens for scripts and apps."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
@click.option(
    "--days",
    type=click.IntRange(1, auth.MAX_TOKEN_DAYS),
    default=None,
    help="How long it works. Default: the TOKEN_DAYS setting (90).",
)
def token_create(email: str, name: str, days: int | None) -> None:
    """Print a new API token for EMAIL (shown once; use it as 'Authorization: Bearer TOKEN')."""
    with app_context():
        session = get_session()
        found = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if found is None:
            raise click.ClickException(f"no user with email {email}")
        if not found.active:
            raise click.ClickException(f"{found.email} is disabled; enable the user first")
        new = auth.create_token(found, name, days)
        session.commit()
    click.echo(new)


# --- plugins and metrics ------------------------------------------------------------


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--all", "show_all", is_flag=True, help="Also the core's own default plugin.")
def plugins_command(as_json: bool, show_all: bool) -> None:
    """Each installed plugin: name, version, state, the metrics it publishes, and
    the parts of it that failed (in any process: the server's or a command's)."""
    from hub import plugin_status

    with app_context() as app:
        rows = plugin_status.overview(app, get_session(), include_defaults=show_all)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No plugins are installed.")
    for row in rows:
        click.echo(f"{row['name']:<14} {row['version'] or '-':<10} {row['state']}")
        if row["error"]:
            click.echo(f"    error: {row['error']}")
        if row["metrics"]:
            click.echo(f"    metrics: {', '.join(m['name'] for m in row['metrics'])}")
        for failure in row["failures"]:
            when = f", last {failure['last_at']}" if failure["last_at"] else ""
            click.echo(
                f"    failed: {failure['part']}: {failure['error']} ({failure['count']}x{when})"
            )


def report_failures(failures: list[Failure]) -> None:
    """Name each plugin that failed, on standard error, after the others' output."""
    for failure in failures:
        click.echo(f"error: {failure}", err=True)


@cli.command("metrics")
@click.option("--plugin", default=None, help="Only this plugin.")
@click.option("--period", default=None, help="An ISO week (2025-W07) or a month (2025-02).")
@click.option("--json", "as_json", is_flag=True)
def metrics_command(plugin: str | None, period: str | None, as_json: bool) -> None:
    """The figures this instance would publish, after disclosure control. A plugin
    whose figures cannot be computed is named (exit status 1); the others' are shown."""
    try:
        wanted = Period.parse(period) if period else None
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from None
    with app_context() as app:
        manager = plugins_of(app)
        if plugin is not None and plugin not in manager.enabled_names():
            raise click.ClickException(f"plugin {plugin!r} is not enabled")
        found = compute(
            get_session(),
            manager,
            app.config["SUPPRESSION_THRESHOLD"],
            plugin=plugin,
            period=wanted,
        )
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2))
    else:
        for each in found.figures:
            click.echo(f"{each.plugin} {each.period}")
            for name, value in each.metrics.items():
                click.echo(f"  {name:<40} {'suppressed' if value is None else value}")
    report_failures(found.failures)
    if found.failures:
        sys.exit(1)


# --- import and export --------------------------------------------------------------


def _find(app: Flask, hook: str, kind: type[T], wanted: str) -> T:
    found = plugins_of(app).formats(hook, kind)
    if wanted not in found:
        known = ", ".join(sorted(found)) or "none (no enabled plugin offers one)"
        raise click.ClickException(f"unknown format {wanted!r}; available: {known}")
    return found[wanted][1]


def progress_printer(label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress callback drawing a bar on a terminal, and a function to close it."""
    bar: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if "bar" not in bar:
            bar["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            bar["bar"].__enter__()
        bar["bar"].update(done - bar["bar"].pos)

    def close() -> None:
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)

    return progress, close


@cli.command("import")
@click.argument("format_name", metavar="FORMAT")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report problems; store nothing.")
@click.option(
    "--option", "options", multiple=True, metavar="KEY=VALUE", help="Format-specific options."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_command(
    format_name: str, file: Path, dry_run: bool, options: tuple[str, ...], as_json: bool
) -> None:
    """Import FILE in FORMAT (formats come from plugins, e.g. ords)."""
    extra = _parse_options(options)
    progress, close = progress_printer("Importing")
    with app_context() as app:
        importer = _find(app, "hub_importers", Importer, format_name)
        try:
            report = run_import(
                get_session(), importer, file, extra, dry_run=dry_run, progress=progress
            )
        except ImportFileError as exc:
            raise click.ClickException(f"{file}: {exc}") from None
        finally:
            close()
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
        return
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb}: {report.created} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.problems)} rows not taken"
    )
    for problem in report.problems[:50]:
        where = f" ({problem.field})" if problem.field else ""
        click.echo(f"  row {problem.row}{where}: {problem.message}")
    if len(report.problems) > 50:
        click.echo(f"  ... and {len(report.problems) - 50} more (use --json for all)")


def _parse_options(options: tuple[str, ...]) -> dict[str, str]:
    try:
        return parse_options(options)
    except ValueError as exc:
        raise click.ClickException(f"--option {exc}") from None


@cli.command("export")
@click.argument("format_name", metavar="FORMAT")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: standard output."
)
@click.option(
    "--option", "options", multiple=True, metavar="KEY=VALUE", help="Format-specific options."
)
def export_command(format_name: str, output: Path | None, options: tuple[str, ...]) -> None:
    """Export this instance's records in FORMAT (formats come from plugins)."""
    extra = _parse_options(options)
    with app_context() as app:
        exporter = _find(app, "hub_exporters", Exporter, format_name)
        if output is None:
            exporter.write(get_session(), sys.stdout, extra)
            return
        with output.open("w", newline="", encoding="utf-8") as stream:
            count = exporter.write(get_session(), stream, extra)
    click.echo(f"Wrote {count} records to {output}", err=True)


# --- personal data duties ---------------------------------------------------------


@cli.group()
def person() -> None:
    """Personal data duties: subject access and erasure."""


def _person(person_id: int) -> Person:
    found = get_session().get(Person, person_id)
    if found is None:
        raise click.ClickException(f"no person with id {person_id}")
    return found


@person.command("export")
@click.argument("person_id", metavar="ID", type=int)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
def person_export(person_id: int, output: Path | None) -> None:
    """Export everything held about person ID, from the core and every plugin, as JSON."""
    with app_context() as app:
        session = get_session()
        data = people.export(session, plugins_of(app), _person(person_id))
        session.commit()
    _write_json(data, output)


def _write_json(data: dict[str, Any], output: Path | None) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)


def _touched(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {count}" for name, count in counts.items()) or "no plugin records"


@person.command("erase")
@click.argument("person_id", metavar="ID", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def person_erase(person_id: int, yes: bool) -> None:
    """Erase person ID everywhere; anonymous figures are kept."""
    with app_context() as app:
        session = get_session()
        found = _person(person_id)
        if found.anonymised_at is not None:
            raise click.ClickException(f"person {person_id} was already erased")
        if not yes:
            click.confirm(
                f"Erase person {person_id} ({found.name}) from every service?", abort=True
            )
        touched = people.erase(session, plugins_of(app), found)
    click.echo(f"Erased person {person_id} ({_touched(touched)})")


@cli.command("retention")
@click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="For testing."
)
def retention_command(today: dt.datetime | None) -> None:
    """Anonymise people and records past their retention date (run it daily from cron);
    delete uploads abandoned on the imports page, and create forms' one-time tokens
    more than a day old."""
    from hub.web import imports

    day = today.date() if today else dt.date.today()
    with app_context() as app:
        session = get_session()
        anonymised = people.apply_retention(session, plugins_of(app), day)
        # Gone, not anonymised: reported apart so nobody reads them as people.
        deleted: dict[str, int] = {}
        uploads = Path(app.instance_path) / imports.UPLOADS
        if uploads.is_dir():
            deleted["abandoned uploads"] = imports.forget_old_uploads(uploads)
        deleted["form tokens"] = submissions.forget_old(session)
        doctor.record_run(session, doctor.RETENTION_RUN, anonymised=anonymised, deleted=deleted)
        session.commit()
    for heading, counts in (("Anonymised", anonymised), ("Deleted", deleted)):
        click.echo(f"{heading}: " + ", ".join(f"{name} {count}" for name, count in counts.items()))


cli.add_command(federation)
cli.add_command(approvals_group)
cli.add_command(doctor.doctor_command)
cli.add_command(scaffold.plugin)


def main() -> None:
    """Entry point of the ``hub`` console script: configuration and plugin
    errors become one line each and exit status 1, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"hub: configuration: {problem}", err=True)
        sys.exit(1)
    except PluginError as exc:
        click.echo(f"hub: {exc}", err=True)
        sys.exit(1)
    except migrate.MigrationError as exc:
        click.echo(f"hub: database: {exc}", err=True)
        sys.exit(1)
    except DBAPIError as exc:  # unreachable, never upgraded, or a migration refused
        click.echo(f"hub: database: {describe_error(exc)}", err=True)
        sys.exit(1)
