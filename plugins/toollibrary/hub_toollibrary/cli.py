"""``hub toollibrary ...`` commands, run daily by deploy/'s timer."""

from __future__ import annotations

import click

from hub.plugin_api import MailError, get_session, mail_configured, mail_connection, today
from hub_toollibrary import reminders, service, settings


@click.command("expire-holds")
def expire_holds() -> None:
    """Pass holds not collected in time on to the next member in each queue."""
    expired = service.expire_holds(get_session(), today(), service.Policy.of(settings.current()))
    click.echo(f"{len(expired)} hold{'s' if len(expired) != 1 else ''} expired.")


@click.command("reminders")
def send_reminders() -> None:
    """Expire uncollected holds, then email due-soon and overdue reminders and hold-ready
    notices (once each); members without email, or all of them on a hub with no mail
    server, go on the Reminders page's phone list."""
    policy = service.Policy.of(settings.current())
    try:
        report = reminders.run(get_session(), mail_connection, today(), policy)
    except MailError as exc:
        raise click.ClickException(str(exc)) from None
    if not mail_configured():
        click.echo("No mail server is configured (MAIL_HOST in hub.toml): nobody is emailed.")
    click.echo(report.summary())
    if report.failures:
        raise SystemExit(1)


COMMANDS = (expire_holds, send_reminders)
