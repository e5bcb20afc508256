"""federation: each pinned member's service directory, as last fetched during a sync

- ``federation_origin.directory``: the services the member's
  ``/public/directory.json`` lists under its own id, checked (hub/federation/directories.py).
- ``federation_origin.directory_at``: when it was last fetched and checked.

Revision ID: core_0014
Revises: core_0013
Create Date: 2026-12-02 16:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import hub.db

revision = "core_0014"
down_revision = "core_0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("federation_origin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("directory", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("directory_at", hub.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("federation_origin", schema=None) as batch_op:
        batch_op.drop_column("directory_at")
        batch_op.drop_column("directory")
