"""codecommit repositories

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 18:26:24.175240
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "codecommit_repositories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("repository_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("default_branch", sa.String(length=256), nullable=True),
        sa.Column("kms_key_id", sa.String(length=2048), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("refs_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_codecommit_repositories_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codecommit_repositories")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_codecommit_repositories_account_id")
        ),
        sa.UniqueConstraint("repository_id", name=op.f("uq_codecommit_repositories_repository_id")),
    )
    with op.batch_alter_table("codecommit_repositories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_codecommit_repositories_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "codecommit_refs",
        sa.Column("repository_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_pk"],
            ["codecommit_repositories.id"],
            name=op.f("fk_codecommit_refs_repository_pk_codecommit_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("repository_pk", "name", name=op.f("pk_codecommit_refs")),
    )
    op.create_table(
        "codecommit_tags",
        sa.Column("repository_pk", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_pk"],
            ["codecommit_repositories.id"],
            name=op.f("fk_codecommit_tags_repository_pk_codecommit_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("repository_pk", "key", name=op.f("pk_codecommit_tags")),
    )


def downgrade() -> None:
    op.drop_table("codecommit_tags")
    op.drop_table("codecommit_refs")
    with op.batch_alter_table("codecommit_repositories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codecommit_repositories_account_id"))

    op.drop_table("codecommit_repositories")
