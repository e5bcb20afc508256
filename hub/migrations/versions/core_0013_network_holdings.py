"""federation: holdings kept at ingest, and a tag for the pinned descriptors

- ``federation_holding``: one row per pinned origin and plugin it holds
  summaries of, with the origin's label and region, so that ``/network`` reads a
  page of towns from an index in the order it shows them instead of probing
  every origin's summaries. Updated in the same transaction as the summaries
  from now on, and built here from what is held.
- ``federation_state.descriptors_tag``: changes whenever a pinned descriptor
  changes, arrives or goes, so each worker rereads the metric declarations of
  other instances' plugins only then (one indexed read per request).

Revision ID: core_0013
Revises: core_0012
Create Date: 2026-12-02 16:00:00.000000
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "core_0013"
down_revision = "core_0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    holding = op.create_table(
        "federation_holding",
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("plugin", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("origin", "plugin", name=op.f("pk_federation_holding")),
    )
    op.create_index(
        "ix_federation_holding_listed", "federation_holding", ["plugin", "label", "origin"]
    )
    op.create_index(
        "ix_federation_holding_region",
        "federation_holding",
        ["plugin", "region", "label", "origin"],
    )
    with op.batch_alter_table("federation_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("descriptors_tag", sa.String(length=32), server_default="", nullable=False)
        )
    connection = op.get_bind()
    # What aggregates.towns listed before: each pinned origin holding a summary of the
    # plugin, named by its town, else its name, else its id.
    held = connection.execute(
        sa.text(
            "SELECT DISTINCT o.origin, s.plugin, o.town, o.name, o.region "
            "FROM federation_origin o JOIN federation_summary s ON s.origin = o.origin"
        )
    )
    rows = [
        {
            "origin": origin,
            "plugin": plugin,
            "label": town or name or origin,
            "region": region,
        }
        for origin, plugin, town, name, region in held
    ]
    if rows:
        op.bulk_insert(holding, rows)
    connection.execute(
        sa.text("UPDATE federation_state SET descriptors_tag = :tag"), {"tag": secrets.token_hex(8)}
    )


def downgrade() -> None:
    with op.batch_alter_table("federation_state", schema=None) as batch_op:
        batch_op.drop_column("descriptors_tag")
    op.drop_index("ix_federation_holding_region", table_name="federation_holding")
    op.drop_index("ix_federation_holding_listed", table_name="federation_holding")
    op.drop_table("federation_holding")
