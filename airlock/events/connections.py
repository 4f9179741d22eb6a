"""Connections and API destinations: HTTP endpoints events are sent to, with kept secrets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from airlock.core.api import Output, Params, Resource
from airlock.core.context import RequestContext
from airlock.core.paging import paginate

from . import errors
from .models import ApiDestination, Connection
from .operations import _bad_token, api
from .service import EventsService

AUTH_MEMBERS = {
    "BASIC": "BasicAuthParameters",
    "API_KEY": "ApiKeyAuthParameters",
}
SECRET_MEMBERS = {"Password", "ApiKeyValue"}


def _arn(ctx: RequestContext, kind: str, name: str) -> str:
    return f"arn:aws:events:{ctx.region}:{ctx.account_id}:{kind}/{name}/{uuid.uuid4()}"


def _named(ctx: RequestContext, kind: str, p: Params) -> list[Resource]:
    return [Resource(f"arn:aws:events:{ctx.region}:{ctx.account_id}:{kind}/{p.get('Name')}")]


def _connection(svc: EventsService, ctx: RequestContext, name: str) -> Connection:
    row = svc.session.scalars(
        select(Connection).where(
            Connection.account_id == ctx.account_id,
            Connection.region == ctx.region,
            Connection.name == name,
        )
    ).first()
    if row is None:
        raise errors.ResourceNotFound(
            f"Failed to describe the connection(s). Connection '{name}' does not exist."
        )
    return row


def _without_secrets(value: Any) -> Any:
    """Auth parameters as Describe shows them: secret values left out, header secrets marked."""
    if isinstance(value, dict):
        if value.get("IsValueSecret"):
            return {k: v for k, v in value.items() if k != "Value"}
        return {k: _without_secrets(v) for k, v in value.items() if k not in SECRET_MEMBERS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _check_auth(kind: str, params: dict[str, Any]) -> None:
    member = AUTH_MEMBERS.get(kind)
    if member is None:
        raise errors.EventsValidation(
            f"AuthorizationType {kind} is not supported by Airlock; use BASIC or API_KEY."
        )
    if not params.get(member):
        raise errors.EventsValidation(f"{member} must be specified for AuthorizationType {kind}.")


@api.operation("events:CreateConnection", resources=lambda s, c, p: _named(c, "connection", p))
def create_connection(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """A connection with BASIC or API_KEY authorization; its secrets are never shown again."""
    exists = svc.session.scalars(
        select(Connection).where(
            Connection.account_id == ctx.account_id,
            Connection.region == ctx.region,
            Connection.name == p["Name"],
        )
    ).first()
    if exists is not None:
        raise errors.ResourceAlreadyExists(f"Connection {p['Name']} already exists.")
    _check_auth(p["AuthorizationType"], p["AuthParameters"])
    now = ctx.time
    row = Connection(
        account_id=ctx.account_id,
        region=ctx.region,
        name=p["Name"],
        arn=_arn(ctx, "connection", p["Name"]),
        description=p.get("Description"),
        authorization_type=p["AuthorizationType"],
        auth_parameters=p["AuthParameters"],
        state="AUTHORIZED",
        created_at=now,
        modified_at=now,
    )
    svc.session.add(row)
    svc.session.flush()
    return {
        "ConnectionArn": row.arn,
        "ConnectionState": row.state,
        "CreationTime": now,
        "LastModifiedTime": now,
    }


def connection_out(row: Connection) -> Output:
    """DescribeConnection without secrets."""
    out: Output = {
        "ConnectionArn": row.arn,
        "Name": row.name,
        "ConnectionState": row.state,
        "AuthorizationType": row.authorization_type,
        "CreationTime": row.created_at,
        "LastModifiedTime": row.modified_at,
        "LastAuthorizedTime": row.modified_at,
    }
    if row.description:
        out["Description"] = row.description
    return out


@api.operation("events:DescribeConnection", resources=lambda s, c, p: _named(c, "connection", p))
def describe_connection(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """A connection; secret values are never returned."""
    row = _connection(svc, ctx, p["Name"])
    return {**connection_out(row), "AuthParameters": _without_secrets(row.auth_parameters)}


@api.operation("events:ListConnections")
def list_connections(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """The account's connections."""
    rows = svc.session.scalars(
        select(Connection)
        .where(Connection.account_id == ctx.account_id, Connection.region == ctx.region)
        .order_by(Connection.name)
    ).all()
    prefix = p.get("NamePrefix") or ""
    items = [connection_out(r) for r in rows if r.name.startswith(prefix)]
    page, token = paginate(items, p, default_max=100, bad_token=_bad_token, max_key="Limit")
    return {"Connections": page, **({"NextToken": token} if token else {})}


