"""``hub skillshare ...``: expiring unconfirmed exchanges, checking the ledger."""

from __future__ import annotations

import click

from hub import plugin_api as api
from hub_skillshare import ledger, service


@click.command("expire")
def expire() -> None:
    """Mark exchanges nobody confirmed in time as expired (run it daily from cron)."""
    count = service.expire(api.get_session())
    click.echo(f"{count} unconfirmed exchange{'s' if count != 1 else ''} expired.")


@click.command("check")
def check() -> None:
    """Check that the ledger adds up: every exchange and the whole ledger sum to zero,
    every balance equals its movements, and nothing was posted twice."""
    found = ledger.problems(api.get_session())
    if found:
        raise click.ClickException("the ledger does not add up: " + "; ".join(found))
    click.echo("The ledger adds up.")


COMMANDS = (expire, check)
