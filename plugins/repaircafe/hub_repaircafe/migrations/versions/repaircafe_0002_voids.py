"""voids: a record entered in error is kept, with why, and counts no more

Revision ID: repaircafe_0002
Revises: repaircafe_0001
Create Date: 2026-12-02 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from hub import plugin_api

revision = "repaircafe_0002"
down_revision = "repaircafe_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repaircafe_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("voided_at", plugin_api.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("void_reason", sa.String(length=300), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("repaircafe_record", schema=None) as batch_op:
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
