"""EventBridge operations (JSON 1.1, `AWSEvents`): buses, rules, targets, events, tags."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi, role_members
from airlock.core.context import RequestContext
from airlock.core.documents import load_json
from airlock.core.paging import paginate
from airlock.core.tags import arn_exists, arn_resource, upsert_tags

from . import errors
from .models import ApiDestination, Connection, EventBus, EventsTag, Rule, Target
from .patterns import InvalidPattern, compile_pattern
from .service import DEFAULT_BUS, EventsService, new_event, stamp
from .targets import EVENTS_PRINCIPAL as EVENTS
from .targets import kind_for, supported_kinds
from .transform import InvalidPath, check_path

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024
MAX_TARGETS = 5


def _factory(platform: Any, session: Session) -> EventsService:
    return EventsService(session, platform.clock)


def _worker(platform: Any) -> Any:
    from .delivery import DeliveryWorker

    return DeliveryWorker(platform)


api: ServiceApi[EventsService] = ServiceApi("events", _factory, worker=_worker)


def _bad_token() -> errors.EventsValidation:
    return errors.EventsValidation("The NextToken provided is invalid.")


def _bus_of(
    svc: EventsService, ctx: RequestContext, p: Params, key: str = "EventBusName"
) -> EventBus:
    account, name = svc.parse_bus(ctx.account_id, ctx.region, p.get(key))
    return svc.bus(account, ctx.region, name)


def _named_bus(svc: EventsService, ctx: RequestContext, p: Params) -> list[Resource]:
    """The bus a bus operation names in `Name`."""
    return _bus_resource(svc, ctx, {"EventBusName": p.get("Name")})


def _bus_resource(svc: EventsService, ctx: RequestContext, p: Params) -> list[Resource]:
    account, name = svc.parse_bus(ctx.account_id, ctx.region, p.get("EventBusName"))
    bus = svc.find_bus(account, ctx.region, name)
    if bus is None:
        return [Resource(f"arn:aws:events:{ctx.region}:{account}:event-bus/{name}", account)]
    return [Resource(bus.arn, bus.account_id, policy=bus.policy)]


def _rule_resource(svc: EventsService, ctx: RequestContext, p: Params) -> list[Resource]:
    account, bus_name = svc.parse_bus(ctx.account_id, ctx.region, p.get("EventBusName"))
    middle = "" if bus_name == DEFAULT_BUS else f"{bus_name}/"
    name = p.get("Name") or p.get("Rule")
    return [Resource(f"arn:aws:events:{ctx.region}:{account}:rule/{middle}{name}", account)]


# Buses -----------------------------------------------------------------------------------


def bus_out(bus: EventBus) -> Output:
    """The bus as DescribeEventBus and ListEventBuses show it."""
    out: Output = {
        "Name": bus.name,
        "Arn": bus.arn,
        "CreationTime": bus.created_at,
        "LastModifiedTime": bus.modified_at,
    }
    if bus.description:
        out["Description"] = bus.description
    if bus.policy:
        out["Policy"] = bus.policy
    return out


# Bus settings that need services Airlock lacks (KMS, SQS dead letters, bus logging):
# refused by name rather than accepted and ignored.
UNSUPPORTED_BUS_SETTINGS = {
    "KmsKeyIdentifier": "a KMS key (Airlock has no KMS; buses use no customer key)",
    "DeadLetterConfig": "a dead-letter queue (Airlock has no SQS)",
    "LogConfig": "bus logging",
}


def _refuse_unsupported_settings(p: Params) -> None:
    for member, what in UNSUPPORTED_BUS_SETTINGS.items():
        if p.get(member):
            raise errors.EventsValidation(
                f"{member} is not supported: Airlock's event buses cannot use {what}. "
                f"Remove {member} from the request."
            )


@api.operation("events:CreateEventBus", resources=_named_bus)
def create_event_bus(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """A custom bus."""
    _refuse_unsupported_settings(p)
    bus = svc.create_bus(ctx.account_id, ctx.region, p["Name"], p.get("Description"))
    _tag(svc, bus.arn, p.get("Tags") or [])
    return {"EventBusArn": bus.arn, **({"Description": bus.description} if bus.description else {})}


@api.operation("events:DescribeEventBus", resources=_named_bus)
def describe_event_bus(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """A bus and its policy."""
    return bus_out(_bus_of(svc, ctx, p, "Name"))


@api.operation("events:UpdateEventBus", resources=_named_bus)
def update_event_bus(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Change a bus's description (the default bus's too; an absent Description clears it)."""
    _refuse_unsupported_settings(p)
    bus = _bus_of(svc, ctx, p, "Name")
    bus.description = p.get("Description") or None
    bus.modified_at = ctx.time
    out: Output = {"Arn": bus.arn, "Name": bus.name}
    if bus.description:
        out["Description"] = bus.description
    return out


