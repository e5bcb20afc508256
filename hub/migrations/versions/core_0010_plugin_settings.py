"""plugin settings changed in pages

Revision ID: core_0010
Revises: core_0009
Create Date: 2026-12-02 15:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import hub.db

revision = "core_0010"
down_revision = "core_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plugin_setting",
        sa.Column("plugin", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plugin", "key", name=op.f("pk_plugin_setting")),
    )


def downgrade() -> None:
    op.drop_table("plugin_setting")
