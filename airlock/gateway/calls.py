"""One way to run an operation: validate, authorize, audit, run.

The gateway runs every request through `CallPath.execute` once it has parsed the
wire input; services that act as a principal (a pipeline's register step as the
pipeline's role, a stack's resources as CloudFormation's role) run the same code
with `CallPath.call`, from params they built. Either way IAM decides (identity,
resource, trust, SCP, boundary and session policies, `iam:PassRole` for a role
the call hands to a service), the audit trail records the call (`invokedBy` the
acting service), and a refusal is the error the caller of the API would get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from airlock.audit import record
from airlock.core.api import OperationSpec, Output, Params, Resource
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError, ValidationError
from airlock.core.pipeline_actions import ActionProvider
from airlock.core.resources import ResourceType
from airlock.iam.authorizer import request_keys
from airlock.iam.enforce import authorize
from airlock.platform import Platform
from airlock.protocol import validate

from .routing import Route, ServiceDirectory

# Runs in the operation's write transaction with its output: what the acting
# service records about the call commits with the change it made, or neither does.
Within = Callable[[Session, Output], None]
# Runs in place of the operation's handler, with the service object and the checked
# params: a service passing on what it already holds (EventBridge forwarding an event to
# another bus keeps the event's id and account, as AWS does) is authorized and audited
# as the operation, while the effect is the delivery's.
Effect = Callable[[Any, Params], Output]


class NotImplementedOperation(ServiceError):
    """An operation of an implemented service that Airlock does not implement yet."""

    code = "NotImplemented"
    http_status = 501


@dataclass
class CallEvent:
    """What the audit trail records about one call, filled in as the call proceeds."""

    source: str
    operation: str
    read_only: bool
    params: dict[str, Any] | None = None
    resources: list[Resource] = field(default_factory=list)

    @classmethod
    def of(cls, route: Route, operation: str, read_only: bool) -> CallEvent:
        return cls(f"{route.model.endpoint_prefix}.amazonaws.com", operation, read_only)

    def write(
        self,
        session: Any,
        ctx: RequestContext,
        *,
        output: dict[str, Any] | None = None,
        error: ServiceError | None = None,
    ) -> None:
        record(
            session,
            ctx,
            event_source=self.source,
            operation=self.operation,
            read_only=self.read_only,
            params=self.params,
            output=output,
            error=error,
            resources=self.resources,
        )


class CallPath:
    """Runs operations of the implemented services for the gateway and in process."""

    def __init__(self, platform: Platform, directory: ServiceDirectory) -> None:
        self.platform = platform
        self.directory = directory
        self.resource_types: dict[str, ResourceType] = {}
        self.pipeline_actions: dict[str, ActionProvider] = {}
        for route in directory.routes.values():
            self.resource_types.update(route.api.resource_types)
            self.pipeline_actions.update(route.api.pipeline_actions)

    def call(
        self,
        ctx: RequestContext,
        service: str,
        operation: str,
        params: Params,
        *,
        within: Within | None = None,
        effect: Effect | None = None,
    ) -> Output:
        """Run `service:operation` as `ctx.principal`; raises the error an API caller gets.

        `ctx` names the acting service in `called_via` (see `acting_context`). With
        `effect`, the call is validated, authorized and audited as the operation, and
        `effect` does the work in the operation's write transaction.
        """
        route = self.directory.routes.get(service)
        if route is None:
            raise ValueError(f"Airlock implements no service named {service!r}")
        spec = route.api.operations.get(operation)
        internal = spec is None and operation in route.api.internal_operations
        if internal:
            spec = route.api.internal_operations[operation]
        if spec is None:
            raise NotImplementedOperation(f"Airlock does not implement {service}:{operation} yet.")
        # An internal operation has no published input shape; its handler checks its input.
        model = None if internal else route.model.operation_model(operation)

        def checked() -> Params:
            if model is not None:
                problems = validate(model.input_shape, params, spec.required)
                if problems:
                    raise ValidationError(problems)
            return dict(params)

        event = CallEvent.of(route, operation, spec.readonly)
        run = spec
        if effect is not None:
            act = effect
            run = replace(spec, handler=lambda svc, _c, p: act(svc, p), readonly=False, stage=None)
        return self.execute(route, run, ctx, event, checked, within=within)

    def execute(
        self,
        route: Route,
        spec: OperationSpec[Any],
        ctx: RequestContext,
        event: CallEvent,
        parse: Callable[[], Params],
        *,
        within: Within | None = None,
    ) -> Output:
        """Parse, authorize, run and audit one call; a refused or failed one is audited too."""
        db = self.platform.db
        readonly = spec.readonly and within is None
        try:
            try:
                event.params = parse()
            except ValidationError as error:
                if route.api.validation_error is None:
                    raise
                raise route.api.validation_error(error) from error
            undo = None
            if spec.stage is not None:
                with db.read() as session:  # no byte is stored for a caller who may not
                    self.authorize(session, route, spec, ctx, event)
                undo = spec.stage(self.platform, ctx, event.params)
            try:
                with db.read() if readonly else db.write() as session:
                    service = self.authorize(session, route, spec, ctx, event)
                    output = spec.handler(service, ctx, event.params)
                    if within is not None:
                        within(session, output)
                    if not readonly:  # the event commits with the change it records
                        event.write(session, ctx, output=output)
            except BaseException:
                if undo is not None:
                    undo()
                raise
        except ServiceError as error:
            self.record_failure(event, ctx, error)
            raise
        if readonly and not spec.data_event:
            with db.write() as session:
                event.write(session, ctx, output=output)
        return output

    def record_failure(self, event: CallEvent, ctx: RequestContext, error: ServiceError) -> None:
        """Write a refused or failed call to the audit trail."""
        with self.platform.db.write() as session:
            event.write(session, ctx, error=error)

    def authorize(
        self,
        session: Any,
        route: Route,
        spec: OperationSpec[Any],
        ctx: RequestContext,
        event: CallEvent,
    ) -> Any:
        """The service object, once the caller may do every action the call needs.

        That includes `iam:PassRole` (with `iam:PassedToService`) on each role the call
        hands to a service, as AWS checks it when the role is passed.
        """
        params = event.params or {}
        service = route.api.factory(self.platform, session)
        event.resources = spec.resources(service, ctx, params)
        keys = request_keys(params, spec.condition_keys)
        clock = self.platform.clock
        for action in spec.actions(params):
            authorize(session, clock, ctx, action, event.resources, route.family, keys)
        if spec.passes_role is not None:
            passed_to, roles = spec.passes_role
            for role in roles(params):
                resource = Resource(role, _account_of(role))
                authorize(
                    session,
                    clock,
                    ctx,
                    "iam:PassRole",
                    [resource],
                    route.family,
                    {"iam:PassedToService": [passed_to]},
                )
        return service


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None
