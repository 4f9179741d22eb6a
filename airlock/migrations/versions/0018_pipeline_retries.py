"""pipeline retries

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 12:20:08.537823
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sagemaker_pipeline_executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_token", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("parallelism", sa.JSON(), nullable=True))

    with op.batch_alter_table("sagemaker_pipeline_steps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retry_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("sagemaker_pipeline_steps", schema=None) as batch_op:
        batch_op.drop_column("retry_at")

    with op.batch_alter_table("sagemaker_pipeline_executions", schema=None) as batch_op:
        batch_op.drop_column("parallelism")
        batch_op.drop_column("retry_token")
