"""seed library: varieties and loans

Revision ID: seedlibrary_0001
Revises: 
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa
from hub import plugin_api


revision = 'seedlibrary_0001'
down_revision = None
branch_labels = ('seedlibrary',)
depends_on = None


def upgrade() -> None:
    op.create_table('seedlibrary_variety',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('crop', sa.String(length=20), nullable=False),
    sa.Column('packets_in_stock', sa.Integer(), nullable=False),
    sa.Column('saved_locally', sa.Boolean(), nullable=False),
    sa.Column('created_at', plugin_api.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seedlibrary_variety')),
    sa.UniqueConstraint('name', name=op.f('uq_seedlibrary_variety_name'))
    )
    op.create_table('seedlibrary_loan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variety_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('packets', sa.Integer(), nullable=False),
    sa.Column('lent_on', sa.Date(), nullable=False),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('packets_returned', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_seedlibrary_loan_person_id_person')),
    sa.ForeignKeyConstraint(['variety_id'], ['seedlibrary_variety.id'], name=op.f('fk_seedlibrary_loan_variety_id_seedlibrary_variety')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seedlibrary_loan'))
    )
    with op.batch_alter_table('seedlibrary_loan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seedlibrary_loan_lent_on'), ['lent_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_seedlibrary_loan_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seedlibrary_loan_returned_on'), ['returned_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_seedlibrary_loan_variety_id'), ['variety_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('seedlibrary_loan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seedlibrary_loan_variety_id'))
        batch_op.drop_index(batch_op.f('ix_seedlibrary_loan_returned_on'))
        batch_op.drop_index(batch_op.f('ix_seedlibrary_loan_person_id'))
        batch_op.drop_index(batch_op.f('ix_seedlibrary_loan_lent_on'))

    op.drop_table('seedlibrary_loan')
    op.drop_table('seedlibrary_variety')
