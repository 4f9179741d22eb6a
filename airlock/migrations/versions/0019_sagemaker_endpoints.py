"""sagemaker endpoints

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 12:57:50.892377
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sagemaker_endpoint_configs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sagemaker_endpoint_configs_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_endpoint_configs")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_sagemaker_endpoint_configs_account_id")
        ),
        sa.UniqueConstraint("arn", name=op.f("uq_sagemaker_endpoint_configs_arn")),
    )
    with op.batch_alter_table("sagemaker_endpoint_configs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_endpoint_configs_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "sagemaker_endpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.String(length=1024), nullable=True),
        sa.Column("config_name", sa.String(length=63), nullable=True),
        sa.Column("deployed", sa.JSON(), nullable=True),
        sa.Column("target_name", sa.String(length=63), nullable=True),
        sa.Column("target", sa.JSON(), nullable=True),
        sa.Column("deployment", sa.JSON(), nullable=True),
        sa.Column("last_deployment", sa.JSON(), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sagemaker_endpoints_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_endpoints")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_sagemaker_endpoints_account_id")
        ),
        sa.UniqueConstraint("arn", name=op.f("uq_sagemaker_endpoints_arn")),
    )
    with op.batch_alter_table("sagemaker_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_endpoints_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sagemaker_endpoints_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sagemaker_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_endpoints_status"))
        batch_op.drop_index(batch_op.f("ix_sagemaker_endpoints_account_id"))

    op.drop_table("sagemaker_endpoints")
    with op.batch_alter_table("sagemaker_endpoint_configs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_endpoint_configs_account_id"))

    op.drop_table("sagemaker_endpoint_configs")
