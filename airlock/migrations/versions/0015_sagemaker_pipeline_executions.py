"""sagemaker pipeline executions

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 10:50:45.922586
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sagemaker_pipeline_executions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.String(length=32), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.String(length=3072), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("client_token", sa.String(length=128), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.Column("modified_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["sagemaker_pipelines.id"],
            name=op.f("fk_sagemaker_pipeline_executions_pipeline_id_sagemaker_pipelines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_pipeline_executions")),
        sa.UniqueConstraint("arn", name=op.f("uq_sagemaker_pipeline_executions_arn")),
        sa.UniqueConstraint(
            "execution_id", name=op.f("uq_sagemaker_pipeline_executions_execution_id")
        ),
    )
    with op.batch_alter_table("sagemaker_pipeline_executions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_pipeline_executions_pipeline_id"),
            ["pipeline_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sagemaker_pipeline_executions_status"), ["status"], unique=False
        )

    op.create_table(
        "sagemaker_pipeline_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["sagemaker_pipeline_executions.id"],
            name=op.f("fk_sagemaker_pipeline_steps_execution_id_sagemaker_pipeline_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_pipeline_steps")),
        sa.UniqueConstraint(
            "execution_id", "name", name=op.f("uq_sagemaker_pipeline_steps_execution_id")
        ),
    )
    with op.batch_alter_table("sagemaker_pipeline_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_pipeline_steps_execution_id"), ["execution_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sagemaker_pipeline_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_pipeline_steps_execution_id"))

    op.drop_table("sagemaker_pipeline_steps")
    with op.batch_alter_table("sagemaker_pipeline_executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_pipeline_executions_status"))
        batch_op.drop_index(batch_op.f("ix_sagemaker_pipeline_executions_pipeline_id"))

    op.drop_table("sagemaker_pipeline_executions")
