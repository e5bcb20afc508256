"""federation: drop the index over summary signatures

Held summaries are found by origin, plugin and period (the unique key) rather
than by signature: keeping an index over random signatures cost an aggregator
more than verifying them did.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-25 14:05:00.000000
"""

from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("federation_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federation_summary_signature"))


def downgrade() -> None:
    with op.batch_alter_table("federation_summary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federation_summary_signature"), ["signature"], unique=False
        )
