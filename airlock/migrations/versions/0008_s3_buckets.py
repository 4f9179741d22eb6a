"""s3 buckets

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 03:19:46.179221
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "s3_buckets",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("versioning", sa.String(length=16), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_s3_buckets_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_s3_buckets")),
    )
    with op.batch_alter_table("s3_buckets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_s3_buckets_account_id"), ["account_id"], unique=False)

    op.create_table(
        "s3_bucket_tags",
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket"],
            ["s3_buckets.name"],
            name=op.f("fk_s3_bucket_tags_bucket_s3_buckets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bucket", "key", name=op.f("pk_s3_bucket_tags")),
    )


def downgrade() -> None:
    op.drop_table("s3_bucket_tags")
    with op.batch_alter_table("s3_buckets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_s3_buckets_account_id"))

    op.drop_table("s3_buckets")
