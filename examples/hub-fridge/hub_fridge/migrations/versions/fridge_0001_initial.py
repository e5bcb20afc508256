"""fridge: donations and visits

Revision ID: fridge_0001
Revises:
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
from hub import plugin_api


revision = "fridge_0001"
down_revision = None
branch_labels = ("fridge",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fridge_donation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("grams", sa.Integer(), nullable=False),
        sa.Column("created_at", plugin_api.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fridge_donation")),
    )
    with op.batch_alter_table("fridge_donation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fridge_donation_given_on"), ["given_on"], unique=False)
    op.create_table(
        "fridge_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("created_at", plugin_api.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fridge_visit")),
    )
    with op.batch_alter_table("fridge_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fridge_visit_visited_on"), ["visited_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fridge_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fridge_visit_visited_on"))
    op.drop_table("fridge_visit")
    with op.batch_alter_table("fridge_donation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fridge_donation_given_on"))
    op.drop_table("fridge_donation")
