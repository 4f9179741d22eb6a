"""sagemaker model registry

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 09:54:19.568954
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sagemaker_tags",
        sa.Column("resource_arn", sa.String(length=256), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("resource_arn", "key", name=op.f("pk_sagemaker_tags")),
    )
    op.create_table(
        "sagemaker_model_package_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sagemaker_model_package_groups_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_model_package_groups")),
        sa.UniqueConstraint(
            "account_id",
            "region",
            "name",
            name=op.f("uq_sagemaker_model_package_groups_account_id"),
        ),
        sa.UniqueConstraint("arn", name=op.f("uq_sagemaker_model_package_groups_arn")),
    )
    with op.batch_alter_table("sagemaker_model_package_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_model_package_groups_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "sagemaker_model_packages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("approval_status", sa.String(length=32), nullable=True),
        sa.Column("approval_description", sa.String(length=1024), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("artifacts", sa.JSON(), nullable=False),
        sa.Column("client_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.Column("modified_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("modified_by", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sagemaker_model_packages_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["sagemaker_model_package_groups.id"],
            name=op.f("fk_sagemaker_model_packages_group_id_sagemaker_model_package_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_model_packages")),
        sa.UniqueConstraint("arn", name=op.f("uq_sagemaker_model_packages_arn")),
        sa.UniqueConstraint(
            "group_id", "version", name=op.f("uq_sagemaker_model_packages_group_id")
        ),
    )
    with op.batch_alter_table("sagemaker_model_packages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_model_packages_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sagemaker_model_packages_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "sagemaker_approval_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("principal_arn", sa.String(length=2048), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["sagemaker_model_packages.id"],
            name=op.f("fk_sagemaker_approval_history_package_id_sagemaker_model_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_approval_history")),
    )
    with op.batch_alter_table("sagemaker_approval_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_approval_history_package_id"), ["package_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sagemaker_approval_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_approval_history_package_id"))

    op.drop_table("sagemaker_approval_history")
    with op.batch_alter_table("sagemaker_model_packages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_model_packages_group_id"))
        batch_op.drop_index(batch_op.f("ix_sagemaker_model_packages_account_id"))

    op.drop_table("sagemaker_model_packages")
    with op.batch_alter_table("sagemaker_model_package_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_model_package_groups_account_id"))

    op.drop_table("sagemaker_model_package_groups")
    op.drop_table("sagemaker_tags")
