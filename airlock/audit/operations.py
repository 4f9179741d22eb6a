"""CloudTrail LookupEvents: each account reads its own audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.errors import ClientFault, ServiceError
from airlock.core.paging import paginate

from .models import AuditEvent

_COLUMNS = {
    "EventId": AuditEvent.event_id,
    "EventName": AuditEvent.event_name,
    "Username": AuditEvent.username,
    "EventSource": AuditEvent.event_source,
    "AccessKeyId": AuditEvent.access_key_id,
}


class Trail:
    """The audit trail, read in one transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session


api: ServiceApi[Trail] = ServiceApi("cloudtrail", lambda platform, session: Trail(session))


class InvalidLookupAttributes(ClientFault):
    """`InvalidLookupAttributesException`."""

    code = "InvalidLookupAttributesException"


class InvalidTimeRange(ClientFault):
    """`InvalidTimeRangeException`."""

    code = "InvalidTimeRangeException"


def _bad_token() -> ServiceError:
    return ClientFault("Invalid NextToken.", code="InvalidNextTokenException")


def _matches(event: AuditEvent, key: str, value: str) -> bool:
    if key == "ResourceName":
        return value in event.resource_names.split("\n")
    if key == "ResourceType":
        return value in event.resource_types.split("\n")
    if key == "ReadOnly":
        return str(event.read_only).lower() == value.lower()
    return True


def _event_out(event: AuditEvent) -> Output:
    out: Output = {
        "EventId": event.event_id,
        "EventName": event.event_name,
        "ReadOnly": str(event.read_only).lower(),
        "EventTime": event.event_time,
        "EventSource": event.event_source,
        "Resources": [
            {"ResourceType": kind, "ResourceName": name}
            for name, kind in zip(
                event.resource_names.split("\n"), event.resource_types.split("\n"), strict=False
            )
            if name
        ],
        "CloudTrailEvent": event.document,
    }
    if event.username:
        out["Username"] = event.username
    if event.access_key_id:
        out["AccessKeyId"] = event.access_key_id
    return out


@api.operation("cloudtrail:LookupEvents", readonly=True)
def lookup_events(trail: Trail, ctx: RequestContext, p: Params) -> Output:
    """The account's events, newest first, filtered by one attribute and a time range."""
    attributes: list[dict[str, Any]] = p.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise InvalidLookupAttributes("You cannot specify more than one lookup attribute.")
    start, end = p.get("StartTime"), p.get("EndTime")
    if start and end and start > end:
        raise InvalidTimeRange("Start time must be before end time.")
    query = select(AuditEvent).where(AuditEvent.account_id == ctx.account_id)
    if start:
        query = query.where(AuditEvent.event_time >= start)
    if end:
        query = query.where(AuditEvent.event_time <= end)
    for attribute in attributes:
        key, value = attribute["AttributeKey"], attribute["AttributeValue"]
        column = _COLUMNS.get(key)
        if column is not None:
            query = query.where(column == value)
    rows = trail.session.scalars(
        query.order_by(AuditEvent.event_time.desc(), AuditEvent.event_id)
    ).all()
    rows = [
        r
        for r in rows
        if all(_matches(r, a["AttributeKey"], a["AttributeValue"]) for a in attributes)
    ]
    chunk, token = paginate(rows, p, default_max=50, bad_token=_bad_token)
    out: Output = {"Events": [_event_out(r) for r in chunk]}
    if token:
        out["NextToken"] = token
    return out
