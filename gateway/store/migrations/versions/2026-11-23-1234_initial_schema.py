"""Initial schema: intake lineage, ERP orders and ledgers, commitments, shipments, exception cases,
the event outbox, outbound messages and control numbers.

Types are spelled out here (not imported from `gateway.store.base`) so this file keeps describing
the schema as it was created even when the models move on: the `StrEnumType` columns are
VARCHARs, `UTCDateTime` is `DateTime(timezone=True)`.

Revision ID: 3b17f482a1b2
Revises:
Create Date: 2026-11-23 12:34:24+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3b17f482a1b2"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# 64-bit keys; on SQLite only INTEGER PRIMARY KEY is the rowid (and autoincrements).
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE_CASE = "status IN ('open', 'acknowledged')"


def upgrade() -> None:
    op.create_table(
        "control_number",
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "kind", name=op.f("pk_control_number")),
    )
    op.create_table(
        "exception_case",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=True),
        sa.Column("line_number", sa.String(length=16), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("actual", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("impacted_production_orders", JSON, nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exception_case")),
    )
    op.create_index(op.f("ix_exception_case_partner_id"), "exception_case", ["partner_id"], unique=False)
    op.create_index(op.f("ix_exception_case_po_number"), "exception_case", ["po_number"], unique=False)
    op.create_index(
        "ix_exception_case_status_opened", "exception_case", ["status", "opened_at"], unique=False
    )
    op.create_index(
        "uq_exception_case_active_type_subject",
        "exception_case",
        ["type", "subject"],
        unique=True,
        postgresql_where=sa.text(ACTIVE_CASE),
        sqlite_where=sa.text(ACTIVE_CASE),
    )

    op.create_table(
        "outbound_message",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("interchange_control", sa.String(length=32), nullable=True),
        sa.Column("group_control", sa.String(length=32), nullable=True),
        sa.Column("set_controls", JSON, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("ack_document_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_message")),
    )
    op.create_index(
        "ix_outbound_message_partner_group", "outbound_message", ["partner_id", "group_control"], unique=False
    )
    op.create_index(
        "ix_outbound_message_partner_interchange",
        "outbound_message",
        ["partner_id", "interchange_control"],
        unique=False,
    )

    op.create_table(
        "outbox_event",
        sa.Column("cursor", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("schema_version", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("cursor", name=op.f("pk_outbox_event")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_outbox_event_partner_id"), "outbox_event", ["partner_id"], unique=False)

    op.create_table(
        "production_order",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("plant", sa.String(length=32), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_order")),
        sa.UniqueConstraint("order_id", name=op.f("uq_production_order_order_id")),
    )
    op.create_table(
        "purchase_order",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("plant", sa.String(length=32), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_on", sa.Date(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("partner_id", "po_number", name=op.f("uq_purchase_order_partner_id_po_number")),
    )
    op.create_index(op.f("ix_purchase_order_po_number"), "purchase_order", ["po_number"], unique=False)

    op.create_table(
        "receipt",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=512), nullable=True),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("duplicate_of_id", sa.String(length=36), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["receipt.id"], name=op.f("fk_receipt_duplicate_of_id_receipt")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt")),
    )
    op.create_index(op.f("ix_receipt_content_sha256"), "receipt", ["content_sha256"], unique=False)
    op.create_index(op.f("ix_receipt_partner_id"), "receipt", ["partner_id"], unique=False)

    op.create_table(
        "shipment",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("shipment_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("ship_on", sa.Date(), nullable=True),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("carrier", sa.String(length=32), nullable=True),
        sa.Column("tracking", sa.String(length=64), nullable=True),
        sa.Column("version_issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_sequence", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
        sa.UniqueConstraint("partner_id", "shipment_id", name=op.f("uq_shipment_partner_id_shipment_id")),
    )
    op.create_index(op.f("ix_shipment_document_id"), "shipment", ["document_id"], unique=False)

    op.create_table(
        "component_requirement",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("production_order_id", BIG_ID, nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("plant", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("need_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["production_order_id"],
            ["production_order.id"],
            name=op.f("fk_component_requirement_production_order_id_production_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component_requirement")),
    )
    op.create_index(
        "ix_component_requirement_item_plant", "component_requirement", ["item", "plant"], unique=False
    )
    op.create_index(
        op.f("ix_component_requirement_production_order_id"),
        "component_requirement",
        ["production_order_id"],
        unique=False,
    )

    op.create_table(
        "exception_history",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["exception_case.id"],
            name=op.f("fk_exception_history_case_id_exception_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exception_history")),
    )
    op.create_index(op.f("ix_exception_history_case_id"), "exception_history", ["case_id"], unique=False)

    op.create_table(
        "interchange",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("receipt_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("receiver", sa.String(length=64), nullable=False),
        sa.Column("control_number", sa.String(length=32), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("duplicate_of_id", sa.String(length=36), nullable=True),
        sa.Column("issues", JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["interchange.id"], name=op.f("fk_interchange_duplicate_of_id_interchange")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipt.id"], name=op.f("fk_interchange_receipt_id_receipt")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interchange")),
    )
    op.create_index(
        "ix_interchange_duplicate_lookup",
        "interchange",
        ["partner_id", "format", "control_number", "received_at"],
        unique=False,
    )
    op.create_index(op.f("ix_interchange_receipt_id"), "interchange", ["receipt_id"], unique=False)

    op.create_table(
        "purchase_order_line",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("purchase_order_id", BIG_ID, nullable=False),
        sa.Column("line_number", sa.String(length=16), nullable=False),
        sa.Column("buyer_item", sa.String(length=64), nullable=False),
        sa.Column("supplier_item", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("requested_on", sa.Date(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("ack_status", sa.String(length=32), nullable=True),
        sa.Column("committed_quantity", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("committed_on", sa.Date(), nullable=True),
        sa.Column("committed_price", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("commitment_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("commitment_sequence", sa.Integer(), nullable=True),
        sa.Column("shipped_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("received_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("ledger", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_order.id"],
            name=op.f("fk_purchase_order_line_purchase_order_id_purchase_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_line")),
        sa.UniqueConstraint(
            "purchase_order_id",
            "line_number",
            name=op.f("uq_purchase_order_line_purchase_order_id_line_number"),
        ),
    )
    op.create_index(
        op.f("ix_purchase_order_line_buyer_item"), "purchase_order_line", ["buyer_item"], unique=False
    )

    op.create_table(
        "shipment_line",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("shipment_id", BIG_ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.String(length=16), nullable=True),
        sa.Column("item", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=True),
        sa.Column("sscc", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipment.id"],
            name=op.f("fk_shipment_line_shipment_id_shipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_line")),
    )
    op.create_index("ix_shipment_line_po_line", "shipment_line", ["po_number", "line_number"], unique=False)
    op.create_index(op.f("ix_shipment_line_shipment_id"), "shipment_line", ["shipment_id"], unique=False)

    op.create_table(
        "commitment",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.String(length=16), nullable=True),
        sa.Column("purchase_order_line_id", BIG_ID, nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("unit", sa.String(length=8), nullable=True),
        sa.Column("committed_on", sa.Date(), nullable=True),
        sa.Column("price", sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("schedule", JSON, nullable=False),
        sa.Column("version_issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_sequence", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("is_stale", sa.Boolean(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_commitment_purchase_order_line_id_purchase_order_line"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment")),
    )
    op.create_index(op.f("ix_commitment_document_id"), "commitment", ["document_id"], unique=False)
    op.create_index(
        "ix_commitment_line_lookup", "commitment", ["partner_id", "po_number", "line_number"], unique=False
    )
    op.create_index(
        op.f("ix_commitment_purchase_order_line_id"), "commitment", ["purchase_order_line_id"], unique=False
    )

    op.create_table(
        "document",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("receipt_id", sa.String(length=36), nullable=True),
        sa.Column("interchange_id", sa.String(length=36), nullable=True),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("doc_type", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=True),
        sa.Column("group_control", sa.String(length=32), nullable=True),
        sa.Column("set_control", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("issues", JSON, nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interchange_id"], ["interchange.id"], name=op.f("fk_document_interchange_id_interchange")
        ),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipt.id"], name=op.f("fk_document_receipt_id_receipt")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    op.create_index(op.f("ix_document_interchange_id"), "document", ["interchange_id"], unique=False)
    op.create_index(op.f("ix_document_partner_id"), "document", ["partner_id"], unique=False)
    op.create_index(op.f("ix_document_receipt_id"), "document", ["receipt_id"], unique=False)

    op.create_table(
        "processing_step",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("receipt_id", sa.String(length=36), nullable=True),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("issues", JSON, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_processing_step_document_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipt.id"], name=op.f("fk_processing_step_receipt_id_receipt")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_step")),
    )
    op.create_index(op.f("ix_processing_step_document_id"), "processing_step", ["document_id"], unique=False)
    op.create_index(op.f("ix_processing_step_receipt_id"), "processing_step", ["receipt_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes; children before parents.
    for table in (
        "processing_step",
        "document",
        "commitment",
        "shipment_line",
        "purchase_order_line",
        "interchange",
        "exception_history",
        "component_requirement",
        "shipment",
        "receipt",
        "purchase_order",
        "production_order",
        "outbox_event",
        "outbound_message",
        "exception_case",
        "control_number",
    ):
        op.drop_table(table)
