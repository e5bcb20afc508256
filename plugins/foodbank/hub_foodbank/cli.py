"""``hub foodbank ...``: the support policy's list, stock levels, and a household's
export and erasure on request, from the command line."""

from __future__ import annotations

import datetime as dt
import json

import click
from sqlalchemy import select

from hub.plugin_api import get_session, today
from hub_foodbank import people, service, settings, stock
from hub_foodbank.models import Household


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


def _household(code: str) -> Household:
    found = get_session().scalar(
        select(Household).where(Household.code == service.normalise_code(code))
    )
    if found is None:
        raise click.ClickException(f"no household with code {code!r}")
    return found


@click.command("household-export")
@click.argument("code")
def household_export(code: str) -> None:
    """Print everything held about household CODE, as JSON (a subject access request)."""
    session = get_session()
    data = people.export_household(session, _household(code))
    session.commit()
    click.echo(json.dumps(data, indent=2))


@click.command("household-erase")
@click.argument("code")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def household_erase(code: str, yes: bool) -> None:
    """Erase household CODE's personal data everywhere; its parcels still count."""
    found = _household(code)
    if found.anonymised_at is not None:
        raise click.ClickException(f"household {code!r} was anonymised already")
    if not yes:
        click.confirm(f"Erase household {found.code}? This cannot be undone", abort=True)
    records = people.erase_household(get_session(), found)
    click.echo(f"Erased household {found.id}: {records} records blanked; it is {found.code} now")


COMMANDS = (flagged, stock_levels, household_export, household_erase)
