"""session credentials

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:36:22.041621
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_arn", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("session_policies", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_keys", schema=None) as batch_op:
        batch_op.drop_column("session_policies")
        batch_op.drop_column("source_arn")
