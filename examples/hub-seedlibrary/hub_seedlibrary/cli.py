"""``hub seedlibrary ...`` commands."""

from __future__ import annotations

import click
from sqlalchemy import select

from hub import plugin_api as api
from hub_seedlibrary.models import Variety


@click.command("low-stock")
@click.option("--below", default=3, show_default=True, type=click.IntRange(1), help="Packets.")
def low_stock(below: int) -> None:
    """List varieties with fewer than BELOW packets left, to ask members to save seed."""
    varieties = (
        api.get_session()
        .scalars(select(Variety).where(Variety.packets_in_stock < below).order_by(Variety.name))
        .all()
    )
    if not varieties:
        click.echo(f"Every variety has at least {below} packets.")
    for variety in varieties:
        click.echo(f"{variety.packets_in_stock:>3}  {variety.name}")
