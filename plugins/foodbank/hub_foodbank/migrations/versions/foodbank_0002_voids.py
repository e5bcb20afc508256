"""voids: a record entered in error is kept, with why, and counts no more

Revision ID: foodbank_0002
Revises: foodbank_0001
Create Date: 2026-12-02 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from hub import plugin_api

revision = "foodbank_0002"
down_revision = "foodbank_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("foodbank_donation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("voided_at", plugin_api.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("void_reason", sa.String(length=300), nullable=False, server_default="")
        )
    with op.batch_alter_table("foodbank_parcel", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("voided_at", plugin_api.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("void_reason", sa.String(length=300), nullable=False, server_default="")
        )
    with op.batch_alter_table("foodbank_voucher", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("voided_at", plugin_api.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("void_reason", sa.String(length=300), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("foodbank_voucher", schema=None) as batch_op:
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
    with op.batch_alter_table("foodbank_parcel", schema=None) as batch_op:
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
    with op.batch_alter_table("foodbank_donation", schema=None) as batch_op:
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
