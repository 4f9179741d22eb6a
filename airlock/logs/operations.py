"""CloudWatch Logs operations (JSON 1.1, `Logs_20140328`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.paging import decode_token, encode_token, paginate
from airlock.core.tags import arn_resource

from .models import LogGroup, LogStream
from .service import InvalidParameter, LogsService, ValidationException, ms


def _factory(platform: Any, session: Session) -> LogsService:
    return LogsService(session, platform.clock)


api: ServiceApi[LogsService] = ServiceApi("logs", _factory)


def group_arn(ctx: RequestContext, name: str) -> str:
    """`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`."""
    return f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{name}"


def _arn_group_name(arn: str, member: str) -> str:
    """The log group a `log-group` ARN names; AWS's ValidationException for any other ARN."""
    parts = arn.removesuffix(":*").split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group" or not parts[6]:
        raise ValidationException(f"Invalid {member}")
    return parts[6]


def _group_name(p: Params) -> str:
    identifier = p.get("logGroupIdentifier")
    if identifier and str(identifier).startswith("arn:"):
        return _arn_group_name(str(identifier), "logGroupIdentifier")
    name = p.get("logGroupName") or identifier
    if not name:
        raise InvalidParameter("Specify logGroupName or logGroupIdentifier.")
    return str(name)


