"""Goods receipts against PO lines (one row per ERP receipt id) and on-hand stock per item and plant.

Two new tables, nothing changed in the existing ones: safe to apply while the old code runs.

Revision ID: 7c2e91d4b5a3
Revises: 3b17f482a1b2
Create Date: 2026-11-23 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2e91d4b5a3"
down_revision: str | None = "3b17f482a1b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit keys; on SQLite only INTEGER PRIMARY KEY is the rowid (and autoincrements).
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "goods_receipt",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("receipt_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("po_number", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_receipt")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_goods_receipt_receipt_id")),
    )
    op.create_index(
        "ix_goods_receipt_po_line", "goods_receipt", ["partner_id", "po_number", "line_number"], unique=False
    )
    op.create_table(
        "stock_level",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("plant", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_level")),
        sa.UniqueConstraint("item", "plant", name=op.f("uq_stock_level_item_plant")),
    )


def downgrade() -> None:
    op.drop_table("stock_level")
    op.drop_index("ix_goods_receipt_po_line", table_name="goods_receipt")
    op.drop_table("goods_receipt")
