"""S3 tables: buckets (one namespace across all accounts) and their tags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
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
    created_at: Mapped[datetime]


class BucketTag(Base):
    """A tag on a bucket."""

    __tablename__ = "s3_bucket_tags"

    bucket: Mapped[str] = mapped_column(
        ForeignKey("s3_buckets.name", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
