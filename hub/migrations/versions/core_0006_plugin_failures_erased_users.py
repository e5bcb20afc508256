"""plugin failures, for hub plugins and the admin page; when a user's account was erased

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import hub.db

revision = "core_0006"
down_revision = "core_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plugin_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("part", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_failure")),
        sa.UniqueConstraint(
            "plugin", "version", "part", name=op.f("uq_plugin_failure_plugin_version_part")
        ),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", hub.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    op.drop_table("plugin_failure")
