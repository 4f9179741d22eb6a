"""endpoint metrics

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 13:24:39.459140
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sagemaker_endpoint_metrics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("endpoint", sa.String(length=63), nullable=False),
        sa.Column("variant", sa.String(length=63), nullable=False),
        sa.Column("minute", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sagemaker_endpoint_metrics_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagemaker_endpoint_metrics")),
        sa.UniqueConstraint(
            "account_id",
            "region",
            "endpoint",
            "variant",
            "minute",
            "name",
            name=op.f("uq_sagemaker_endpoint_metrics_account_id"),
        ),
    )
    with op.batch_alter_table("sagemaker_endpoint_metrics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sagemaker_endpoint_metrics_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sagemaker_endpoint_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sagemaker_endpoint_metrics_account_id"))

    op.drop_table("sagemaker_endpoint_metrics")
