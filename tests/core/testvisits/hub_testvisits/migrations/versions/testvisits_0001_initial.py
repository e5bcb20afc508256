"""testvisits initial

Revision ID: testvisits_0001
Revises:
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = 'testvisits_0001'
down_revision = None
branch_labels = ('testvisits',)
depends_on = None


def upgrade() -> None:
    op.create_table('testvisits_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('visitor', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_testvisits_visit_person_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_testvisits_visit'))
    )
    with op.batch_alter_table('testvisits_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_testvisits_visit_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('testvisits_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_testvisits_visit_person_id'))
    op.drop_table('testvisits_visit')
