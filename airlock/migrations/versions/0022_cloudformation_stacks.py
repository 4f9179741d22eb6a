"""cloudformation stacks

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 13:23:58.179291
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cloudformation_stacks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("stack_id", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("template_body", sa.Text(), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("notification_arns", sa.JSON(), nullable=False),
        sa.Column("role_arn", sa.String(length=2048), nullable=True),
        sa.Column("principal", sa.JSON(), nullable=False),
        sa.Column("on_failure", sa.String(length=16), nullable=False),
        sa.Column("termination_protection", sa.Boolean(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("imports", sa.JSON(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("client_token", sa.String(length=128), nullable=True),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_cloudformation_stacks_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudformation_stacks")),
        sa.UniqueConstraint("stack_id", name=op.f("uq_cloudformation_stacks_stack_id")),
    )
    with op.batch_alter_table("cloudformation_stacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stacks_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cloudformation_stacks_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stacks_status"), ["status"], unique=False
        )

    op.create_table(
        "cloudformation_change_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stack_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("change_set_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("execution_status", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("template_body", sa.Text(), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("role_arn", sa.String(length=2048), nullable=True),
        sa.Column("principal", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["stack_pk"],
            ["cloudformation_stacks.id"],
            name=op.f("fk_cloudformation_change_sets_stack_pk_cloudformation_stacks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudformation_change_sets")),
        sa.UniqueConstraint("arn", name=op.f("uq_cloudformation_change_sets_arn")),
    )
    with op.batch_alter_table("cloudformation_change_sets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloudformation_change_sets_stack_pk"), ["stack_pk"], unique=False
        )

    op.create_table(
        "cloudformation_exports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("stack_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_cloudformation_exports_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["stack_pk"],
            ["cloudformation_stacks.id"],
            name=op.f("fk_cloudformation_exports_stack_pk_cloudformation_stacks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudformation_exports")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_cloudformation_exports_account_id")
        ),
    )
    with op.batch_alter_table("cloudformation_exports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloudformation_exports_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cloudformation_exports_stack_pk"), ["stack_pk"], unique=False
        )

    op.create_table(
        "cloudformation_stack_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stack_pk", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("logical_id", sa.String(length=256), nullable=False),
        sa.Column("physical_id", sa.String(length=2048), nullable=True),
        sa.Column("type", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("client_token", sa.String(length=128), nullable=True),
        sa.Column("timestamp", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["stack_pk"],
            ["cloudformation_stacks.id"],
            name=op.f("fk_cloudformation_stack_events_stack_pk_cloudformation_stacks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudformation_stack_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_cloudformation_stack_events_event_id")),
    )
    with op.batch_alter_table("cloudformation_stack_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stack_events_stack_pk"), ["stack_pk"], unique=False
        )

    op.create_table(
        "cloudformation_stack_resources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stack_pk", sa.Integer(), nullable=False),
        sa.Column("logical_id", sa.String(length=256), nullable=False),
        sa.Column("physical_id", sa.String(length=2048), nullable=True),
        sa.Column("type", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("old_properties", sa.JSON(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("deletion_policy", sa.String(length=16), nullable=False),
        sa.Column("replace_policy", sa.String(length=16), nullable=False),
        sa.Column("replaced", sa.Boolean(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("added", sa.Boolean(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("updated_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["stack_pk"],
            ["cloudformation_stacks.id"],
            name=op.f("fk_cloudformation_stack_resources_stack_pk_cloudformation_stacks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudformation_stack_resources")),
    )
    with op.batch_alter_table("cloudformation_stack_resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stack_resources_stack_pk"), ["stack_pk"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cloudformation_stack_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloudformation_stack_resources_stack_pk"))

    op.drop_table("cloudformation_stack_resources")
    with op.batch_alter_table("cloudformation_stack_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloudformation_stack_events_stack_pk"))

    op.drop_table("cloudformation_stack_events")
    with op.batch_alter_table("cloudformation_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloudformation_exports_stack_pk"))
        batch_op.drop_index(batch_op.f("ix_cloudformation_exports_account_id"))

    op.drop_table("cloudformation_exports")
    with op.batch_alter_table("cloudformation_change_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloudformation_change_sets_stack_pk"))

    op.drop_table("cloudformation_change_sets")
    with op.batch_alter_table("cloudformation_stacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloudformation_stacks_status"))
        batch_op.drop_index(batch_op.f("ix_cloudformation_stacks_name"))
        batch_op.drop_index(batch_op.f("ix_cloudformation_stacks_account_id"))

    op.drop_table("cloudformation_stacks")
