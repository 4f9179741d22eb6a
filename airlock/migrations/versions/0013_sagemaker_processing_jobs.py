"""sagemaker processing jobs

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 10:34:08.140151
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sagemaker_processing_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("exit_message", sa.Text(), nullable=True),
        sa.Column("stop_requested", sa.Boolean(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sagemaker_processing_jobs_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_processing_jobs")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_sagemaker_processing_jobs_account_id")
        ),
        sa.UniqueConstraint("arn", name=op.f("uq_sagemaker_processing_jobs_arn")),
    )
    with op.batch_alter_table("sagemaker_processing_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_processing_jobs_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sagemaker_processing_jobs_status"), ["status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sagemaker_processing_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_processing_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_sagemaker_processing_jobs_account_id"))

    op.drop_table("sagemaker_processing_jobs")
