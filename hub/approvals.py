"""Approval before publication (``PUBLISH_REQUIRES_APPROVAL``), as DHIS2 approves data
up its hierarchy: a coordinator reviews a period's figures and approves them, and
only figures exactly as approved are published.

An approval holds the digest of the figures it approved. When the records behind
an approved period change (a late parcel, a correction), the figures no longer
match that digest: the summary already published stands, and the new figures
wait for a new approval. Every approval is a row of its own, kept, and in the
audit log with who approved what.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hub.db import Model, utcnow
from hub.federation.models import Summary
from hub.metrics import Figures, compute
from hub.models import User
from hub.periods import Period


class FigureApproval(Model):
    """A coordinator's approval of one plugin's figures for one period."""

    __tablename__ = "figure_approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(10), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]]  # what was approved, to show beside a correction
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApprovalError(ValueError):
    """An approval that cannot be made (nothing to approve, figures changed meanwhile)."""


def digest(metrics: Mapping[str, int | None]) -> str:
    """The SHA-256 of the figures in a canonical form (sorted keys, no spaces)."""
    text = json.dumps(dict(metrics), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Review:
    """One plugin's figures for one period, and where they stand."""

    plugin: str
    period: str
    metrics: dict[str, int | None]
    digest: str
    approved: FigureApproval | None  # the latest approval, of these or of earlier figures

    @property
    def state(self) -> str:
        if self.approved is None:
            return "awaiting"
        return "approved" if self.approved.digest == self.digest else "corrected"

    @property
    def changed(self) -> list[str]:
        """Names whose figure differs from what was approved last (a correction)."""
        if self.approved is None:
            return []
        before = self.approved.metrics
        return sorted(
            n for n in set(self.metrics) | set(before) if before.get(n) != self.metrics.get(n)
        )


def required(app: Flask) -> bool:
    return bool(app.config["PUBLISH_REQUIRES_APPROVAL"])


def current_figures(app: Flask, session: Session) -> Figures:
    """What ``hub federation publish`` would compute now (every period, and those published)."""
    published: dict[str, list[Period]] = {}
    for plugin, period in session.execute(
        select(Summary.plugin, Summary.period).where(Summary.origin == app.config["BASE_URL"])
    ):
        published.setdefault(plugin, []).append(Period.parse(period))
    return compute(
        session,
        app.extensions["hub.plugins"],
        app.config["SUPPRESSION_THRESHOLD"],
        also=published,
    )


def latest_approvals(session: Session) -> dict[tuple[str, str], FigureApproval]:
    latest: dict[tuple[str, str], FigureApproval] = {}
    for row in session.scalars(select(FigureApproval).order_by(FigureApproval.id)):
        latest[(row.plugin, row.period)] = row
    return latest


def reviews(app: Flask, session: Session, figures: Figures | None = None) -> list[Review]:
    """Every current figure set with its approval state, months before weeks, newest first."""
    figures = figures or current_figures(app, session)
    latest = latest_approvals(session)
    found = [
        Review(
            f.plugin,
            str(f.period),
            f.metrics,
            digest(f.metrics),
            latest.get((f.plugin, str(f.period))),
        )
        for f in figures.figures
    ]
    return sorted(
        found,
        key=lambda r: (
            Period.parse(r.period).kind != "month",
            -Period.parse(r.period).start.toordinal(),
            r.plugin,
        ),
    )


def approved_only(
    session: Session, figures: Mapping[tuple[str, str], dict[str, int | None]]
) -> tuple[dict[tuple[str, str], dict[str, int | None]], int]:
    """The figures exactly as approved, and how many wait for an approval."""
    latest = latest_approvals(session)
    kept = {
        key: metrics
        for key, metrics in figures.items()
        if key in latest and latest[key].digest == digest(metrics)
    }
    return kept, len(figures) - len(kept)


def approve(
    app: Flask,
    session: Session,
    plugin: str,
    period: str,
    user: User,
    *,
    seen: str | None = None,
) -> FigureApproval:
    """Approve ``plugin``'s current figures for ``period`` as ``user``. With ``seen`` (the
    digest of the figures the coordinator reviewed), refuse if they changed meanwhile."""
    found = next(
        (r for r in reviews(app, session) if r.plugin == plugin and r.period == period), None
    )
    if found is None:
        raise ApprovalError(f"{plugin} has no figures for {period} to approve")
    if seen is not None and seen != found.digest:
        raise ApprovalError(
            f"the figures of {plugin} for {period} changed while you reviewed them: review them again"
        )
    if found.state == "approved":
        assert found.approved is not None
        return found.approved
    approval = FigureApproval(
        plugin=plugin,
        period=period,
        digest=found.digest,
        metrics=found.metrics,
        approved_by=user.id,
    )
    session.add(approval)  # the audit log records it, and who approved
    session.flush()
    return approval
