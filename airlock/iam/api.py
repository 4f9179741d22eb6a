"""The IAM service declaration shared by the operation modules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from airlock.core.api import Params, Resource, ResourceFinder, ServiceApi
from airlock.core.context import PrincipalType, RequestContext
from airlock.core.errors import ServiceError
from airlock.core.paging import paginate

from .credentials import ServiceCredentials
from .errors import NoSuchEntity
from .logins import LoginProfiles
from .policies import PolicyStore
from .service import IamService, iam_arn


@dataclass
class Iam:
    """IAM for one transaction: principals, policies and users' passwords and credentials."""

    principals: IamService
    policies: PolicyStore
    credentials: ServiceCredentials
    logins: LoginProfiles


def _factory(platform: Any, session: Session) -> Iam:
    return Iam(
        IamService(session, platform.clock),
        PolicyStore(session, platform.clock),
        ServiceCredentials(session, platform.clock),
        LoginProfiles(session, platform.clock),
    )


def _bootstrap(platform: Any, session: Session) -> None:
    PolicyStore(session, platform.clock).ensure_aws_managed()


api: ServiceApi[Iam] = ServiceApi("iam", _factory, bootstrap=_bootstrap)


def named(kind: str, param: str) -> ResourceFinder[Iam]:
    """A finder for `arn:aws:iam::ACCOUNT:{kind}/NAME` from a request parameter."""

    lookups = {"user": "user", "role": "role", "group": "group"}

    def find(iam: Iam, ctx: RequestContext, params: Params) -> list[Resource]:
        name = params.get(param)
        if not name and kind == "user" and ctx.principal.type is PrincipalType.USER:
            # Without a user name, user operations act on, and are authorized on, the caller.
            name = ctx.principal.arn.rsplit("/", 1)[-1]
        if not name:
            return [Resource(f"arn:aws:iam::{ctx.account_id}:{kind}/*")]
        arn = iam_arn(ctx.account_id, kind, str(params.get("Path") or "/"), str(name))
        if kind in lookups:
            try:
                arn = getattr(iam.principals, lookups[kind])(ctx.account_id, str(name)).arn
            except NoSuchEntity:
                return [Resource(arn)]  # the operation reports the missing entity
            tags = iam.principals.tags(arn)
            return [
                Resource(arn, context={f"aws:ResourceTag/{t['Key']}": [t["Value"]] for t in tags})
            ]
        return [Resource(arn)]

    return find


def by_arn(param: str) -> ResourceFinder[Iam]:
    """A finder for a resource named by its ARN."""

    def find(iam: Iam, ctx: RequestContext, params: Params) -> list[Resource]:
        return [Resource(str(params.get(param) or "*"))]

    return find


def policy_text(document: str) -> str:
    """Policy documents travel URL-encoded; boto3 decodes them back into dicts."""
    return quote(document, safe="")


def _bad_marker() -> ServiceError:
    return ServiceError(
        "Invalid Marker: the marker does not come from an earlier listing.",
        code="InvalidInput",
        http_status=400,
        sender_fault=True,
    )


def page(items: list[Any], params: Params, key: str) -> dict[str, Any]:
    """IAM's Marker/MaxItems/IsTruncated pagination."""
    chunk, marker = paginate(
        items,
        params,
        default_max=100,
        bad_token=_bad_marker,
        token_key="Marker",
        max_key="MaxItems",
    )
    out: dict[str, Any] = {key: chunk, "IsTruncated": marker is not None}
    if marker:
        out["Marker"] = marker
    return out
