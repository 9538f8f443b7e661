"""AS2 messages and MDNs kept for non-repudiation (raw bytes, MIC, disposition), and the transport
and MDN status of each outbound message.

Two new tables and two nullable columns on outbound_message: safe to apply while the old code runs.

Revision ID: 5af23f6998df
Revises: 773c75414cdd
Create Date: 2026-12-01 16:05:29+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5af23f6998df"
down_revision: str | None = "773c75414cdd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "as2_message",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("as2_from", sa.String(length=128), nullable=True),
        sa.Column("as2_to", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disposition", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("compressed", sa.Boolean(), nullable=False),
        sa.Column("mic", sa.String(length=128), nullable=True),
        sa.Column("mic_alg", sa.String(length=16), nullable=True),
        sa.Column("mdn_mode", sa.String(length=8), nullable=True),
        sa.Column("mdn_url", sa.String(length=1024), nullable=True),
        sa.Column("mdn_signed", sa.Boolean(), nullable=False),
        sa.Column("file_name", sa.String(length=512), nullable=True),
        sa.Column("content_type", sa.String(length=128), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("receipt_id", sa.String(length=36), nullable=True),
        sa.Column("outbound_message_id", sa.String(length=36), nullable=True),
        sa.Column("dedupe_key", sa.String(length=400), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbound_message_id"],
            ["outbound_message.id"],
            name=op.f("fk_as2_message_outbound_message_id_outbound_message"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipt.id"], name=op.f("fk_as2_message_receipt_id_receipt")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_as2_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_as2_message_dedupe_key")),
    )
    with op.batch_alter_table("as2_message", schema=None) as batch_op:
        batch_op.create_index("ix_as2_message_due", ["direction", "status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_as2_message_lookup", ["direction", "as2_from", "message_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_as2_message_outbound_message_id"), ["outbound_message_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_as2_message_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_as2_message_receipt_id"), ["receipt_id"], unique=False)

    op.create_table(
        "as2_mdn",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("as2_message_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("original_message_id", sa.String(length=255), nullable=True),
        sa.Column("disposition", sa.String(length=255), nullable=False),
        sa.Column("mic", sa.String(length=128), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=True),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["as2_message_id"], ["as2_message.id"], name=op.f("fk_as2_mdn_as2_message_id_as2_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_as2_mdn")),
    )
    with op.batch_alter_table("as2_mdn", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_as2_mdn_as2_message_id"), ["as2_message_id"], unique=False)
        batch_op.create_index("ix_as2_mdn_due", ["delivery", "next_attempt_at"], unique=False)

    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transport", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("mdn_status", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_column("mdn_status")
        batch_op.drop_column("transport")

    with op.batch_alter_table("as2_mdn", schema=None) as batch_op:
        batch_op.drop_index("ix_as2_mdn_due")
        batch_op.drop_index(batch_op.f("ix_as2_mdn_as2_message_id"))

    op.drop_table("as2_mdn")
    with op.batch_alter_table("as2_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_as2_message_receipt_id"))
        batch_op.drop_index(batch_op.f("ix_as2_message_partner_id"))
        batch_op.drop_index(batch_op.f("ix_as2_message_outbound_message_id"))
        batch_op.drop_index("ix_as2_message_lookup")
        batch_op.drop_index("ix_as2_message_due")

    op.drop_table("as2_message")
