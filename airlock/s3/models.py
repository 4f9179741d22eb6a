"""S3 tables: buckets (one namespace across all accounts), tags, objects and uploads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Bucket(Base):
    """A bucket, owned by one account; `policy` is its resource-based policy."""

    __tablename__ = "s3_buckets"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    policy: Mapped[str | None] = mapped_column(Text, default=None)
    versioning: Mapped[str | None] = mapped_column(String(16), default=None)
    # The `ServerSideEncryptionConfiguration` rules; None is S3's default (SSE-S3).
    encryption: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    # The four Block Public Access flags; None when the bucket has no configuration.
    public_access_block: Mapped[dict[str, bool] | None] = mapped_column(JSON, default=None)
    # `ObjectOwnership` (BucketOwnerEnforced for new buckets); None once deleted.
    ownership: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime]


class BucketTag(Base):
    """A tag on a bucket."""

    __tablename__ = "s3_bucket_tags"

    bucket: Mapped[str] = mapped_column(
        ForeignKey("s3_buckets.name", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


# Keys sort as S3 sorts them: by their UTF-8 bytes (SQLite's default; "C" on PostgreSQL).
KeyType = String(1024).with_variant(String(1024, collation="C"), "postgresql")


class ObjectVersion(Base):
    """One version of an object, or a delete marker.

    An unversioned bucket keeps one version per key, with version id `null`, as S3
    does. The bytes are one or more blobs (`segments`: one per multipart part, in
    order), each referenced by this row alone.
    """

    __tablename__ = "s3_objects"
    __table_args__ = (
        UniqueConstraint("bucket", "key", "version_id"),
        Index("ix_s3_objects_latest", "bucket", "is_latest", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    bucket: Mapped[str] = mapped_column(ForeignKey("s3_buckets.name"))
    key: Mapped[str] = mapped_column(KeyType)
    version_id: Mapped[str] = mapped_column(String(64))
    is_latest: Mapped[bool]
    delete_marker: Mapped[bool] = mapped_column(default=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    etag: Mapped[str] = mapped_column(String(64), default="")
    # [[blob id, size, sha256], …]
    segments: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    content_type: Mapped[str | None] = mapped_column(String(256), default=None)
    # Content-Encoding, Cache-Control and the other stored system headers, by member name.
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON, default=dict)
    # The verified checksum the uploader sent, e.g. {"CRC32": "…"}.
    checksums: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    parts_count: Mapped[int | None] = mapped_column(default=None)
    last_modified: Mapped[datetime]


class MultipartUpload(Base):
    """A multipart upload in progress."""

    __tablename__ = "s3_uploads"

    upload_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[str] = mapped_column(ForeignKey("s3_buckets.name"), index=True)
    key: Mapped[str] = mapped_column(KeyType)
    content_type: Mapped[str | None] = mapped_column(String(256), default=None)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON, default=dict)
    checksum_algorithm: Mapped[str | None] = mapped_column(String(16), default=None)
    initiator_arn: Mapped[str] = mapped_column(String(2048))
    initiated: Mapped[datetime]


class UploadPart(Base):
    """One uploaded part (a later upload of the same number replaces it)."""

    __tablename__ = "s3_upload_parts"

    upload_id: Mapped[str] = mapped_column(
        ForeignKey("s3_uploads.upload_id", ondelete="CASCADE"), primary_key=True
    )
    part_number: Mapped[int] = mapped_column(primary_key=True)
    blob_id: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    etag: Mapped[str] = mapped_column(String(64))
    checksums: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    last_modified: Mapped[datetime]
