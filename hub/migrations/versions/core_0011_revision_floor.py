"""a floor under the revisions this instance issues, raised by a restore

Revision ID: core_0011
Revises: core_0010
Create Date: 2026-12-02 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0011"
down_revision = "core_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("federation_state") as batch:
        batch.add_column(
            sa.Column("revision_floor", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("federation_state") as batch:
        batch.drop_column("revision_floor")