@api.operation("events:ListEventBuses")
def list_event_buses(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """The caller's buses."""
    prefix = p.get("NamePrefix") or ""
    buses = [bus_out(b) for b in svc.buses(ctx.account_id, ctx.region) if b.name.startswith(prefix)]
    page, token = paginate(buses, p, default_max=100, bad_token=_bad_token, max_key="Limit")
    return {"EventBuses": page, **({"NextToken": token} if token else {})}


@api.operation("events:DeleteEventBus", resources=_named_bus)
def delete_event_bus(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Delete a custom bus (deleting one that does not exist succeeds, as in AWS)."""
    bus = svc.find_bus(ctx.account_id, ctx.region, p["Name"])
    if bus is not None or p["Name"] == DEFAULT_BUS:
        svc.delete_bus(bus or svc.bus(ctx.account_id, ctx.region, p["Name"]))
    return {}


@api.operation("events:PutPermission", resources=_bus_resource)
def put_permission(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Grant another account (or an organization) PutEvents on the bus, or set the whole policy."""
    bus = _bus_of(svc, ctx, p)
    if p.get("Policy"):
        svc.set_policy(bus, p["Policy"])
        return {}
    sid, principal = p.get("StatementId"), p.get("Principal")
    if not sid or not principal or p.get("Action", "events:PutEvents") != "events:PutEvents":
        raise errors.EventsValidation(
            "Parameter(s) Action, Principal and StatementId must be specified "
            "(Action events:PutEvents), or a Policy."
        )
    statements = [s for s in svc.policy_statements(bus) if s.get("Sid") != sid]
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
        "Action": "events:PutEvents",
        "Resource": bus.arn,
    }
    condition = p.get("Condition")
    if condition:
        statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
    svc.set_policy(
        bus, json.dumps({"Version": "2012-10-17", "Statement": [*statements, statement]})
    )
    return {}


@api.operation("events:RemovePermission", resources=_bus_resource)
def remove_permission(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Remove one statement, or the whole policy."""
    bus = _bus_of(svc, ctx, p)
    if p.get("RemoveAllPermissions"):
        svc.set_policy(bus, None)
        return {}
    statements = svc.policy_statements(bus)
    kept = [s for s in statements if s.get("Sid") != p.get("StatementId")]
    if len(kept) == len(statements):
        raise errors.ResourceNotFound("Statement with the provided id does not exist.")
    policy = json.dumps({"Version": "2012-10-17", "Statement": kept}) if kept else None
    svc.set_policy(bus, policy)
    return {}


# Rules -----------------------------------------------------------------------------------


def rule_out(rule: Rule, bus: EventBus) -> Output:
    """The rule as DescribeRule and ListRules show it."""
    out: Output = {
        "Name": rule.name,
        "Arn": rule.arn,
        "State": rule.state,
        "EventBusName": bus.name,
        "CreatedBy": rule.created_by,
    }
    for member, value in (
        ("EventPattern", rule.event_pattern),
        ("ScheduleExpression", rule.schedule),
        ("Description", rule.description),
        ("RoleArn", rule.role_arn),
        ("ManagedBy", rule.managed_by),
    ):
        if value:
            out[member] = value
    return out


@api.operation(
    "events:PutRule", resources=_rule_resource, passes_role=role_members(EVENTS, "RoleArn")
)
def put_rule(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Create or update a rule."""
    bus = _bus_of(svc, ctx, p)
    rule = svc.put_rule(bus, p["Name"], p, ctx.account_id)
    _tag(svc, rule.arn, p.get("Tags") or [])
    return {"RuleArn": rule.arn}


@api.operation("events:DescribeRule", resources=_rule_resource)
def describe_rule(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """A rule."""
    bus = _bus_of(svc, ctx, p)
    return rule_out(svc.rule(bus, p["Name"]), bus)


@api.operation("events:ListRules")
def list_rules(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """The bus's rules, by name."""
    bus = _bus_of(svc, ctx, p)
    rules = [rule_out(r, bus) for r in svc.rules(bus, p.get("NamePrefix") or "")]
    page, token = paginate(rules, p, default_max=100, bad_token=_bad_token, max_key="Limit")
    return {"Rules": page, **({"NextToken": token} if token else {})}


def _set_state(svc: EventsService, ctx: RequestContext, p: Params, state: str) -> Output:
    rule = svc.rule(_bus_of(svc, ctx, p), p["Name"])
    rule.state = state
    return {}


@api.operation("events:EnableRule", resources=_rule_resource)
def enable_rule(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Turn a rule on."""
    return _set_state(svc, ctx, p, "ENABLED")


@api.operation("events:DisableRule", resources=_rule_resource)
def disable_rule(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Turn a rule off (events stop matching it; deliveries already made stay)."""
    return _set_state(svc, ctx, p, "DISABLED")


@api.operation("events:DeleteRule", resources=_rule_resource)
def delete_rule(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Delete a rule that has no targets left (or with Force, a managed rule)."""
    bus = _bus_of(svc, ctx, p)
    rule = svc.find_rule(bus, p["Name"])
    if rule is not None:
        svc.delete_rule(rule, bool(p.get("Force")))
    return {}


@api.operation("events:TestEventPattern")
def test_event_pattern(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Whether the event matches the pattern."""
    try:
        pattern = compile_pattern(p["EventPattern"])
    except InvalidPattern as error:
        raise errors.InvalidEventPattern(str(error)) from error
    try:
        event = load_json(p["Event"])
    except ValueError as error:
        raise errors.EventsValidation("Parameter Event is not valid.") from error
    required = ("id", "account", "source", "time", "region", "detail-type")
    if not isinstance(event, dict) or any(k not in event for k in required):
        raise errors.EventsValidation("Parameter Event is not valid.")
    return {"Result": pattern.matches(event)}


# Targets ---------------------------------------------------------------------------------


def _target_out(target: Target) -> Output:
    return {"Id": target.target_id, "Arn": target.arn, **target.spec}


@api.operation(
    "events:PutTargets",
    resources=_rule_resource,
    passes_role=role_members(EVENTS, "Targets[].RoleArn"),
)
def put_targets(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Add or replace targets of a rule; refused ones come back in FailedEntries."""
    bus = _bus_of(svc, ctx, p)
    rule = svc.rule(bus, p["Rule"])
    existing = {t.target_id: t for t in svc.targets(rule)}
    failed = []
    for entry in p["Targets"]:
        message = _check_target(entry, rule.arn)
        if message is None and entry["Id"] not in existing and len(existing) >= MAX_TARGETS:
            message = f"The requested resource exceeds the maximum number allowed ({MAX_TARGETS})."
            failed.append(
                {
                    "TargetId": entry["Id"],
                    "ErrorCode": "LimitExceededException",
                    "ErrorMessage": message,
                }
            )
            continue
        if message is not None:
            failed.append(
                {
                    "TargetId": entry["Id"],
                    "ErrorCode": "ValidationException",
                    "ErrorMessage": message,
                }
            )
            continue
        spec = {k: v for k, v in entry.items() if k not in ("Id", "Arn")}
        target = existing.get(entry["Id"])
        if target is None:
            target = Target(rule_id=rule.id, target_id=entry["Id"], arn=entry["Arn"], spec=spec)
            svc.session.add(target)
            existing[entry["Id"]] = target
        else:
            target.arn, target.spec = entry["Arn"], spec
    svc.session.flush()
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


def _check_target(entry: dict[str, Any], rule_arn: str) -> str | None:
    kind = kind_for(entry["Arn"])
    if kind is None:
        return (
            f"Parameter {entry['Arn']} is not valid. Reason: Airlock delivers to these target "
            f"kinds: {', '.join(supported_kinds())}."
        )
    given = [k for k in ("Input", "InputPath", "InputTransformer") if entry.get(k) is not None]
    if len(given) > 1:
        return "Only one of Input, InputPath, or InputTransformer must be provided."
    transformer = entry.get("InputTransformer")
    if transformer:
        for name, path in (transformer.get("InputPathsMap") or {}).items():
            if name.startswith("aws."):
                return (
                    f"InputPathsMap key {name} is reserved: keys starting with aws. are reserved."
                )
            try:
                check_path(path)
            except InvalidPath as error:
                return str(error)
    if entry.get("InputPath"):
        try:
            check_path(entry["InputPath"])
        except InvalidPath as error:
            return str(error)
    return kind.check(entry, rule_arn)


@api.operation("events:RemoveTargets", resources=_rule_resource)
def remove_targets(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Remove targets by id."""
    rule = svc.rule(_bus_of(svc, ctx, p), p["Rule"])
    ids = set(p["Ids"])
    known = {t.target_id for t in svc.targets(rule)}
    svc.session.execute(delete(Target).where(Target.rule_id == rule.id, Target.target_id.in_(ids)))
    failed = [
        {
            "TargetId": target_id,
            "ErrorCode": "ResourceNotFoundException",
            "ErrorMessage": f"Target {target_id} does not exist on rule {rule.name}.",
        }
        for target_id in sorted(ids - known)
    ]
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


@api.operation("events:ListTargetsByRule", resources=_rule_resource)
def list_targets_by_rule(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """A rule's targets."""
    rule = svc.rule(_bus_of(svc, ctx, p), p["Rule"])
    targets = [_target_out(t) for t in svc.targets(rule)]
    page, token = paginate(targets, p, default_max=100, bad_token=_bad_token, max_key="Limit")
    return {"Targets": page, **({"NextToken": token} if token else {})}


@api.operation("events:ListRuleNamesByTarget")
def list_rule_names_by_target(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Rules of a bus that have a target with this ARN."""
    bus = _bus_of(svc, ctx, p)
    names = sorted(
        svc.session.scalars(
            select(Rule.name)
            .join(Target, Target.rule_id == Rule.id)
            .where(Rule.bus_id == bus.id, Target.arn == p["TargetArn"])
            .distinct()
        )
    )
    page, token = paginate(names, p, default_max=100, bad_token=_bad_token, max_key="Limit")
    return {"RuleNames": page, **({"NextToken": token} if token else {})}


# Events ----------------------------------------------------------------------------------


def _entry_buses(svc: EventsService, ctx: RequestContext, p: Params) -> list[Resource]:
    seen: dict[str, Resource] = {}
    for entry in p.get("Entries") or []:
        for resource in _bus_resource(svc, ctx, {"EventBusName": entry.get("EventBusName")}):
            seen.setdefault(resource.arn, resource)
    return list(seen.values()) or [Resource("*")]


def _entry_error(entry: dict[str, Any]) -> tuple[str, str] | None:
    for member in ("Source", "DetailType", "Detail"):
        if not entry.get(member):
            return (
                "InvalidArgument",
                f"Parameter {member} is not valid. Reason: {member} is a required argument.",
            )
    if str(entry["Source"]).startswith("aws."):
        return ("NotAuthorizedForSourceException", "Not authorized for the source.")
    try:
        detail = load_json(entry["Detail"])
    except ValueError:
        return ("MalformedDetail", "Detail is malformed.")
    if not isinstance(detail, dict):
        return ("MalformedDetail", "Detail is malformed.")
    return None


@api.operation("events:PutEvents", resources=_entry_buses)
def put_events(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Accept events onto buses; each entry succeeds or fails on its own."""
    entries = p["Entries"]
    if len(entries) > MAX_ENTRIES:
        raise errors.EventsValidation(
            f"1 validation error detected: Value at 'entries' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_ENTRIES}"
        )
    size = sum(len(json.dumps(e, default=str).encode()) for e in entries)
    if size > MAX_REQUEST_BYTES:
        raise errors.EventsValidation("Total size of the entries in the request is over the limit.")
    results = []
    for entry in entries:
        problem = _entry_error(entry)
        if problem is not None:
            results.append({"ErrorCode": problem[0], "ErrorMessage": problem[1]})
            continue
        account, name = svc.parse_bus(ctx.account_id, ctx.region, entry.get("EventBusName"))
        bus = svc.find_bus(account, ctx.region, name)
        if bus is None:
            results.append(
                {
                    "ErrorCode": "ResourceNotFoundException",
                    "ErrorMessage": f"Event bus {name} does not exist.",
                }
            )
            continue
        envelope = new_event(
            account=ctx.account_id,
            region=ctx.region,
            source=entry["Source"],
            detail_type=entry["DetailType"],
            detail=load_json(entry["Detail"]),
            resources=entry.get("Resources") or [],
            time=entry.get("Time") or ctx.time,
        )
        results.append({"EventId": svc.accept(bus, envelope)})
    failed = sum(1 for r in results if "ErrorCode" in r)
    return {"FailedEntryCount": failed, "Entries": results}


# Tags ------------------------------------------------------------------------------------


def _tag(svc: EventsService, arn: str, tags: list[dict[str, str]]) -> None:
    upsert_tags(svc.session, EventsTag, arn, tags)


def _resource_arn(svc: EventsService, ctx: RequestContext, p: Params) -> list[Resource]:
    return [arn_resource(str(p.get("ResourceARN", "")))]


def _known(svc: EventsService, arn: str) -> None:
    if not arn_exists(svc.session, (EventBus, Rule, Connection, ApiDestination), arn):
        raise errors.ResourceNotFound(f"Resource {arn} does not exist.")


@api.operation("events:TagResource", resources=_resource_arn)
def tag_resource(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Add or overwrite tags."""
    _known(svc, p["ResourceARN"])
    _tag(svc, p["ResourceARN"], p["Tags"])
    return {}


@api.operation("events:UntagResource", resources=_resource_arn)
def untag_resource(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """Remove tags by key."""
    _known(svc, p["ResourceARN"])
    svc.session.execute(
        delete(EventsTag).where(
            EventsTag.resource_arn == p["ResourceARN"], EventsTag.key.in_(p["TagKeys"])
        )
    )
    return {}


@api.operation("events:ListTagsForResource", resources=_resource_arn)
def list_tags_for_resource(svc: EventsService, ctx: RequestContext, p: Params) -> Output:
    """A resource's tags."""
    _known(svc, p["ResourceARN"])
    rows = svc.session.scalars(
        select(EventsTag).where(EventsTag.resource_arn == p["ResourceARN"]).order_by(EventsTag.key)
    )
    return {"Tags": [{"Key": r.key, "Value": r.value} for r in rows]}


__all__ = ["api", "stamp"]
