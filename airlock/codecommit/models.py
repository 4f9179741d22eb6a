"""CodeCommit tables: repositories, their refs and their tags, per account and region.

The database is the truth for a repository's metadata and for its refs (branch and
tag heads); the git objects live in the repository's bare directory on disk
(`storage.py`). A ref row changes in the same transaction as the event that reports
the change, so the two never disagree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Repository(Base):
    """A repository; its bare git directory is named by `repository_id`, not by its name."""

    __tablename__ = "codecommit_repositories"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    repository_id: Mapped[str] = mapped_column(String(36), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    default_branch: Mapped[str | None] = mapped_column(String(256), default=None)
    kms_key_id: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]
    # Bumped by every ref change: the on-disk refs mirror records the version it shows.
    refs_version: Mapped[int] = mapped_column(Integer, default=0)


class GitRef(Base):
    """A ref of a repository (`refs/heads/main`, `refs/tags/v1`) and the object it names."""

    __tablename__ = "codecommit_refs"

    repository_pk: Mapped[int] = mapped_column(
        ForeignKey("codecommit_repositories.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    target: Mapped[str] = mapped_column(String(64))


class RepositoryTag(Base):
    """A tag on a repository (kept by row, so a rename keeps its tags)."""

    __tablename__ = "codecommit_tags"

    repository_pk: Mapped[int] = mapped_column(
        ForeignKey("codecommit_repositories.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
