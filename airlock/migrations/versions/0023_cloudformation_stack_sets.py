"""cloudformation stack sets

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 13:53:36.420880
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cloudformation_stack_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("stack_set_id", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("template_body", sa.Text(), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("permission_model", sa.String(length=16), nullable=False),
        sa.Column("admin_role_arn", sa.String(length=2048), nullable=True),
        sa.Column("execution_role_name", sa.String(length=64), nullable=True),
        sa.Column("auto_deployment", sa.JSON(), nullable=True),
        sa.Column("managed_execution", sa.Boolean(), nullable=False),
        sa.Column("ou_regions", sa.JSON(), nullable=False),
        sa.Column("client_token", sa.String(length=128), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_cloudformation_stack_sets_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudformation_stack_sets")),
        sa.UniqueConstraint("stack_set_id", name=op.f("uq_cloudformation_stack_sets_stack_set_id")),
    )
    with op.batch_alter_table("cloudformation_stack_sets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stack_sets_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stack_sets_name"), ["name"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stack_sets_status"), ["status"], unique=False
        )

    op.create_table(
        "cloudformation_stack_instances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stack_set_pk", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("ou_id", sa.String(length=80), nullable=True),
        sa.Column("stack_id", sa.String(length=512), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detailed_status", sa.String(length=32), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("parameter_overrides", sa.JSON(), nullable=False),
        sa.Column("last_operation_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["stack_set_pk"],
            ["cloudformation_stack_sets.id"],
            name=op.f("fk_cloudformation_stack_instances_stack_set_pk_cloudformation_stack_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudformation_stack_instances")),
        sa.UniqueConstraint(
            "stack_set_pk",
            "account",
            "region",
            name=op.f("uq_cloudformation_stack_instances_stack_set_pk"),
        ),
    )
    with op.batch_alter_table("cloudformation_stack_instances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stack_instances_stack_set_pk"),
            ["stack_set_pk"],
            unique=False,
        )

    op.create_table(
        "cloudformation_stack_set_operations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stack_set_pk", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("preferences", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("deployment_targets", sa.JSON(), nullable=True),
        sa.Column("retain_stacks", sa.Boolean(), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["stack_set_pk"],
            ["cloudformation_stack_sets.id"],
            name=op.f(
                "fk_cloudformation_stack_set_operations_stack_set_pk_cloudformation_stack_sets"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudformation_stack_set_operations")),
        sa.UniqueConstraint(
            "stack_set_pk",
            "operation_id",
            name=op.f("uq_cloudformation_stack_set_operations_stack_set_pk"),
        ),
    )
    with op.batch_alter_table("cloudformation_stack_set_operations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stack_set_operations_stack_set_pk"),
            ["stack_set_pk"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stack_set_operations_status"), ["status"], unique=False
        )

    op.create_table(
        "cloudformation_stack_set_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operation_pk", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("ou_id", sa.String(length=80), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("stack_id", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["operation_pk"],
            ["cloudformation_stack_set_operations.id"],
            name=op.f(
                "fk_cloudformation_stack_set_results_operation_pk_cloudformation_stack_set_operations"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudformation_stack_set_results")),
    )
    with op.batch_alter_table("cloudformation_stack_set_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloudformation_stack_set_results_operation_pk"),
            ["operation_pk"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("cloudformation_stack_set_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloudformation_stack_set_results_operation_pk"))

    op.drop_table("cloudformation_stack_set_results")
    with op.batch_alter_table("cloudformation_stack_set_operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloudformation_stack_set_operations_status"))
        batch_op.drop_index(batch_op.f("ix_cloudformation_stack_set_operations_stack_set_pk"))

    op.drop_table("cloudformation_stack_set_operations")
    with op.batch_alter_table("cloudformation_stack_instances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloudformation_stack_instances_stack_set_pk"))

    op.drop_table("cloudformation_stack_instances")
    with op.batch_alter_table("cloudformation_stack_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloudformation_stack_sets_status"))
        batch_op.drop_index(batch_op.f("ix_cloudformation_stack_sets_name"))
        batch_op.drop_index(batch_op.f("ix_cloudformation_stack_sets_account_id"))

    op.drop_table("cloudformation_stack_sets")
