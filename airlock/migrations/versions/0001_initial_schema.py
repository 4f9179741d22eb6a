"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 01:31:30.940382
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("due_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_tasks_kind")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_due_at"), ["due_at"], unique=False)

    op.create_table(
        "access_keys",
        sa.Column("access_key_id", sa.String(length=128), nullable=False),
        sa.Column("secret_access_key", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("principal_arn", sa.String(length=2048), nullable=False),
        sa.Column("principal_type", sa.String(length=32), nullable=False),
        sa.Column("principal_user_id", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("session_token_sha256", sa.String(length=64), nullable=True),
        sa.Column("expires_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_access_keys_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("access_key_id", name=op.f("pk_access_keys")),
    )
    with op.batch_alter_table("access_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_keys_account_id"), ["account_id"], unique=False)

    op.create_table(
        "org_organizations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("management_account_id", sa.String(length=12), nullable=False),
        sa.Column("feature_set", sa.String(length=32), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["management_account_id"],
            ["accounts.id"],
            name=op.f("fk_org_organizations_management_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_organizations")),
        sa.UniqueConstraint(
            "management_account_id", name=op.f("uq_org_organizations_management_account_id")
        ),
    )
    op.create_table(
        "org_create_account_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("account_name", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=64), nullable=False),
        sa.Column("role_name", sa.String(length=64), nullable=False),
        sa.Column("iam_user_access_to_billing", sa.String(length=8), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("account_id", sa.String(length=12), nullable=True),
        sa.Column("failure_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_create_account_requests_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_create_account_requests")),
    )
    with op.batch_alter_table("org_create_account_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_create_account_requests_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "org_delegated_admins",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("service_principal", sa.String(length=128), nullable=False),
        sa.Column("registered_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_org_delegated_admins_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_delegated_admins_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "service_principal", name=op.f("pk_org_delegated_admins")
        ),
    )
    with op.batch_alter_table("org_delegated_admins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_delegated_admins_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "org_enabled_services",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("service_principal", sa.String(length=128), nullable=False),
        sa.Column("enabled_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_enabled_services_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "service_principal", name=op.f("pk_org_enabled_services")
        ),
    )
    op.create_table(
        "org_handshakes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("target_account_id", sa.String(length=12), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_value", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.String(length=1024), nullable=True),
        sa.Column("requested_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_handshakes_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_account_id"],
            ["accounts.id"],
            name=op.f("fk_org_handshakes_target_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_handshakes")),
    )
    with op.batch_alter_table("org_handshakes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_handshakes_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_org_handshakes_target_account_id"), ["target_account_id"], unique=False
        )

    op.create_table(
        "org_memberships",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("parent_id", sa.String(length=80), nullable=False),
        sa.Column("joined_method", sa.String(length=16), nullable=False),
        sa.Column("joined_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("access_role_name", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_org_memberships_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_memberships_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_org_memberships")),
    )
    with op.batch_alter_table("org_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_memberships_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_org_memberships_parent_id"), ["parent_id"], unique=False
        )

    op.create_table(
        "org_roots",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_roots_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_roots")),
    )
    with op.batch_alter_table("org_roots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_roots_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "org_tags",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_tags_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "resource_id", "key", name=op.f("pk_org_tags")),
    )
    op.create_table(
        "org_units",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("parent_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_units_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_units")),
        sa.UniqueConstraint("parent_id", "name", name=op.f("uq_org_units_parent_id")),
    )
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_units_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_org_units_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_units_parent_id"))
        batch_op.drop_index(batch_op.f("ix_org_units_organization_id"))

    op.drop_table("org_units")
    op.drop_table("org_tags")
    with op.batch_alter_table("org_roots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_roots_organization_id"))

    op.drop_table("org_roots")
    with op.batch_alter_table("org_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_memberships_parent_id"))
        batch_op.drop_index(batch_op.f("ix_org_memberships_organization_id"))

    op.drop_table("org_memberships")
    with op.batch_alter_table("org_handshakes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_handshakes_target_account_id"))
        batch_op.drop_index(batch_op.f("ix_org_handshakes_organization_id"))

    op.drop_table("org_handshakes")
    op.drop_table("org_enabled_services")
    with op.batch_alter_table("org_delegated_admins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_delegated_admins_organization_id"))

    op.drop_table("org_delegated_admins")
    with op.batch_alter_table("org_create_account_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_create_account_requests_organization_id"))

    op.drop_table("org_create_account_requests")
    op.drop_table("org_organizations")
    with op.batch_alter_table("access_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_keys_account_id"))

    op.drop_table("access_keys")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_due_at"))

    op.drop_table("tasks")
    op.drop_table("accounts")
