"""skillshare: running balances

Each movement keeps its account's balance after it, so a statement reads it instead of
adding up the account's past. Movements already there get theirs from the sum of their
account's movements up to them.

Revision ID: skillshare_0003
Revises: skillshare_0002
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = 'skillshare_0003'
down_revision = 'skillshare_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('skillshare_movement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('balance_after', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE skillshare_movement SET balance_after = ("
        " SELECT sum(earlier.minutes) FROM skillshare_movement AS earlier"
        " WHERE earlier.account_id = skillshare_movement.account_id"
        " AND earlier.id <= skillshare_movement.id)"
    )
    with op.batch_alter_table('skillshare_movement', schema=None) as batch_op:
        batch_op.alter_column('balance_after', existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('skillshare_movement', schema=None) as batch_op:
        batch_op.drop_column('balance_after')
