"""s3 objects and multipart uploads

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 09:10:41.730776
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "s3_objects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column(
            "key",
            sa.String(length=1024).with_variant(
                sa.String(length=1024, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("delete_marker", sa.Boolean(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("content_type", sa.String(length=256), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("checksums", sa.JSON(), nullable=False),
        sa.Column("parts_count", sa.Integer(), nullable=True),
        sa.Column("last_modified", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket"], ["s3_buckets.name"], name=op.f("fk_s3_objects_bucket_s3_buckets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_s3_objects")),
        sa.UniqueConstraint("bucket", "key", "version_id", name=op.f("uq_s3_objects_bucket")),
    )
    with op.batch_alter_table("s3_objects", schema=None) as batch_op:
        batch_op.create_index("ix_s3_objects_latest", ["bucket", "is_latest", "key"], unique=False)

    op.create_table(
        "s3_uploads",
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column(
            "key",
            sa.String(length=1024).with_variant(
                sa.String(length=1024, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("content_type", sa.String(length=256), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("checksum_algorithm", sa.String(length=16), nullable=True),
        sa.Column("initiator_arn", sa.String(length=2048), nullable=False),
        sa.Column("initiated", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket"], ["s3_buckets.name"], name=op.f("fk_s3_uploads_bucket_s3_buckets")
        ),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_s3_uploads")),
    )
    with op.batch_alter_table("s3_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_s3_uploads_bucket"), ["bucket"], unique=False)

    op.create_table(
        "s3_upload_parts",
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("checksums", sa.JSON(), nullable=False),
        sa.Column("last_modified", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["s3_uploads.upload_id"],
            name=op.f("fk_s3_upload_parts_upload_id_s3_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "part_number", name=op.f("pk_s3_upload_parts")),
    )


def downgrade() -> None:
    op.drop_table("s3_upload_parts")
    with op.batch_alter_table("s3_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_s3_uploads_bucket"))

    op.drop_table("s3_uploads")
    with op.batch_alter_table("s3_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_s3_objects_latest")

    op.drop_table("s3_objects")
