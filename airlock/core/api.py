"""How a service declares its AWS operations.

Each operation names its IAM action and how to find the resources it acts on,
so the gateway can authorize in one place before the operation body runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError, ValidationError
from airlock.core.pipeline_actions import ActionProvider, action_key
from airlock.platform.tasks import StepResult, Task

if TYPE_CHECKING:
    from airlock.core.resources import ResourceType

S = TypeVar("S")
Params = dict[str, Any]
Output = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    """A resource an action touches, with the account that owns it.

    `account_id` None means "owned by the caller's account" (e.g. `*` for list calls).
    """

    arn: str
    account_id: str | None = None
    # The resource-based policy that applies (a bucket policy, a role's trust policy).
    policy: str | None = None
    # Condition keys this request sets for this resource (`sts:ExternalId`…).
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)


Handler = Callable[[S, RequestContext, Params], Output]
# (the service principal the roles are passed to, the role ARNs a call's input names)
PassesRole = tuple[str, Callable[[Params], list[str]]]
# (platform, ctx, params) -> the output, or None to take the full path.
FastHandler = Callable[[Any, RequestContext, Params], Awaitable[Output | None]]
ResourceFinder = Callable[[S, RequestContext, Params], list[Resource]]
# A controller step: (platform, session, task) -> Done | Again.
ControllerStep = Callable[[Any, Session, Task], StepResult]


class Worker(Protocol):
    """A service's background worker."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def wake(self) -> None: ...


# In a session's info: work for the services' workers was committed.
WAKE_WORKERS = "airlock.wake_workers"
# A staging step: (platform, ctx, params) -> undo.
Stage = Callable[[Any, RequestContext, Params], Callable[[], None]]


def role_members(service_principal: str, *members: str) -> PassesRole:
    """`passes_role` for role ARNs in top-level members (`RoleArn`) or one level down
    in a list of structures (`Targets[].RoleArn`)."""

    def roles(params: Params) -> list[str]:
        found: list[str] = []
        for member in members:
            head, _, tail = member.partition("[].")
            values = params.get(head)
            items = (values if isinstance(values, list) else []) if tail else [params]
            for item in items:
                role = item.get(tail or head) if isinstance(item, dict) else None
                if isinstance(role, str) and role:
                    found.append(role)
        return found

    return service_principal, roles


def _no_resources(service: object, ctx: RequestContext, params: Params) -> list[Resource]:
    return [Resource("*")]


@dataclass(frozen=True)
class OperationSpec(Generic[S]):
    """One AWS operation: its name, IAM action, resource finder and handler."""

    name: str
    action: str
    handler: Handler[S]
    resources: ResourceFinder[S]
    readonly: bool
    # Service-specific condition keys and the input member that sets each one
    # (`{"iam:PolicyARN": "PolicyArn"}`), as the service authorization reference lists them.
    condition_keys: Mapping[str, str] = field(default_factory=dict)
    # Further actions the call needs on the same resources, depending on its input
    # (AssumeRole with tags also needs sts:TagSession).
    also: Callable[[Params], list[str]] | None = None
    # For operations whose input streams (S3 uploads): runs once the caller is
    # authorized and before the write transaction, outside any transaction, so a
    # long upload holds no lock. It may replace params (a streamed body by the blob
    # it was written to) and returns what undoes that if the operation then fails.
    stage: Stage | None = None
    # The action instead of `action` when the call names a version (S3's
    # GetObject with VersionId is authorized as s3:GetObjectVersion).
    version_action: str | None = None
    # A data event (InvokeEndpoint): as in CloudTrail, where data events are not recorded
    # unless asked for, a call that succeeds is not written to the audit trail; a refused
    # or failed one still is.
    data_event: bool = False
    # Answers the call on the event loop from what is kept in memory (no transaction),
    # or returns None before doing anything, and the call takes the full path. The
    # gateway authorizes first, calling `resources` with no service object (None).
    fast: FastHandler | None = None
    # The roles the call hands to a service, and that service's principal
    # (`sagemaker.amazonaws.com`): the caller needs `iam:PassRole` on each.
    passes_role: PassesRole | None = None
    # Input members the operation needs though botocore's model marks them optional:
    # AWS answers their absence as it does a required member's ("Value null at ...").
    required: tuple[str, ...] = ()

    def actions(self, params: Params) -> list[str]:
        """Every action this call needs."""
        primary = self.action
        if self.version_action is not None and params.get("VersionId"):
            primary = self.version_action
        return [primary, *(self.also(params) if self.also else [])]