def _group_resource(svc: LogsService, ctx: RequestContext, p: Params) -> list[Resource]:
    if p.get("resourceArn"):  # owned by the account the ARN names
        return [arn_resource(str(p["resourceArn"]).removesuffix(":*"))]
    name = p.get("logGroupName") or p.get("logGroupIdentifier")
    if not name:
        return [Resource(f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:*")]
    return [Resource(group_arn(ctx, _group_name(p)))]


def _group(svc: LogsService, ctx: RequestContext, p: Params) -> LogGroup:
    return svc.group(ctx.account_id, ctx.region, _group_name(p))


def _bad_token() -> InvalidParameter:
    return InvalidParameter("The specified nextToken is invalid.")


def _page(items: list[Any], p: Params, key: str, default: int) -> Output:
    chunk, token = paginate(
        items, p, default_max=default, bad_token=_bad_token, max_key="limit", token_key="nextToken"
    )
    out: Output = {key: chunk}
    if token:
        out["nextToken"] = token
    return out


def group_out(svc: LogsService, ctx: RequestContext, group: LogGroup) -> Output:
    """The `LogGroup` structure."""
    arn = group_arn(ctx, group.name)
    out: Output = {
        "logGroupName": group.name,
        "creationTime": ms(group.created_at),
        "metricFilterCount": 0,
        "arn": arn + ":*",
        "logGroupArn": arn,
        "storedBytes": svc.stored_bytes(group),
        "logGroupClass": "STANDARD",
    }
    if group.retention_days is not None:
        out["retentionInDays"] = group.retention_days
    return out


def stream_out(ctx: RequestContext, group: LogGroup, stream: LogStream) -> Output:
    """The `LogStream` structure."""
    out: Output = {
        "logStreamName": stream.name,
        "creationTime": ms(stream.created_at),
        "arn": f"{group_arn(ctx, group.name)}:log-stream:{stream.name}",
        "storedBytes": stream.stored_bytes,
    }
    for key, value in (
        ("firstEventTimestamp", stream.first_event_ms),
        ("lastEventTimestamp", stream.last_event_ms),
        ("lastIngestionTime", stream.last_ingestion_ms),
    ):
        if value is not None:
            out[key] = value
    return out


@api.operation("logs:CreateLogGroup", resources=_group_resource)
def create_log_group(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Create a log group."""
    svc.create_group(ctx.account_id, ctx.region, p["logGroupName"], p.get("tags") or {})
    return {}


@api.operation("logs:DescribeLogGroups", resources=_group_resource)
def describe_log_groups(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Groups by name prefix."""
    groups = [
        group_out(svc, ctx, g)
        for g in svc.groups(ctx.account_id, ctx.region, p.get("logGroupNamePrefix"))
    ]
    return _page(groups, p, "logGroups", 50)


@api.operation("logs:DeleteLogGroup", resources=_group_resource)
def delete_log_group(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Delete a group and everything in it."""
    svc.delete_group(_group(svc, ctx, p))
    return {}


@api.operation("logs:PutRetentionPolicy", resources=_group_resource)
def put_retention_policy(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Keep events for a number of days."""
    svc.put_retention(_group(svc, ctx, p), p["retentionInDays"])
    return {}


@api.operation("logs:DeleteRetentionPolicy", resources=_group_resource)
def delete_retention_policy(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Keep events forever."""
    svc.put_retention(_group(svc, ctx, p), None)
    return {}


@api.operation("logs:CreateLogStream", resources=_group_resource)
def create_log_stream(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Create a stream."""
    svc.create_stream(_group(svc, ctx, p), p["logStreamName"])
    return {}


@api.operation("logs:DescribeLogStreams", resources=_group_resource)
def describe_log_streams(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Streams by name or by last event time."""
    group = _group(svc, ctx, p)
    streams = svc.streams(
        group, p.get("logStreamNamePrefix"), p.get("orderBy"), bool(p.get("descending"))
    )
    return _page([stream_out(ctx, group, s) for s in streams], p, "logStreams", 50)


@api.operation("logs:DeleteLogStream", resources=_group_resource)
def delete_log_stream(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Delete a stream."""
    group = _group(svc, ctx, p)
    svc.delete_stream(svc.stream(group, p["logStreamName"]))
    return {}


@api.operation("logs:PutLogEvents", resources=_group_resource)
def put_log_events(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Store a batch of events (sequence tokens are accepted and ignored, as AWS now does)."""
    group = _group(svc, ctx, p)
    rejected = svc.put_events(group, svc.stream(group, p["logStreamName"]), p["logEvents"])
    out: Output = {"nextSequenceToken": "0"}
    if rejected:
        out["rejectedLogEventsInfo"] = rejected
    return out


@api.operation("logs:GetLogEvents", resources=_group_resource)
def get_log_events(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """A page of a stream, with forward and backward tokens."""
    group = _group(svc, ctx, p)
    rows, forward, backward = svc.read(
        group,
        svc.stream(group, p["logStreamName"]),
        start=p.get("startTime"),
        end=p.get("endTime"),
        token=p.get("nextToken"),
        limit=int(p.get("limit") or 10_000),
        from_head=bool(p.get("startFromHead")),
    )
    events = [
        {"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.ingestion_ms}
        for e in rows
    ]
    return {"events": events, "nextForwardToken": forward, "nextBackwardToken": backward}


@api.operation("logs:FilterLogEvents", resources=_group_resource, readonly=True)
def filter_log_events(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Events of a group matching a filter pattern."""
    group = _group(svc, ctx, p)
    after = 0
    if p.get("nextToken"):
        decoded = decode_token(str(p["nextToken"]))
        if decoded is None:
            raise _bad_token()
        after = decoded
    found, streams, last = svc.filter(
        group,
        names=p.get("logStreamNames"),
        prefix=p.get("logStreamNamePrefix"),
        start=p.get("startTime"),
        end=p.get("endTime"),
        pattern=p.get("filterPattern"),
        limit=int(p.get("limit") or 10_000),
        after=after,
    )
    out: Output = {
        "events": [
            {
                "logStreamName": stream.name,
                "timestamp": event.timestamp_ms,
                "message": event.message,
                "ingestionTime": event.ingestion_ms,
                "eventId": f"{event.id:056d}",
            }
            for stream, event in found
        ],
        "searchedLogStreams": [
            {"logStreamName": s.name, "searchedCompletely": last is None} for s in streams
        ],
    }
    if last is not None:
        out["nextToken"] = encode_token(last)
    return out


@api.operation("logs:TagResource", resources=_group_resource)
def tag_resource(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Tag a log group by ARN."""
    svc.tag(
        svc.group(ctx.account_id, ctx.region, _arn_group_name(p["resourceArn"], "resourceArn")),
        p["tags"],
    )
    return {}


@api.operation("logs:UntagResource", resources=_group_resource)
def untag_resource(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """Remove tags from a log group by ARN."""
    group = svc.group(ctx.account_id, ctx.region, _arn_group_name(p["resourceArn"], "resourceArn"))
    svc.untag(group, p["tagKeys"])
    return {}


@api.operation("logs:ListTagsForResource", resources=_group_resource)
def list_tags_for_resource(svc: LogsService, ctx: RequestContext, p: Params) -> Output:
    """A log group's tags by ARN."""
    group = svc.group(ctx.account_id, ctx.region, _arn_group_name(p["resourceArn"], "resourceArn"))
    return {"tags": svc.tags(group)}
