"""The authorization server and Idempotency-Key: OAuth clients, issued access tokens, signing keys,
used client assertions (RFC 7523 replay protection), and the stored first answers to POSTs.

Five new tables and an index on `exception_case.document_id` (the trace from a document to the
cases it opened); nothing else changes: safe to apply while the old code runs.

Revision ID: 028af2e20996
Revises: 5d0c2e7a9f14
Create Date: 2026-12-01 16:05:16+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "028af2e20996"
down_revision: str | None = "5d0c2e7a9f14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oauth_client",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("auth_method", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=True),
        sa.Column("jwks", JSON, nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("(partner_id IS NULL) <> (role IS NULL)", name=op.f("ck_oauth_client_one_owner")),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_oauth_client")),
    )
    op.create_index(op.f("ix_oauth_client_partner_id"), "oauth_client", ["partner_id"], unique=False)
    op.create_table(
        "oauth_token",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["oauth_client.client_id"], name=op.f("fk_oauth_token_client_id_oauth_client")
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_oauth_token")),
    )
    op.create_index(op.f("ix_oauth_token_client_id"), "oauth_token", ["client_id"], unique=False)
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=16), nullable=False),
        sa.Column("public_jwk", JSON, nullable=False),
        sa.Column("private_jwe", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("retired_at", TIMESTAMP, nullable=True),
        sa.Column("publish_until", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_key")),
    )
    op.create_index(
        "uq_signing_key_active",
        "signing_key",
        ["active"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "oauth_client_assertion",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti", name=op.f("pk_oauth_client_assertion")),
    )
    op.create_index(
        op.f("ix_oauth_client_assertion_expires_at"), "oauth_client_assertion", ["expires_at"], unique=False
    )
    op.create_table(
        "idempotency_record",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("client_id", "key", name=op.f("pk_idempotency_record")),
    )
    op.create_index(
        op.f("ix_idempotency_record_created_at"), "idempotency_record", ["created_at"], unique=False
    )

    op.create_index(op.f("ix_exception_case_document_id"), "exception_case", ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_exception_case_document_id"), table_name="exception_case")
    op.drop_index(op.f("ix_idempotency_record_created_at"), table_name="idempotency_record")
    op.drop_table("idempotency_record")
    op.drop_index(op.f("ix_oauth_client_assertion_expires_at"), table_name="oauth_client_assertion")
    op.drop_table("oauth_client_assertion")
    op.drop_index("uq_signing_key_active", table_name="signing_key")
    op.drop_table("signing_key")
    op.drop_index(op.f("ix_oauth_token_client_id"), table_name="oauth_token")
    op.drop_table("oauth_token")
    op.drop_index(op.f("ix_oauth_client_partner_id"), table_name="oauth_client")
    op.drop_table("oauth_client")
