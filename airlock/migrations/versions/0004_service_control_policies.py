"""service control policies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 02:42:55.090667
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_policies",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=130), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("aws_managed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_policies_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "id", name=op.f("pk_org_policies")),
    )
    op.create_table(
        "org_policy_targets",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("policy_id", sa.String(length=130), nullable=False),
        sa.Column("target_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["org_organizations.id"],
            name=op.f("fk_org_policy_targets_organization_id_org_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "policy_id", "target_id", name=op.f("pk_org_policy_targets")
        ),
    )
    with op.batch_alter_table("org_policy_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_policy_targets_target_id"), ["target_id"], unique=False
        )

    op.create_table(
        "org_policy_types",
        sa.Column("root_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["root_id"],
            ["org_roots.id"],
            name=op.f("fk_org_policy_types_root_id_org_roots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("root_id", "type", name=op.f("pk_org_policy_types")),
    )


def downgrade() -> None:
    op.drop_table("org_policy_types")
    with op.batch_alter_table("org_policy_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_policy_targets_target_id"))

    op.drop_table("org_policy_targets")
    op.drop_table("org_policies")
