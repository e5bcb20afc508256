"""``hub foodbank ...``: the support policy's list and stock levels, from the command line."""

from __future__ import annotations

import datetime as dt

import click

from hub.plugin_api import get_session, today
from hub_foodbank import service, settings, stock


def _day(value: str | None) -> dt.date:
    if value is None:
        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(f"--today {value!r}: use YYYY-MM-DD") from None


@click.command("flagged")
@click.option("--today", default=None, help="Count back from this date (YYYY-MM-DD).")
def flagged(today: str | None) -> None:
    """Households that reached the support policy's number of parcels."""
    config = settings.current()
    found = service.flagged_households(get_session(), config, _day(today))
    click.echo(
        f"{len(found)} households with {config.policy_parcels} or more parcels "
        f"in {config.policy_days} days"
    )
    for household, count in found:
        click.echo(f"  {household.code:<10} {count} parcels")


@click.command("stock")
@click.option("--today", default=None, help="Date for the expiry window (YYYY-MM-DD).")
def stock_levels(today: str | None) -> None:
    """Stock on hand by category, with low-stock and expiry warnings."""
    for level in stock.levels(get_session(), settings.current(), _day(today)):
        flags = []
        if level.low:
            flags.append("LOW")
        if level.expiring:
            flags.append(f"{level.expiring_grams / 1000:.1f} kg close to expiry")
        click.echo(f"{level.label:<32} {level.on_hand / 1000:>9.1f} kg  {' '.join(flags)}".rstrip())


COMMANDS = (flagged, stock_levels)
