"""Run a resource type's provider directly against a live server (no stack engine).

A provider's tests drive its lifecycle as the engine does (create, configure,
stabilize, attributes; configure with the old properties for an update in place;
delete) as a principal of the server, then check the result through boto3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airlock.core.calls import acting_context
from airlock.core.context import Principal, root_principal
from airlock.core.resources import Properties, ProviderContext, ResourceType
from airlock.services import SERVICES
from tests.support import LiveServer, wait_for


def resource_type(type_name: str) -> ResourceType:
    """The provider of `type_name` among the implemented services."""
    for api in SERVICES:
        if type_name in api.resource_types:
            return api.resource_types[type_name]
    raise KeyError(f"no service provides {type_name}")


@dataclass
class Provisioned:
    """One resource made by a provider."""

    provider: ResourceType
    pc: ProviderContext
    physical_id: str
    props: Properties
    attributes: dict[str, Any]
    # Physical ids the provider recorded with `creates=` (exactly one per create).
    recorded: list[str] = field(default_factory=list)

    def update(self, props: Properties, timeout: float = 60) -> None:
        """An update in place: configure with the old properties, then wait until ready."""
        self.provider.configure(self.pc, self.physical_id, props, self.props)
        _stable(self.provider, self.pc, self.physical_id, props, timeout)
        self.props = props
        self.attributes = self.provider.attributes(self.pc, self.physical_id, props)

    def delete(self, timeout: float = 60) -> None:
        """Delete it, asking again (as the engine does on its ticks) while it says not yet."""
        wait_for(
            lambda: self.provider.delete(self.pc, self.physical_id, self.props) is not False,
            timeout=timeout,
            interval=0.1,
            what=f"{self.provider.type_name} {self.physical_id} to be deleted",
        )


def _stable(
    provider: ResourceType, pc: ProviderContext, physical_id: str, props: Properties, timeout: float
) -> None:
    wait_for(
        lambda: provider.stabilize(pc, physical_id, props),
        timeout=timeout,
        interval=0.1,
        what=f"{provider.type_name} {physical_id} to be ready",
    )


def provider_context(
    server: LiveServer,
    account_id: str,
    logical_id: str,
    *,
    principal: Principal | None = None,
    stack_name: str = "test-stack",
    tags: dict[str, str] | None = None,
    recorded: list[str] | None = None,
) -> ProviderContext:
    """A ProviderContext acting as `principal` (the account's root by default)."""
    platform = server.airlock.platform
    ctx = acting_context(
        platform,
        principal or root_principal(account_id),
        via="cloudformation.amazonaws.com",
        service="cloudformation",
    )
    region = platform.settings.region
    stack_id = f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/0000"
    sink = recorded if recorded is not None else []
    return ProviderContext(
        platform,
        ctx,
        stack_name=stack_name,
        stack_id=stack_id,
        logical_id=logical_id,
        tags=tags,
        on_created=lambda session, physical_id: sink.append(physical_id),
    )


def provision(
    server: LiveServer,
    account_id: str,
    type_name: str,
    props: Properties,
    *,
    logical_id: str = "Resource",
    timeout: float = 60,
    **context: Any,
) -> Provisioned:
    """Create a resource with its provider, as the engine would, and wait until it is ready."""
    provider = resource_type(type_name)
    recorded: list[str] = []
    pc = provider_context(server, account_id, logical_id, recorded=recorded, **context)
    physical_id = provider.create(pc, props)
    assert recorded == [physical_id], "create must record its physical id with creates="
    provider.configure(pc, physical_id, props, None)
    _stable(provider, pc, physical_id, props, timeout)
    attributes = provider.attributes(pc, physical_id, props)
    return Provisioned(provider, pc, physical_id, props, attributes, recorded)
