"""What CloudFormation's operations share: the service object, templates in, stacks out."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.core.api import Params, Resource
from airlock.core.calls import resource_types
from airlock.core.context import RequestContext
from airlock.s3.access import ObjectAccess, ObjectAccessError, S3Url

from . import errors
from .models import ChangeSet, Stack
from .stacks import live_stack
from .template import (
    ParameterError,
    TemplateError,
    check_template,
    parse_template,
    required_capabilities,
    resolve_parameters,
)

# Where a stage step leaves the body a TemplateURL named.
FETCHED = "@template"
STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")


class CloudFormation:
    """The service object operations run against: a session, the clock and the platform."""

    def __init__(self, platform: Any, session: Session) -> None:
        self.platform = platform
        self.session = session
        self.clock = platform.clock

    def stack(self, ctx: RequestContext, name_or_id: str) -> Stack:
        """A stack by name or id, or CloudFormation's ValidationError."""
        found = live_stack(self.session, ctx.account_id, ctx.region, name_or_id)
        if found is None:
            raise errors.CloudFormationValidation(f"Stack with id {name_or_id} does not exist")
        return found

    def known_types(self) -> set[str]:
        """Every resource type the implemented services provide."""
        return set(resource_types(self.platform))


def find_change_set(
    svc: CloudFormation, ctx: RequestContext, name: str, stack_name: str | None
) -> ChangeSet:
    """A change set by ARN, or by name within a stack; ChangeSetNotFound otherwise."""
    query = (
        select(ChangeSet)
        .join(Stack, Stack.id == ChangeSet.stack_pk)
        .where(Stack.account_id == ctx.account_id, Stack.region == ctx.region)
    )
    if name.startswith("arn:"):
        found = svc.session.scalars(query.where(ChangeSet.arn == name)).first()
    else:
        stack = live_stack(svc.session, ctx.account_id, ctx.region, stack_name or "")
        found = None
        if stack is not None:
            found = svc.session.scalars(
                query.where(ChangeSet.stack_pk == stack.id, ChangeSet.name == name)
            ).first()
    if found is None:
        raise errors.ChangeSetNotFound(f"ChangeSet [{name}] does not exist")
    return found


def stack_resource(svc: CloudFormation | None, ctx: RequestContext, p: Params) -> list[Resource]:
    """The stack an operation names, as IAM sees it (`stack/<name>/*` when it has no id yet)."""
    name = str(p.get("StackName") or "*")
    if name.startswith("arn:"):
        return [Resource(name, name.split(":")[4] if len(name.split(":")) > 4 else None)]
    return [Resource(f"arn:aws:cloudformation:{ctx.region}:{ctx.account_id}:stack/{name}/*")]


def new_stack_id(ctx: RequestContext, name: str) -> str:
    """A stack id: `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`."""
    return f"arn:aws:cloudformation:{ctx.region}:{ctx.account_id}:stack/{name}/{uuid.uuid4()}"


def check_stack_name(name: str) -> None:
    """A valid stack name, or CloudFormation's message."""
    if not STACK_NAME.fullmatch(name):
        raise errors.CloudFormationValidation(
            f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )


def fetch_template(platform: Any, ctx: RequestContext, p: Params) -> Callable[[], None]:
    """A stage step: the TemplateURL's object, read with the caller's credentials."""
    url = p.get("TemplateURL")
    if url:
        location = s3_location(str(url), platform.settings.host)
        try:
            body = b"".join(ObjectAccess(platform, ctx).read(location))
        except ObjectAccessError as error:
            raise errors.CloudFormationValidation(
                f"TemplateURL must reference a valid S3 object to which you have access: {error}"
            ) from error
        p[FETCHED] = body.decode("utf-8", errors="replace")
    return lambda: None


