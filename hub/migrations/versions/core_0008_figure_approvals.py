"""figure approvals: a coordinator's approval of a period's figures before they are published

Revision ID: core_0008
Revises: core_0007
Create Date: 2026-12-02 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import hub.db

revision = "core_0008"
down_revision = "core_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "figure_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["user.id"], name=op.f("fk_figure_approval_approved_by_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_approval")),
    )
    with op.batch_alter_table("figure_approval", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_figure_approval_period"), ["period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("figure_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_figure_approval_period"))
    op.drop_table("figure_approval")
