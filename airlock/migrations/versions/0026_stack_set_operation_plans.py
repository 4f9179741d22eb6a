"""stack set operation plans (queued operations)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cloudformation_stack_set_operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cloudformation_stack_set_operations", schema=None) as batch_op:
        batch_op.drop_column("plan")
