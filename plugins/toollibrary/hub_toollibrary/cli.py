"""``hub toollibrary ...`` commands, run daily by deploy/'s timer."""

from __future__ import annotations

import click

from hub.plugin_api import get_session, today
from hub_toollibrary import service, settings


@click.command("expire-holds")
def expire_holds() -> None:
    """Pass holds not collected in time on to the next member in each queue."""
    expired = service.expire_holds(get_session(), today(), service.Policy.of(settings.current()))
    click.echo(f"{len(expired)} hold{'s' if len(expired) != 1 else ''} expired.")


COMMANDS = (expire_holds,)
