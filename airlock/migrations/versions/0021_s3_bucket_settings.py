"""s3 bucket settings: default encryption, public access block, object ownership

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("s3_buckets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("encryption", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("public_access_block", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("ownership", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("s3_buckets", schema=None) as batch_op:
        batch_op.drop_column("ownership")
        batch_op.drop_column("public_access_block")
        batch_op.drop_column("encryption")
