"""``hub approvals``: review and approve a period's figures before they are published."""

from __future__ import annotations

import json

import click
from sqlalchemy import func, select

from hub import approvals, audit, auth
from hub.db import get_session
from hub.models import User


@click.group("approvals")
def approvals_group() -> None:
    """Approve figures before publication (when PUBLISH_REQUIRES_APPROVAL is on)."""


@approvals_group.command("list")
@click.option("--all", "everything", is_flag=True, help="Approved figures too.")
@click.option("--json", "as_json", is_flag=True, help="One JSON list of reviews.")
def list_command(everything: bool, as_json: bool) -> None:
    """The figures waiting for approval: new periods, and corrections of approved ones."""
    from hub.cli import app_context

    with app_context() as app:
        found = [
            r for r in approvals.reviews(app, get_session()) if everything or r.state != "approved"
        ]
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "plugin": r.plugin,
                        "period": r.period,
                        "state": r.state,
                        "digest": r.digest,
                        "metrics": r.metrics,
                        "changed": r.changed,
                    }
                    for r in found
                ],
                indent=2,
            )
        )
        return
    if not found:
        click.echo("Nothing waits for approval.")
    for review in found:
        changed = f" (changed: {', '.join(review.changed)})" if review.changed else ""
        click.echo(f"{review.plugin} {review.period}: {review.state}{changed}")


@approvals_group.command("approve")
@click.argument("plugin")
@click.argument("period")
@click.option("--by", "email", required=True, help="The coordinator approving (their email).")
@click.option("--digest", default=None, help="Refuse unless the figures are still these.")
def approve_command(plugin: str, period: str, email: str, digest: str | None) -> None:
    """Approve PLUGIN's current figures for PERIOD, as the coordinator EMAIL."""
    from hub.cli import app_context

    with app_context() as app:
        session = get_session()
        user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None or not user.active or not auth.can(user, "metrics.approve"):
            raise click.ClickException(f"{email} is not a user who may approve figures")
        audit.set_actor(user.id, f"{user.email} (cli)")
        try:
            approval = approvals.approve(app, session, plugin, period, user, seen=digest)
        except approvals.ApprovalError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(f"Approved {plugin} {period} ({approval.digest[:12]}) as {user.email}.")
