"""CloudFormation resource types of EventBridge: buses, rules and bus policy statements."""

from __future__ import annotations

import json
import threading
from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import (
    BaseResource,
    Properties,
    ProviderContext,
    ResourceFailed,
    ResourceSpec,
    gone,
)

from .operations import api
from .service import DEFAULT_BUS

# EventBusPolicy statements are merged into the bus policy read-modify-write; the
# statements of one template are created in parallel, so the merges take turns.
POLICY_LOCK = "events.bus-policy-lock"
# CreateEventBus members a template may set; UpdateEventBus changes them in place.
BUS_SETTINGS = ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")


def as_json(document: Any) -> str:
    """A template's JSON-typed property (an object, or already text) as JSON text."""
    return document if isinstance(document, str) else json.dumps(document)


def already_exists(type_name: str, identifier: str) -> ResourceFailed:
    """CloudFormation's reason for a create that finds the resource already there."""
    return ResourceFailed(
        f"Resource of type '{type_name}' with identifier '{identifier}' already exists."
    )


def _ignore_gone(error: ServiceError) -> None:
    if not gone(error):
        raise error


def _tag_map(pc: ProviderContext, props: Properties | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in pc.resource_tags(props or {})}


class EventBus(BaseResource):
    """A custom bus; `Ref` is its name."""

    type_name = "AWS::Events::EventBus"
    spec = ResourceSpec(
        properties=frozenset({"Name", "EventSourceName", "Policy", "Tags", *BUS_SETTINGS}),
        required=frozenset({"Name"}),
        create_only=frozenset({"Name"}),
        attributes=frozenset({"Arn", "Name", "Policy"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        name = str(props["Name"])
        request: dict[str, Any] = {"Name": name}
        for member in ("EventSourceName", *BUS_SETTINGS):
            if props.get(member) is not None:
                request[member] = props[member]
        tags = pc.resource_tags(props)
        if tags:
            request["Tags"] = tags
        pc.call("events", "CreateEventBus", request, creates=lambda _: name)
        return name

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        bus: dict[str, Any] = {"EventBusName": physical_id}
        if props.get("Policy"):
            pc.call("events", "PutPermission", {**bus, "Policy": as_json(props["Policy"])})
        elif old is not None and old.get("Policy"):
            pc.call("events", "RemovePermission", {**bus, "RemoveAllPermissions": True})
        if old is None:
            return  # CreateEventBus set the rest
        if any(props.get(m) != old.get(m) for m in BUS_SETTINGS):
            update = {m: props[m] for m in BUS_SETTINGS if props.get(m) is not None}
            pc.call("events", "UpdateEventBus", {"Name": physical_id, **update})
        arn = self._describe(pc, physical_id)["Arn"]
        wanted, had = _tag_map(pc, props), _tag_map(pc, old)
        dropped = sorted(set(had) - set(wanted))
        if dropped:
            pc.call("events", "UntagResource", {"ResourceARN": arn, "TagKeys": dropped})
        if wanted and wanted != had:
            tags = [{"Key": k, "Value": v} for k, v in wanted.items()]
            pc.call("events", "TagResource", {"ResourceARN": arn, "Tags": tags})

    def _describe(self, pc: ProviderContext, name: str) -> dict[str, Any]:
        return pc.call("events", "DescribeEventBus", {"Name": name})

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        bus = self._describe(pc, physical_id)
        values = {"Ref": physical_id, "Arn": bus["Arn"], "Name": bus["Name"]}
        if bus.get("Policy"):
            values["Policy"] = bus["Policy"]
        return values

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        try:
            pc.call("events", "DeleteEventBus", {"Name": physical_id})
        except ServiceError as error:
            _ignore_gone(error)


def _rule_id(props: Properties, physical_id: str) -> tuple[str | None, str]:
    """A rule's bus (as the template names it) and name (its physical id is `bus|name`, or
    the name on the default bus)."""
    return props.get("EventBusName"), physical_id.rpartition("|")[2]


def _rule(bus: str | None, name: str, key: str = "Name") -> dict[str, Any]:
    """The members naming a rule (`Rule` for the target operations)."""
    return {key: name, **({"EventBusName": bus} if bus else {})}


def _on_default_bus(bus: str | None) -> bool:
    return not bus or bus.rsplit("/", 1)[-1] == DEFAULT_BUS


class Rule(BaseResource):
    """A rule and its targets; `Ref` is the rule name, or `bus|name` on a custom bus."""

    type_name = "AWS::Events::Rule"
    spec = ResourceSpec(
        properties=frozenset(
            {
                "Description",
                "EventBusName",
                "EventPattern",
                "Name",
                "RoleArn",
                "ScheduleExpression",
                "State",
                "Targets",
            }
        ),
        create_only=frozenset({"Name", "EventBusName"}),
        attributes=frozenset({"Arn"}),
    )

    def _put_rule(self, pc: ProviderContext, props: Properties, name: str, **kw: Any) -> None:
        request = _rule(props.get("EventBusName"), name)
        if props.get("EventPattern") is not None:
            request["EventPattern"] = as_json(props["EventPattern"])
        for member in ("ScheduleExpression", "State", "Description", "RoleArn"):
            if props.get(member) is not None:
                request[member] = props[member]
        pc.call("events", "PutRule", request, **kw)

    def create(self, pc: ProviderContext, props: Properties) -> str:
        bus = props.get("EventBusName")
        name = str(props.get("Name") or pc.physical_name(64))
        physical_id = name if _on_default_bus(bus) else f"{bus}|{name}"
        # PutRule also updates: without this a stack would take over a rule it did not make.
        try:
            pc.call("events", "DescribeRule", _rule(bus, name))
        except ServiceError as error:
            _ignore_gone(error)
        else:
            raise already_exists(self.type_name, name)
        self._put_rule(pc, props, name, creates=lambda _: physical_id)
        return physical_id

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        bus, name = _rule_id(props, physical_id)
        if old is not None:
            self._put_rule(pc, props, name)  # PutRule replaces every setting it is given
        rule = _rule(bus, name, "Rule")
        wanted = {t["Id"]: t for t in props.get("Targets") or []}
        present = pc.call("events", "ListTargetsByRule", rule)["Targets"]
        stale = sorted(t["Id"] for t in present if t["Id"] not in wanted)
        if stale:  # first, so that the new ones fit within the rule's five
            pc.call("events", "RemoveTargets", {**rule, "Ids": stale})
        if not wanted:
            return
        answer = pc.call("events", "PutTargets", {**rule, "Targets": list(wanted.values())})
        if answer.get("FailedEntryCount"):
            failed = answer["FailedEntries"][0]
            raise ResourceFailed(
                f"Target {failed['TargetId']} of rule {name} was refused: "
                f"{failed['ErrorCode']}: {failed['ErrorMessage']}"
            )

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        bus, name = _rule_id(props, physical_id)
        rule = pc.call("events", "DescribeRule", _rule(bus, name))
        return {"Ref": physical_id, "Arn": rule["Arn"]}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        bus, name = _rule_id(props, physical_id)
        rule = _rule(bus, name, "Rule")
        try:
            targets = pc.call("events", "ListTargetsByRule", rule)["Targets"]
            if targets:
                pc.call("events", "RemoveTargets", {**rule, "Ids": [t["Id"] for t in targets]})
            pc.call("events", "DeleteRule", _rule(bus, name))
        except ServiceError as error:
            _ignore_gone(error)


class EventBusPolicy(BaseResource):
    """One statement of a bus policy: `Statement` merged in by its `StatementId`, or the
    legacy `Action`/`Principal`/`Condition` given to PutPermission."""

    type_name = "AWS::Events::EventBusPolicy"
    spec = ResourceSpec(
        properties=frozenset(
            {"EventBusName", "StatementId", "Statement", "Action", "Principal", "Condition"}
        ),
        required=frozenset({"StatementId"}),
        create_only=frozenset({"EventBusName", "StatementId"}),
    )

    def _lock(self, pc: ProviderContext) -> threading.Lock:
        lock: threading.Lock = pc.platform.runtime.setdefault(POLICY_LOCK, threading.Lock())
        return lock

    def _bus(self, props: Properties) -> dict[str, Any]:
        return {"EventBusName": props["EventBusName"]} if props.get("EventBusName") else {}

    def _statements(self, pc: ProviderContext, props: Properties) -> list[dict[str, Any]]:
        named = {"Name": props["EventBusName"]} if props.get("EventBusName") else {}
        bus = pc.call("events", "DescribeEventBus", named)
        if not bus.get("Policy"):
            return []
        statements = json.loads(bus["Policy"]).get("Statement", [])
        return list(statements if isinstance(statements, list) else [statements])

    def _put(
        self,
        pc: ProviderContext,
        props: Properties,
        *,
        create: bool = False,
        **kw: Any,
    ) -> None:
        """Write the statement (`kw` goes to the call); a create refuses a statement id
        the policy already has."""
        sid = props["StatementId"]
        with self._lock(pc):
            statements = self._statements(pc, props)
            if create and any(s.get("Sid") == sid for s in statements):
                raise already_exists(self.type_name, sid)
            if props.get("Statement") is None:
                request = {**self._bus(props), "StatementId": sid}
                for member in ("Action", "Principal", "Condition"):
                    if props.get(member) is not None:
                        request[member] = props[member]
                pc.call("events", "PutPermission", request, **kw)
                return
            statement = props["Statement"]
            if isinstance(statement, str):
                statement = json.loads(statement)
            kept = [s for s in statements if s.get("Sid") != sid]
            policy = {"Version": "2012-10-17", "Statement": [*kept, {"Sid": sid, **statement}]}
            request = {**self._bus(props), "Policy": json.dumps(policy)}
            pc.call("events", "PutPermission", request, **kw)

    def create(self, pc: ProviderContext, props: Properties) -> str:
        # As the reference shows it (`EventBusPolicy-1aBCdeFGh2J3`), the same on a retry.
        physical_id = "EventBusPolicy-" + pc.physical_name().rsplit("-", 1)[-1]
        self._put(pc, props, create=True, creates=lambda _: physical_id)
        return physical_id

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is not None:
            self._put(pc, props)

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        request = {**self._bus(props), "StatementId": props["StatementId"]}
        with self._lock(pc):
            try:
                pc.call("events", "RemovePermission", request)
            except ServiceError as error:
                _ignore_gone(error)


for _provider in (EventBus(), Rule(), EventBusPolicy()):
    api.resource_type(_provider)
