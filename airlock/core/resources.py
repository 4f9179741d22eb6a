"""What a CloudFormation resource type is: the interface a service's provider implements.

A provider lives in its service's package and does its work through the call path
(`ProviderContext.call`), as the stack's principal, so IAM decides every step and
the trail records it. The CloudFormation engine knows types only by name: it finds
them through the services' `ServiceApi.resource_types`.

The lifecycle, chosen so a crash at any moment neither loses nor repeats work:

- `create` makes exactly one call that brings the resource into being, passing
  `creates=` so its physical id commits in that call's transaction;
- `configure` applies everything else (tags, policies, versioning…), idempotently:
  after create, after a crash between the two, and for an update in place;
- `stabilize` says whether a resource that takes time (an endpoint) is ready;
- `delete` removes it; a resource already gone is deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from airlock.core.calls import call
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError

Properties = dict[str, Any]


class ResourceFailed(Exception):
    """A resource could not be created, updated or deleted; the message is the event's reason."""


class ProviderContext:
    """What a provider may know and do for one resource of one stack."""

    def __init__(
        self,
        platform: Any,
        ctx: RequestContext,
        *,
        stack_name: str,
        stack_id: str,
        logical_id: str,
        tags: Mapping[str, str] | None = None,
        on_created: Callable[[Session, str], None] | None = None,
        resource_key: str | None = None,
        generation: int = 1,
    ) -> None:
        self.platform = platform
        self.ctx = ctx
        self.stack_name = stack_name
        self.stack_id = stack_id
        self.logical_id = logical_id
        # What sets this physical resource apart from every other the stack makes, for
        # generated names and idempotency tokens: a resource that replaces another has
        # the same logical id but must not get its predecessor's name.
        self.resource_key = resource_key or f"{stack_id}/{logical_id}"
        # The stack operation this step belongs to (each update and each rollback is a
        # new one): an id derived from it is the same when a step is retried, and new
        # when a later update asks for what an earlier one already did.
        self.generation = generation
        # Stack tags, passed on to every resource that takes tags.
        self.tags = dict(tags or {})
        self._on_created = on_created
        # The call in progress or last made, for a failure's reason.
        self.last_call = ("", "")

    @property
    def account_id(self) -> str:
        """The account the stack (and so the resource) lives in."""
        return self.ctx.account_id

    @property
    def region(self) -> str:
        """The stack's region."""
        return self.ctx.region

    def call(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        *,
        creates: Callable[[dict[str, Any]], str] | None = None,
    ) -> dict[str, Any]:
        """Run an operation as the stack's principal (ServiceError as the API answers it).

        `creates(output)` names the physical id of the resource this call brings into
        being; it is recorded in the call's own transaction.
        """
        within = None
        if creates is not None:
            hook = self._on_created

            def within(session: Session, output: dict[str, Any]) -> None:
                if hook is not None:
                    hook(session, creates(output))

        self.last_call = (service, operation)
        return call(self.platform, self.ctx, service, operation, params, within=within)

    def physical_name(self, max_length: int = 255, *, lower: bool = False) -> str:
        """A name for a resource whose template gives none, as CloudFormation makes them.

        `<stack>-<LogicalId>-<13 characters>`, shortened to `max_length`; the suffix is
        derived from `resource_key`, so a create repeated after a crash asks for the
        same name, and a replacement for a new one.
        """
        digest = hashlib.sha256(self.resource_key.encode()).hexdigest()
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        number = int(digest, 16)
        suffix = ""
        for _ in range(13):
            number, index = divmod(number, len(alphabet))
            suffix += alphabet[index]
        room = max_length - len(suffix) - 2
        stack_part = self.stack_name[: max(room // 2, 1)]
        logical_part = self.logical_id[: max(room - len(stack_part), 1)]
        name = f"{stack_part}-{logical_part}-{suffix}"[:max_length]
        return name.lower() if lower else name

    def resource_tags(self, props: Properties) -> list[dict[str, str]]:
        """The resource's `Tags` after the stack's (a resource's own tag wins)."""
        own = {t["Key"]: t["Value"] for t in props.get("Tags") or [] if isinstance(t, dict)}
        merged = {**self.tags, **own}
        return [{"Key": k, "Value": v} for k, v in merged.items()]


def gone(error: ServiceError) -> bool:
    """Whether an error says the resource does not exist (what `delete` may ignore)."""
    text = f"{error.code} {error.message}".lower()
    return (
        "notfound" in error.code.lower().replace("_", "")
        or "nosuch" in error.code.lower()
        or "does not exist" in text
        or "not found" in text
        or "cannot find" in text
    )


class ResourceType(Protocol):
    """A resource type a service provides (`AWS::S3::Bucket`)."""

    @property
    def type_name(self) -> str: ...

    @property
    def spec(self) -> ResourceSpec: ...

    def create(self, pc: ProviderContext, props: Properties) -> str:
        """Bring the resource into being (one call, with `creates=`); its physical id."""
        ...

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        """Make the resource match `props` (after create, `old` is None); idempotent."""
        ...

    def stabilize(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool:
        """True once the resource is ready; ResourceFailed if it never will be."""
        ...

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        """The `Fn::GetAtt` values, and `Ref` under the key "Ref"."""
        ...

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool | None:
        """Remove the resource; one already gone counts as deleted.

        False while a removal that takes time (a stack set's instances) is still under
        way: the engine calls again on a later tick.
        """
        ...


@dataclass(frozen=True)
class ResourceSpec:
    """What a type declares, as the CloudFormation resource reference documents it."""

    properties: frozenset[str]
    required: frozenset[str] = frozenset()
    # A change to one of these replaces the resource (create new, delete old in cleanup).
    create_only: frozenset[str] = frozenset()
    # `Fn::GetAtt` names.
    attributes: frozenset[str] = frozenset()
    # Properties whose values are never shown (none so far).
    write_only: frozenset[str] = field(default_factory=frozenset)


class BaseResource:
    """Defaults for the optional steps: nothing to configure, ready at once, Ref = id."""

    type_name: str
    spec: ResourceSpec

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        """Nothing beyond what create did."""

    def stabilize(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool:
        """Ready as soon as it exists."""
        return True

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        """Ref is the physical id."""
        return {"Ref": physical_id}