@api.operation("events:DeleteConnection", resources=lambda s, c, p: _named(c, "connection", p))
def delete_connection(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Delete a connection."""
    row = _connection(svc, ctx, p["Name"])
    svc.session.delete(row)
    return {**connection_out(row), "ConnectionState": "DELETING"}


def _destination(svc: EventsService, ctx: RequestContext, name: str) -> ApiDestination:
    row = svc.session.scalars(
        select(ApiDestination).where(
            ApiDestination.account_id == ctx.account_id,
            ApiDestination.region == ctx.region,
            ApiDestination.name == name,
        )
    ).first()
    if row is None:
        raise errors.ResourceNotFound(f"An api-destination '{name}' does not exist.")
    return row


def destination_out(row: ApiDestination) -> Output:
    """DescribeApiDestination."""
    out: Output = {
        "ApiDestinationArn": row.arn,
        "Name": row.name,
        "ApiDestinationState": row.state,
        "ConnectionArn": row.connection_arn,
        "InvocationEndpoint": row.endpoint,
        "HttpMethod": row.http_method,
        "CreationTime": row.created_at,
        "LastModifiedTime": row.modified_at,
    }
    if row.rate_limit:
        out["InvocationRateLimitPerSecond"] = row.rate_limit
    if row.description:
        out["Description"] = row.description
    return out


@api.operation(
    "events:CreateApiDestination", resources=lambda s, c, p: _named(c, "api-destination", p)
)
def create_api_destination(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """An HTTP endpoint reached through a connection, at most InvocationRateLimitPerSecond."""
    exists = svc.session.scalars(
        select(ApiDestination).where(
            ApiDestination.account_id == ctx.account_id,
            ApiDestination.region == ctx.region,
            ApiDestination.name == p["Name"],
        )
    ).first()
    if exists is not None:
        raise errors.ResourceAlreadyExists(f"An api-destination '{p['Name']}' already exists.")
    connection = svc.session.scalars(
        select(Connection).where(Connection.arn == p["ConnectionArn"])
    ).first()
    if connection is None or connection.account_id != ctx.account_id:
        raise errors.ResourceNotFound(f"Connection '{p['ConnectionArn']}' does not exist.")
    if not str(p["InvocationEndpoint"]).startswith(("http://", "https://")):
        raise errors.EventsValidation("InvocationEndpoint must be an http:// or https:// URL.")
    now = ctx.time
    row = ApiDestination(
        account_id=ctx.account_id,
        region=ctx.region,
        name=p["Name"],
        arn=_arn(ctx, "api-destination", p["Name"]),
        description=p.get("Description"),
        connection_arn=connection.arn,
        endpoint=p["InvocationEndpoint"],
        http_method=p["HttpMethod"],
        rate_limit=p.get("InvocationRateLimitPerSecond"),
        state="ACTIVE",
        created_at=now,
        modified_at=now,
    )
    svc.session.add(row)
    svc.session.flush()
    return {
        "ApiDestinationArn": row.arn,
        "ApiDestinationState": row.state,
        "CreationTime": now,
        "LastModifiedTime": now,
    }


@api.operation(
    "events:DescribeApiDestination", resources=lambda s, c, p: _named(c, "api-destination", p)
)
def describe_api_destination(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """An API destination."""
    return destination_out(_destination(svc, ctx, p["Name"]))


@api.operation("events:ListApiDestinations")
def list_api_destinations(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """The account's API destinations."""
    rows = svc.session.scalars(
        select(ApiDestination)
        .where(ApiDestination.account_id == ctx.account_id, ApiDestination.region == ctx.region)
        .order_by(ApiDestination.name)
    ).all()
    prefix = p.get("NamePrefix") or ""
    items = [destination_out(r) for r in rows if r.name.startswith(prefix)]
    page, token = paginate(items, p, default_max=100, bad_token=_bad_token, max_key="Limit")
    return {"ApiDestinations": page, **({"NextToken": token} if token else {})}


@api.operation(
    "events:DeleteApiDestination", resources=lambda s, c, p: _named(c, "api-destination", p)
)
def delete_api_destination(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Delete an API destination."""
    svc.session.delete(_destination(svc, ctx, p["Name"]))
    return {}


@dataclass
class HttpCall:
    """What an API destination delivery sends (secrets included: only the worker sees it)."""

    method: str
    url: str
    rate_limit: int | None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


def resolve_destination(platform: Any, arn: str, target: dict[str, Any]) -> HttpCall | None:
    """The HTTP call for a target that is an API destination, or None if it is gone."""
    import base64

    with platform.db.read() as session:
        row = session.scalars(select(ApiDestination).where(ApiDestination.arn == arn)).first()
        if row is None:
            return None
        connection = session.scalars(
            select(Connection).where(Connection.arn == row.connection_arn)
        ).first()
        if connection is None:
            return None
        url = row.endpoint
        http = target.get("HttpParameters") or {}
        for value in http.get("PathParameterValues") or []:
            url = url.replace("*", value, 1)
        call = HttpCall(row.http_method, url, row.rate_limit)
        auth = connection.auth_parameters
        if connection.authorization_type == "API_KEY":
            key = auth["ApiKeyAuthParameters"]
            call.headers[key["ApiKeyName"]] = key["ApiKeyValue"]
        elif connection.authorization_type == "BASIC":
            basic = auth["BasicAuthParameters"]
            token = base64.b64encode(f"{basic['Username']}:{basic['Password']}".encode()).decode()
            call.headers["Authorization"] = f"Basic {token}"
        invocation = auth.get("InvocationHttpParameters") or {}
        for item in invocation.get("HeaderParameters") or []:
            call.headers[item["Key"]] = item["Value"]
        for item in invocation.get("QueryStringParameters") or []:
            call.query[item["Key"]] = item["Value"]
        call.headers.update(http.get("HeaderParameters") or {})
        call.query.update(http.get("QueryStringParameters") or {})
        return call
