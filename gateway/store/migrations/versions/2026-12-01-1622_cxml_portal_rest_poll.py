"""cXML, portal webhooks and partner API polling: receipts keep their transport metadata; control
numbers widen to 255 characters (cXML payloadIDs and webhook ids are longer than ISA13); portal
webhook ids received; each poller's cursor.

Two new tables, one new nullable column and two widened columns: safe to apply while the old code
runs.

Revision ID: 5d0c2e7a9f14
Revises: 5af23f6998df
Create Date: 2026-12-01 16:22:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d0c2e7a9f14"
down_revision: str | None = "5af23f6998df"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("receipt") as batch:
        batch.add_column(sa.Column("transport", JSON, nullable=True))
    with op.batch_alter_table("interchange") as batch:
        batch.alter_column(
            "control_number",
            existing_type=sa.String(length=32),
            type_=sa.String(length=255),
            existing_nullable=False,
        )
    with op.batch_alter_table("document") as batch:
        batch.alter_column(
            "set_control",
            existing_type=sa.String(length=32),
            type_=sa.String(length=255),
            existing_nullable=True,
        )
    op.create_table(
        "portal_webhook",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("portal", sa.String(length=64), nullable=False),
        sa.Column("webhook_id", sa.String(length=255), nullable=False),
        sa.Column("receipt_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipt.id"], name=op.f("fk_portal_webhook_receipt_id_receipt")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_webhook")),
        sa.UniqueConstraint("portal", "webhook_id", name=op.f("uq_portal_webhook_portal_webhook_id")),
    )
    op.create_index(op.f("ix_portal_webhook_receipt_id"), "portal_webhook", ["receipt_id"], unique=False)
    op.create_table(
        "poll_cursor",
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.String(length=1024), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "resource", name=op.f("pk_poll_cursor")),
    )


def downgrade() -> None:
    op.drop_table("poll_cursor")
    op.drop_index(op.f("ix_portal_webhook_receipt_id"), table_name="portal_webhook")
    op.drop_table("portal_webhook")
    with op.batch_alter_table("document") as batch:
        batch.alter_column(
            "set_control",
            existing_type=sa.String(length=255),
            type_=sa.String(length=32),
            existing_nullable=True,
        )
    with op.batch_alter_table("interchange") as batch:
        batch.alter_column(
            "control_number",
            existing_type=sa.String(length=255),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
    with op.batch_alter_table("receipt") as batch:
        batch.drop_column("transport")
