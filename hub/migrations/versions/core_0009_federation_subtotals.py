"""federation: subtotals kept at ingest, each origin's disclosure threshold

- ``federation_subtotal``: per plugin, period and region, how many origins'
  summaries are held and what their cells add up to, metric by metric. Pages
  and the totals API read these instead of decoding every summary; they are
  updated in the same transaction as the summaries from now on, and built here
  from the summaries already held.
- ``federation_origin.threshold``: the disclosure threshold of the origin's
  descriptor (5 when it declares none of at least 3), so that adding up a
  suppressed cell never needs the whole descriptor.

The rule is the one ``hub/federation/aggregates.py`` applies (docs/federation.md
§9), written out here as it stood, so that this migration means the same later.

Revision ID: core_0009
Revises: core_0008
Create Date: 2026-12-02 14:00:00.000000
"""

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "core_0009"
down_revision = "core_0008"
branch_labels = None
depends_on = None

DEFAULT_THRESHOLD = 5


def _threshold(descriptor: Any) -> int:
    if isinstance(descriptor, str):
        descriptor = json.loads(descriptor)
    disclosure = (descriptor or {}).get("disclosure") or {}
    threshold = disclosure.get("threshold", DEFAULT_THRESHOLD)
    usable = isinstance(threshold, int) and not isinstance(threshold, bool) and threshold >= 3
    return threshold if usable else DEFAULT_THRESHOLD


def upgrade() -> None:
    with op.batch_alter_table("federation_origin", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("threshold", sa.Integer(), server_default="5", nullable=False)
        )
    subtotal = op.create_table(
        "federation_subtotal",
        sa.Column("plugin", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=False),
        sa.Column("origins", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("plugin", "period", "region", name=op.f("pk_federation_subtotal")),
        postgresql_with={"fillfactor": 50},
    )
    connection = op.get_bind()
    placed = {}
    for origin, region, descriptor in connection.execute(
        sa.text("SELECT origin, region, descriptor FROM federation_origin")
    ).all():
        placed[origin] = (region, _threshold(descriptor))
        connection.execute(
            sa.text("UPDATE federation_origin SET threshold = :threshold WHERE origin = :origin"),
            {"threshold": placed[origin][1], "origin": origin},
        )
    origins: dict[tuple[str, str, str], int] = defaultdict(int)
    cells: dict[tuple[str, str, str], dict[str, list[int]]] = defaultdict(dict)
    held = connection.execute(
        sa.text("SELECT origin, plugin, period, metrics FROM federation_summary")
    )
    for origin, plugin, period, metrics in held:
        if origin not in placed:
            continue  # an unpinned origin's summaries count nowhere
        region, threshold = placed[origin]
        key = (plugin, period, region)
        origins[key] += 1
        for name, figure in (json.loads(metrics) if isinstance(metrics, str) else metrics).items():
            tally = cells[key].setdefault(name, [0, 0, 0, 0])  # cells, suppressed, hidden, sum
            tally[0] += 1
            if figure is None:
                tally[1] += 1
                tally[2] += threshold - 1
            else:
                tally[3] += figure
    rows = [
        {"plugin": p, "period": q, "region": r, "origins": n, "metrics": cells[(p, q, r)]}
        for (p, q, r), n in origins.items()
    ]
    if rows:
        op.bulk_insert(subtotal, rows)


def downgrade() -> None:
    op.drop_table("federation_subtotal")
    with op.batch_alter_table("federation_origin", schema=None) as batch_op:
        batch_op.drop_column("threshold")
