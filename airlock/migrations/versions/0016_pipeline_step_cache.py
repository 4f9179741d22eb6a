"""pipeline step cache

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 11:00:40.662834
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sagemaker_pipeline_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cache_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("cache_source", sa.String(length=512), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sagemaker_pipeline_steps_cache_key"), ["cache_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sagemaker_pipeline_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_pipeline_steps_cache_key"))
        batch_op.drop_column("cache_source")
        batch_op.drop_column("cache_key")
