"""iam login profiles

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03 05:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "iam_login_profiles",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("password_reset_required", sa.Boolean(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_iam_login_profiles_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["iam_users.id"],
            name=op.f("fk_iam_login_profiles_user_id_iam_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_iam_login_profiles")),
    )
    with op.batch_alter_table("iam_login_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_iam_login_profiles_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("iam_login_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iam_login_profiles_account_id"))

    op.drop_table("iam_login_profiles")
