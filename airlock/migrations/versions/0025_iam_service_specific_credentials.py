"""iam service specific credentials

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-02 17:21:10.794870
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "iam_service_credentials",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("service_name", sa.String(length=128), nullable=False),
        sa.Column("service_user_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_iam_service_credentials_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["iam_users.id"], name=op.f("fk_iam_service_credentials_user_id_iam_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iam_service_credentials")),
    )
    with op.batch_alter_table("iam_service_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_iam_service_credentials_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_iam_service_credentials_service_user_name"),
            ["service_user_name"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_iam_service_credentials_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("iam_service_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iam_service_credentials_user_id"))
        batch_op.drop_index(batch_op.f("ix_iam_service_credentials_service_user_name"))
        batch_op.drop_index(batch_op.f("ix_iam_service_credentials_account_id"))

    op.drop_table("iam_service_credentials")
