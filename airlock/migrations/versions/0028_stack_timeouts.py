"""CreateStack's TimeoutInMinutes

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-02 18:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cloudformation_stacks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timeout_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cloudformation_stacks", schema=None) as batch_op:
        batch_op.drop_column("timeout_minutes")
