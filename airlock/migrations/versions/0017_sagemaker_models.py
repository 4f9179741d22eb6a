"""sagemaker models

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 12:12:31.885399
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sagemaker_models",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("containers", sa.JSON(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sagemaker_models_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_models")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_sagemaker_models_account_id")
        ),
        sa.UniqueConstraint("arn", name=op.f("uq_sagemaker_models_arn")),
    )
    with op.batch_alter_table("sagemaker_models", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_models_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sagemaker_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_models_account_id"))

    op.drop_table("sagemaker_models")
