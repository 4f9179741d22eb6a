"""Tag tables keyed by resource ARN, and resources named by ARN: shared by services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .api import Resource


def upsert_tags(session: Session, model: Any, arn: str, tags: Sequence[dict[str, str]]) -> None:
    """Add or overwrite `Key`/`Value` tags in a table with resource_arn, key and value."""
    for tag in tags:
        row = session.get(model, (arn, tag["Key"]))
        if row is None:
            session.add(model(resource_arn=arn, key=tag["Key"], value=tag["Value"]))
        else:
            row.value = tag["Value"]
    session.flush()


def arn_resource(arn: str) -> Resource:
    """A resource named by ARN, owned by the account in the ARN."""
    parts = arn.split(":")
    return Resource(arn, parts[4] if len(parts) > 4 and parts[4] else None)


def arn_exists(session: Session, models: Sequence[Any], arn: str) -> bool:
    """Whether a row of one of `models` (each with an `arn` column) has this ARN."""
    return any(
        session.scalars(select(model).where(model.arn == arn)).first() is not None
        for model in models
    )
