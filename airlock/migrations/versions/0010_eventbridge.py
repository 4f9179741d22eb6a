"""eventbridge

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 09:37:06.571201
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import airlock.platform.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events_tags",
        sa.Column("resource_arn", sa.String(length=1600), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("resource_arn", "key", name=op.f("pk_events_tags")),
    )
    op.create_table(
        "events_api_destinations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("arn", sa.String(length=1600), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=True),
        sa.Column("connection_arn", sa.String(length=1600), nullable=False),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("http_method", sa.String(length=16), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_events_api_destinations_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_api_destinations")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_events_api_destinations_account_id")
        ),
        sa.UniqueConstraint("arn", name=op.f("uq_events_api_destinations_arn")),
    )
    with op.batch_alter_table("events_api_destinations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_api_destinations_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "events_buses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=True),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_events_buses_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_buses")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_events_buses_account_id")
        ),
        sa.UniqueConstraint("arn", name=op.f("uq_events_buses_arn")),
    )
    with op.batch_alter_table("events_buses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_buses_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "events_connections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("arn", sa.String(length=1600), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=True),
        sa.Column("authorization_type", sa.String(length=32), nullable=False),
        sa.Column("auth_parameters", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_events_connections_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_connections")),
        sa.UniqueConstraint(
            "account_id", "region", "name", name=op.f("uq_events_connections_account_id")
        ),
        sa.UniqueConstraint("arn", name=op.f("uq_events_connections_arn")),
    )
    with op.batch_alter_table("events_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_connections_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "events_events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("bus_id", sa.Integer(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("received_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bus_id"],
            ["events_buses.id"],
            name=op.f("fk_events_events_bus_id_events_buses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events_events")),
    )
    with op.batch_alter_table("events_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_events_bus_id"), ["bus_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_events_id"), ["id"], unique=False)

    op.create_table(
        "events_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bus_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("event_pattern", sa.Text(), nullable=True),
        sa.Column("schedule", sa.String(length=256), nullable=True),
        sa.Column("state", sa.String(length=48), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=True),
        sa.Column("role_arn", sa.String(length=1600), nullable=True),
        sa.Column("managed_by", sa.String(length=128), nullable=True),
        sa.Column("created_by", sa.String(length=12), nullable=False),
        sa.Column("next_fire_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["bus_id"], ["events_buses.id"], name=op.f("fk_events_rules_bus_id_events_buses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_rules")),
        sa.UniqueConstraint("arn", name=op.f("uq_events_rules_arn")),
        sa.UniqueConstraint("bus_id", "name", name=op.f("uq_events_rules_bus_id")),
    )
    with op.batch_alter_table("events_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_rules_bus_id"), ["bus_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_events_rules_next_fire_at"), ["next_fire_at"], unique=False
        )

    op.create_table(
        "events_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("rule_arn", sa.String(length=512), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("target_arn", sa.String(length=1600), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("leased_until", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", airlock.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_seq"],
            ["events_events.seq"],
            name=op.f("fk_events_deliveries_event_seq_events_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_deliveries")),
    )
    with op.batch_alter_table("events_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_events_deliveries_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_events_deliveries_event_seq"), ["event_seq"], unique=False
        )

    op.create_table(
        "events_targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("arn", sa.String(length=1600), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["events_rules.id"],
            name=op.f("fk_events_targets_rule_id_events_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_targets")),
        sa.UniqueConstraint("rule_id", "target_id", name=op.f("uq_events_targets_rule_id")),
    )
    with op.batch_alter_table("events_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_targets_arn"), ["arn"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_targets_rule_id"), ["rule_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_targets_rule_id"))
        batch_op.drop_index(batch_op.f("ix_events_targets_arn"))

    op.drop_table("events_targets")
    with op.batch_alter_table("events_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_deliveries_event_seq"))
        batch_op.drop_index("ix_events_deliveries_due")

    op.drop_table("events_deliveries")
    with op.batch_alter_table("events_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_rules_next_fire_at"))
        batch_op.drop_index(batch_op.f("ix_events_rules_bus_id"))

    op.drop_table("events_rules")
    with op.batch_alter_table("events_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_events_id"))
        batch_op.drop_index(batch_op.f("ix_events_events_bus_id"))

    op.drop_table("events_events")
    with op.batch_alter_table("events_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_connections_account_id"))

    op.drop_table("events_connections")
    with op.batch_alter_table("events_buses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_buses_account_id"))

    op.drop_table("events_buses")
    with op.batch_alter_table("events_api_destinations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_api_destinations_account_id"))

    op.drop_table("events_api_destinations")
    op.drop_table("events_tags")
