"""cloudwatch logs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 03:16:05.890171
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logs_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_logs_groups_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logs_groups")),
        sa.UniqueConstraint("account_id", "region", "name", name=op.f("uq_logs_groups_account_id")),
    )
    with op.batch_alter_table("logs_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_logs_groups_account_id"), ["account_id"], unique=False)

    op.create_table(
        "logs_streams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("first_event_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_event_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_ingestion_ms", sa.BigInteger(), nullable=True),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["logs_groups.id"],
            name=op.f("fk_logs_streams_group_id_logs_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logs_streams")),
        sa.UniqueConstraint("group_id", "name", name=op.f("uq_logs_streams_group_id")),
    )
    with op.batch_alter_table("logs_streams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_logs_streams_group_id"), ["group_id"], unique=False)

    op.create_table(
        "logs_tags",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["logs_groups.id"],
            name=op.f("fk_logs_tags_group_id_logs_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "key", name=op.f("pk_logs_tags")),
    )
    op.create_table(
        "logs_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("ingestion_ms", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["logs_streams.id"],
            name=op.f("fk_logs_events_stream_id_logs_streams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logs_events")),
    )
    with op.batch_alter_table("logs_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_logs_events_stream_id"), ["stream_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_logs_events_timestamp_ms"), ["timestamp_ms"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("logs_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_logs_events_timestamp_ms"))
        batch_op.drop_index(batch_op.f("ix_logs_events_stream_id"))

    op.drop_table("logs_events")
    op.drop_table("logs_tags")
    with op.batch_alter_table("logs_streams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_logs_streams_group_id"))

    op.drop_table("logs_streams")
    with op.batch_alter_table("logs_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_logs_groups_account_id"))

    op.drop_table("logs_groups")
