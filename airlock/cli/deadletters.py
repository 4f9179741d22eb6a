"""`airlock events failed`: deliveries that gave up, with the reason (the dead-letter table)."""

from __future__ import annotations

from rich.table import Table
from sqlalchemy import select

from airlock.events.models import Delivery, Event
from airlock.gateway import Airlock
from airlock.identity.profiles import UnknownProfile, profile_account


class DeadLetterError(Exception):
    """The profile named does not exist."""


def failed_deliveries(instance: Airlock, profile: str, limit: int) -> Table:
    """The newest failed deliveries of rules in the profile's account."""
    try:
        account = profile_account(instance.platform.db, profile)
    except UnknownProfile as error:
        raise DeadLetterError(str(error)) from error
    table = Table("Failed at (UTC)", "Rule", "Target", "Attempts", "Event id", "Reason")
    with instance.platform.db.read() as session:
        rows = session.execute(
            select(Delivery, Event.id)
            .join(Event, Event.seq == Delivery.event_seq)
            .where(
                Delivery.status == "FAILED",
                Delivery.rule_arn.like(f"arn:aws:events:%:{account}:rule/%"),
            )
            .order_by(Delivery.id.desc())
            .limit(limit)
        ).all()
        for delivery, event_id in rows:
            finished = delivery.finished_at or delivery.created_at
            table.add_row(
                finished.strftime("%Y-%m-%d %H:%M:%S"),
                delivery.rule_arn.split(":rule/", 1)[1],
                f"{delivery.target_id} ({delivery.target_arn})",
                str(delivery.attempts),
                event_id,
                delivery.last_error or "",
            )
    return table
