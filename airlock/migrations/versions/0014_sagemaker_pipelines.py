"""sagemaker pipelines

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 10:47:55.093763
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sagemaker_pipelines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.String(length=3072), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("role_arn", sa.String(length=2048), nullable=False),
        sa.Column("parallelism", sa.JSON(), nullable=True),
        sa.Column("client_token", sa.String(length=128), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.Column("modified_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("modified_by", sa.JSON(), nullable=False),
        sa.Column("last_run_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sagemaker_pipelines_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_pipelines")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_sagemaker_pipelines_account_id")
        ),
        sa.UniqueConstraint("arn", name=op.f("uq_sagemaker_pipelines_arn")),
    )
    with op.batch_alter_table("sagemaker_pipelines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_pipelines_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sagemaker_pipelines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_pipelines_account_id"))

    op.drop_table("sagemaker_pipelines")