@dataclass
class ServiceApi(Generic[S]):
    """The operations one service implements, keyed by AWS operation name.

    `name` is botocore's service name; `factory` builds the service object bound to
    the request's database session and the platform.
    """

    name: str
    factory: Callable[[Any, Session], S]
    operations: dict[str, OperationSpec[S]] = field(default_factory=dict)
    # Error code used for input-shape violations when the service has its own
    # (Organizations: InvalidInputException); None keeps the protocol's default.
    validation_error: Callable[[ValidationError], ServiceError] | None = None
    # Controller steps this service runs, by task kind.
    steps: dict[str, ControllerStep] = field(default_factory=dict)
    # Run at every start-up inside one write transaction (seed data such as
    # AWS managed policies); must be idempotent.
    bootstrap: Callable[[Any, Session], None] | None = None
    # Run when the server starts, before it serves a request (recovery work that
    # must not race live requests, so never from a CLI command that opens the store).
    on_start: Callable[[Any], None] | None = None
    # A background worker (start/stop/wake) the server runs while it serves, woken
    # after every commit that set WAKE_WORKERS in the session's info.
    worker: Callable[[Any], Worker] | None = None
    # The CloudFormation resource types this service provides, by type name.
    resource_types: dict[str, ResourceType] = field(default_factory=dict)
    # The CodePipeline action types this service provides, by `action_key`.
    pipeline_actions: dict[str, ActionProvider] = field(default_factory=dict)
    # Operations AWS authorizes as IAM actions but does not publish in the service's API
    # (CodeCommit's UploadArchive, which CodePipeline's source action calls): reachable
    # through the call path only, never from the wire, and their input is unchecked by
    # any model, so the handler checks what it reads.
    internal_operations: dict[str, OperationSpec[S]] = field(default_factory=dict)

    def pipeline_action(self, provider: ActionProvider) -> ActionProvider:
        """Register a CodePipeline action type of this service."""
        key = action_key(provider.category, provider.owner, provider.provider)
        if key in self.pipeline_actions:
            raise ValueError(f"action type {key} registered twice")
        self.pipeline_actions[key] = provider
        return provider

    def resource_type(self, provider: ResourceType) -> ResourceType:
        """Register a CloudFormation resource type of this service."""
        if provider.type_name in self.resource_types:
            raise ValueError(f"resource type {provider.type_name} registered twice")
        self.resource_types[provider.type_name] = provider
        return provider

    def operation(
        self,
        action: str,
        *,
        name: str | None = None,
        resources: ResourceFinder[S] | None = None,
        readonly: bool | None = None,
        condition_keys: Mapping[str, str] | None = None,
        also: Callable[[Params], list[str]] | None = None,
        stage: Stage | None = None,
        version_action: str | None = None,
        data_event: bool = False,
        fast: FastHandler | None = None,
        passes_role: PassesRole | None = None,
        required: Sequence[str] = (),
        internal: bool = False,
    ) -> Callable[[Handler[S]], Handler[S]]:
        """Register a handler for the operation named after `action` (or `name`);
        `internal` for one the service's API does not publish (see `internal_operations`)."""
        op_name = name or action.split(":", 1)[1]
        if readonly is None:
            readonly = op_name.startswith(("Describe", "List", "Get"))

        def register(handler: Handler[S]) -> Handler[S]:
            if op_name in self.operations or op_name in self.internal_operations:
                raise ValueError(f"operation {op_name} registered twice")
            table = self.internal_operations if internal else self.operations
            table[op_name] = OperationSpec(
                name=op_name,
                action=action,
                handler=handler,
                resources=resources or _no_resources,
                readonly=readonly,
                condition_keys=dict(condition_keys or {}),
                also=also,
                stage=stage,
                version_action=version_action,
                data_event=data_event,
                fast=fast,
                passes_role=passes_role,
                required=tuple(required),
            )
            return handler

        return register
