"""federation: who may vouch (roles), statement order, operators' blocks

- ``federation_origin.role`` and ``federation_invite.role``: only an origin
  trusted as an aggregator may vouch for other ids. The aggregators this
  instance joined are aggregators; every other origin starts as an instance
  (an operator marks the aggregators it follows or lets join:
  ``hub federation role ID aggregator``).
- ``federation_origin.described_at``: the time of the statement a vouched
  descriptor came from, so that an older statement never replaces it.
- ``federation_block``: ids and keys an operator blocked, with the reason.
- ``federation_summary.revision`` is a 64-bit integer: a revision may be up to
  2^53 - 1, and PostgreSQL's ``integer`` stops at 2^31 - 1.
- Keys pinned before keys were checked that are not Ed25519 public keys of
  prime order are unpinned, with the summaries held under them: nothing could
  ever verify against them, and they failed every batch that met them.

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-11-27 10:00:00.000000
"""

import base64
import re

import sqlalchemy as sa
from alembic import op
from nacl.bindings import crypto_core_ed25519_is_valid_point

import hub.db

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None

KEY = re.compile(r"ed25519:([A-Za-z0-9_-]{43})")


def _is_key(text: str) -> bool:
    match = KEY.fullmatch(text)
    if match is None:
        return False
    raw = base64.urlsafe_b64decode(match[1] + "=")
    canonical = base64.urlsafe_b64encode(raw).decode().rstrip("=") == match[1]
    return canonical and crypto_core_ed25519_is_valid_point(raw)


def upgrade() -> None:
    with op.batch_alter_table("federation_origin", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), server_default="instance", nullable=False)
        )
        batch_op.add_column(sa.Column("described_at", sa.String(length=20), nullable=True))
    with op.batch_alter_table("federation_invite", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), server_default="instance", nullable=False)
        )
    with op.batch_alter_table("federation_summary", schema=None) as batch_op:
        batch_op.alter_column(
            "revision", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )
    op.create_table(
        "federation_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_block")),
        sa.UniqueConstraint("value", name=op.f("uq_federation_block_value")),
    )
    connection = op.get_bind()
    connection.execute(
        sa.text("UPDATE federation_origin SET role = 'aggregator' WHERE relation = 'aggregator'")
    )
    pinned = connection.execute(sa.text("SELECT origin, public_key FROM federation_origin"))
    for origin, key in pinned.all():
        if not _is_key(key):
            for table in ("federation_summary", "federation_origin"):
                connection.execute(
                    sa.text(f"DELETE FROM {table} WHERE origin = :origin"), {"origin": origin}
                )


def downgrade() -> None:
    op.drop_table("federation_block")
    with op.batch_alter_table("federation_summary", schema=None) as batch_op:
        batch_op.alter_column(
            "revision", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
    with op.batch_alter_table("federation_invite", schema=None) as batch_op:
        batch_op.drop_column("role")
    with op.batch_alter_table("federation_origin", schema=None) as batch_op:
        batch_op.drop_column("described_at")
        batch_op.drop_column("role")
