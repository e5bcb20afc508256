"""wanted: the categories of thing a tool library asks to be given, published as needs

Revision ID: toollibrary_0002
Revises: toollibrary_0001
Create Date: 2026-12-03 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from hub import plugin_api

revision = "toollibrary_0002"
down_revision = "toollibrary_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "toollibrary_wanted",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", plugin_api.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_toollibrary_wanted")),
    )
    with op.batch_alter_table("toollibrary_wanted", schema=None) as batch_op:
        batch_op.create_index(
            "uq_toollibrary_wanted_open_category",
            ["category"],
            unique=True,
            sqlite_where=sa.text("closed_on IS NULL"),
            postgresql_where=sa.text("closed_on IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("toollibrary_wanted", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_toollibrary_wanted_open_category",
            sqlite_where=sa.text("closed_on IS NULL"),
            postgresql_where=sa.text("closed_on IS NULL"),
        )
    op.drop_table("toollibrary_wanted")
