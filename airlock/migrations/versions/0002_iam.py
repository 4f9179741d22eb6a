"""iam

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:32:14.983273
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "iam_tags",
        sa.Column("owner_arn", sa.String(length=2048), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("owner_arn", "key", name=op.f("pk_iam_tags")),
    )
    op.create_table(
        "iam_groups",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_iam_groups_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iam_groups")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_iam_groups_account_id")),
        sa.UniqueConstraint("arn", name=op.f("uq_iam_groups_arn")),
    )
    with op.batch_alter_table("iam_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iam_groups_account_id"), ["account_id"], unique=False)

    op.create_table(
        "iam_inline_policies",
        sa.Column("owner_arn", sa.String(length=2048), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_iam_inline_policies_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("owner_arn", "name", name=op.f("pk_iam_inline_policies")),
    )
    with op.batch_alter_table("iam_inline_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_iam_inline_policies_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "iam_managed_policies",
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("default_version", sa.String(length=8), nullable=False),
        sa.Column("next_version", sa.Integer(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_iam_managed_policies_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_iam_managed_policies")),
        sa.UniqueConstraint("id", name=op.f("uq_iam_managed_policies_id")),
    )
    with op.batch_alter_table("iam_managed_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_iam_managed_policies_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "iam_roles",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("trust_policy", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("max_session_duration", sa.Integer(), nullable=False),
        sa.Column("boundary_arn", sa.String(length=2048), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_iam_roles_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iam_roles")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_iam_roles_account_id")),
        sa.UniqueConstraint("arn", name=op.f("uq_iam_roles_arn")),
    )
    with op.batch_alter_table("iam_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iam_roles_account_id"), ["account_id"], unique=False)

    op.create_table(
        "iam_users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("boundary_arn", sa.String(length=2048), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_iam_users_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iam_users")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_iam_users_account_id")),
        sa.UniqueConstraint("arn", name=op.f("uq_iam_users_arn")),
    )
    with op.batch_alter_table("iam_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iam_users_account_id"), ["account_id"], unique=False)

    op.create_table(
        "iam_attachments",
        sa.Column("policy_arn", sa.String(length=2048), nullable=False),
        sa.Column("owner_arn", sa.String(length=2048), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_iam_attachments_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["policy_arn"],
            ["iam_managed_policies.arn"],
            name=op.f("fk_iam_attachments_policy_arn_iam_managed_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("policy_arn", "owner_arn", name=op.f("pk_iam_attachments")),
    )
    with op.batch_alter_table("iam_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_iam_attachments_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_iam_attachments_owner_arn"), ["owner_arn"], unique=False
        )

    op.create_table(
        "iam_group_members",
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["iam_groups.id"],
            name=op.f("fk_iam_group_members_group_id_iam_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["iam_users.id"],
            name=op.f("fk_iam_group_members_user_id_iam_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_iam_group_members")),
    )
    op.create_table(
        "iam_policy_versions",
        sa.Column("policy_arn", sa.String(length=2048), nullable=False),
        sa.Column("version_id", sa.String(length=8), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_arn"],
            ["iam_managed_policies.arn"],
            name=op.f("fk_iam_policy_versions_policy_arn_iam_managed_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("policy_arn", "version_id", name=op.f("pk_iam_policy_versions")),
    )


def downgrade() -> None:
    op.drop_table("iam_policy_versions")
    op.drop_table("iam_group_members")
    with op.batch_alter_table("iam_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iam_attachments_owner_arn"))
        batch_op.drop_index(batch_op.f("ix_iam_attachments_account_id"))

    op.drop_table("iam_attachments")
    with op.batch_alter_table("iam_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iam_users_account_id"))

    op.drop_table("iam_users")
    with op.batch_alter_table("iam_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iam_roles_account_id"))

    op.drop_table("iam_roles")
    with op.batch_alter_table("iam_managed_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iam_managed_policies_account_id"))

    op.drop_table("iam_managed_policies")
    with op.batch_alter_table("iam_inline_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iam_inline_policies_account_id"))

    op.drop_table("iam_inline_policies")
    with op.batch_alter_table("iam_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iam_groups_account_id"))

    op.drop_table("iam_groups")
    op.drop_table("iam_tags")