def s3_location(url: str, host: str) -> S3Url:
    """The bucket and key of a TemplateURL in the forms CloudFormation accepts.

    `https://<bucket>.s3.amazonaws.com/<key>`, `https://<bucket>.s3.<region>.amazonaws.com/<key>`,
    `https://s3.amazonaws.com/<bucket>/<key>`, `https://s3.<region>.amazonaws.com/<bucket>/<key>`,
    `s3://<bucket>/<key>`, and Airlock's own address, path-style or virtual-host style.
    """
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        return S3Url(parsed.netloc, unquote(parsed.path.lstrip("/")))
    name = (parsed.hostname or "").lower()
    path = unquote(parsed.path.lstrip("/"))
    virtual = re.fullmatch(r"(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com", name)
    own = [h for h in {host.lower(), "localhost"} if name.endswith("." + h)]
    if virtual:
        return S3Url(virtual.group(1), path)
    if own:
        return S3Url(name[: -len(own[0]) - 1], path)
    plain = re.fullmatch(r"s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com", name)
    if parsed.scheme in ("http", "https") and (
        plain or name in {host.lower(), "localhost", "127.0.0.1"}
    ):
        bucket, _, key = path.partition("/")
        if bucket and key:
            return S3Url(bucket, key)
    raise errors.CloudFormationValidation(
        "TemplateURL must be a supported URL: an Amazon S3 object URL such as "
        f"https://<bucket>.s3.amazonaws.com/<key> (got {url})"
    )


def template_body(p: Params) -> str:
    """The template a call gives: TemplateBody, or what TemplateURL named."""
    if p.get("TemplateBody") and p.get("TemplateURL"):
        raise errors.CloudFormationValidation(
            "Specify exactly one of TemplateBody or TemplateURL, not both."
        )
    body = p.get("TemplateBody") or p.get(FETCHED)
    if not body:
        raise errors.CloudFormationValidation(
            "Either Template URL or Template Body must be specified."
        )
    return str(body)


def parsed(svc: CloudFormation, body: str) -> dict[str, Any]:
    """A template read and checked, or ValidationError with the template's error."""
    try:
        template = parse_template(body)
        check_template(template, svc.known_types())
    except TemplateError as error:
        raise errors.CloudFormationValidation(error.message) from error
    return template


def given_parameters(p: Params) -> dict[str, str | None]:
    """Parameters of a call: key → value, or None for UsePreviousValue."""
    given: dict[str, str | None] = {}
    for item in p.get("Parameters") or []:
        key = item.get("ParameterKey")
        if not key:
            continue
        given[str(key)] = (
            None if item.get("UsePreviousValue") else str(item.get("ParameterValue", ""))
        )
    return given


def checked_parameters(
    template: dict[str, Any], p: Params, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The parameter values a call sets, checked against the template's constraints."""
    try:
        return resolve_parameters(template, given_parameters(p), previous)
    except TemplateError as error:
        raise errors.CloudFormationValidation(error.message) from error


def check_capabilities(template: dict[str, Any], p: Params) -> list[str]:
    """The acknowledged capabilities, or InsufficientCapabilities naming what is missing."""
    granted = [str(c) for c in p.get("Capabilities") or []]
    needed = required_capabilities(template)
    missing = [c for c in needed if c not in granted]
    if "CAPABILITY_IAM" in missing and "CAPABILITY_NAMED_IAM" in granted:
        missing.remove("CAPABILITY_IAM")
    if missing:
        raise errors.InsufficientCapabilities(f"Requires capabilities : [{', '.join(missing)}]")
    return granted


def tags_of(p: Params) -> dict[str, str]:
    """Tags as a dict."""
    return {str(t["Key"]): str(t.get("Value", "")) for t in p.get("Tags") or []}


__all__ = [
    "FETCHED",
    "CloudFormation",
    "ParameterError",
    "check_capabilities",
    "check_stack_name",
    "checked_parameters",
    "fetch_template",
    "find_change_set",
    "new_stack_id",
    "parsed",
    "stack_resource",
    "tags_of",
    "template_body",
]
