"""EventBridge: buses, rules and targets, and events routed to deliveries in one transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from airlock.core.api import WAKE_WORKERS
from airlock.iam.policy import MalformedPolicyDocument, PolicyKind, parse_policy
from airlock.platform.clock import Clock
from airlock.platform.db import READ_ONLY

from . import errors
from .models import Delivery, Event, EventBus, EventsTag, Rule, Target
from .patterns import CompiledPattern, InvalidPattern, compile_pattern, flatten
from .schedule import InvalidSchedule, parse_schedule
from .transform import target_input

DEFAULT_BUS = "default"
ENABLED_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")


def bus_arn(region: str, account: str, name: str) -> str:
    """`arn:aws:events:REGION:ACCOUNT:event-bus/NAME`."""
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


def rule_arn(bus: EventBus, name: str) -> str:
    """Rules of the default bus are `rule/NAME`; of other buses `rule/BUS/NAME`."""
    middle = "" if bus.name == DEFAULT_BUS else f"{bus.name}/"
    return f"arn:aws:events:{bus.region}:{bus.account_id}:rule/{middle}{name}"


@lru_cache(maxsize=4096)
def compiled(pattern: str) -> CompiledPattern:
    """A rule's pattern, compiled once per process."""
    return compile_pattern(pattern)


def check_pattern(pattern: str) -> None:
    """InvalidEventPatternException with AWS's reason, unless the pattern is valid."""
    try:
        compiled(pattern)
    except InvalidPattern as error:
        raise errors.InvalidEventPattern(str(error)) from error


def stamp(moment: datetime) -> str:
    """An event's `time`: ISO 8601 in UTC to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventsService:
    """Buses, rules, targets and events for callers in one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self._pattern_rules: dict[int, Sequence[Rule]] = {}

    # Buses ---------------------------------------------------------------------------

    def parse_bus(self, account: str, region: str, name_or_arn: str | None) -> tuple[str, str]:
        """(account, name) of a bus given by name (the caller's) or by ARN (any account's)."""
        text = name_or_arn or DEFAULT_BUS
        if text.startswith("arn:"):
            parts = text.split(":", 5)
            if len(parts) != 6 or not parts[5].startswith("event-bus/"):
                raise errors.EventsValidation(
                    f"Parameter {text} is not valid. Reason: not a bus ARN."
                )
            return parts[4], parts[5][len("event-bus/") :]
        return account, text

    def find_bus(self, account: str, region: str, name: str) -> EventBus | None:
        """A bus, creating the `default` bus of an account on first use."""
        bus = self.session.scalars(
            select(EventBus).where(
                EventBus.account_id == account, EventBus.region == region, EventBus.name == name
            )
        ).first()
        if bus is None and name == DEFAULT_BUS:
            if self.session.info.get(READ_ONLY):  # described as it will be, stored on first write
                now = self.clock.now()
                arn = bus_arn(region, account, name)
                return EventBus(
                    account_id=account,
                    region=region,
                    name=name,
                    arn=arn,
                    created_at=now,
                    modified_at=now,
                )
            bus = self._add_bus(account, region, DEFAULT_BUS, None)
        return bus

    def bus(self, account: str, region: str, name: str) -> EventBus:
        """A bus, or ResourceNotFoundException."""
        bus = self.find_bus(account, region, name)
        if bus is None:
            raise errors.ResourceNotFound(f"Event bus {name} does not exist.")
        return bus

    def _add_bus(self, account: str, region: str, name: str, description: str | None) -> EventBus:
        now = self.clock.now()
        bus = EventBus(
            account_id=account,
            region=region,
            name=name,
            arn=bus_arn(region, account, name),
            description=description,
            created_at=now,
            modified_at=now,
        )
        self.session.add(bus)
        self.session.flush()
        return bus

    def create_bus(self, account: str, region: str, name: str, description: str | None) -> EventBus:
        """A custom bus."""
        if name == DEFAULT_BUS or name.startswith("aws."):
            raise errors.EventsValidation(f"Event bus name {name} is reserved.")
        if "/" in name:
            raise errors.EventsValidation(
                "Event bus name must not contain '/'; partner buses are not supported."
            )
        if self.find_bus(account, region, name) is not None:
            raise errors.ResourceAlreadyExists(f"Event bus {name} already exists.")
        return self._add_bus(account, region, name, description)

    def buses(self, account: str, region: str) -> Sequence[EventBus]:
        """The account's buses, by name (the default bus included)."""
        default = self.find_bus(account, region, DEFAULT_BUS)
        stored = self.session.scalars(
            select(EventBus)
            .where(EventBus.account_id == account, EventBus.region == region)
            .order_by(EventBus.name)
        ).all()
        if default is not None and default not in stored:
            return sorted([*stored, default], key=lambda bus: bus.name)
        return stored

    def delete_bus(self, bus: EventBus) -> None:
        """Delete a custom bus and its rules (as EventBridge does)."""
        if bus.name == DEFAULT_BUS:
            raise errors.EventsValidation("Cannot delete event bus default.")
        for rule in self.rules(bus):
            self.session.execute(delete(Target).where(Target.rule_id == rule.id))
            self.session.delete(rule)
        self.session.execute(delete(EventsTag).where(EventsTag.resource_arn == bus.arn))
        self.session.delete(bus)
        self.session.flush()

    def set_policy(self, bus: EventBus, policy: str | None) -> None:
        """Replace the bus policy (validated as a resource-based policy)."""
        if policy is not None:
            try:
                parse_policy(policy, PolicyKind.RESOURCE)
            except MalformedPolicyDocument as error:
                raise errors.EventsValidation(error.message) from error
        bus.policy = policy
        bus.modified_at = self.clock.now()

    def policy_statements(self, bus: EventBus) -> list[dict[str, Any]]:
        """The statements of the bus policy (empty without one)."""
        if not bus.policy:
            return []
        statements = json.loads(bus.policy).get("Statement", [])
        return list(statements if isinstance(statements, list) else [statements])

    # Rules ---------------------------------------------------------------------------

    def rules(self, bus: EventBus, prefix: str = "") -> Sequence[Rule]:
        """The bus's rules, by name."""
        query = select(Rule).where(Rule.bus_id == bus.id).order_by(Rule.name)
        if prefix:
            query = query.where(Rule.name.startswith(prefix, autoescape=True))
        return self.session.scalars(query).all()

    def find_rule(self, bus: EventBus, name: str) -> Rule | None:
        """A rule by name."""
        return self.session.scalars(
            select(Rule).where(Rule.bus_id == bus.id, Rule.name == name)
        ).first()

    def rule(self, bus: EventBus, name: str) -> Rule:
        """A rule, or ResourceNotFoundException."""
        rule = self.find_rule(bus, name)
        if rule is None:
            raise errors.ResourceNotFound(f"Rule {name} does not exist on EventBus {bus.name}.")
        return rule

    def put_rule(self, bus: EventBus, name: str, params: dict[str, Any], caller: str) -> Rule:
        """Create or update a rule."""
        pattern, schedule = params.get("EventPattern"), params.get("ScheduleExpression")
        if not pattern and not schedule:
            raise errors.EventsValidation(
                "Parameter(s) EventPattern or ScheduleExpression must be specified."
            )
        if pattern:
            check_pattern(pattern)
        next_fire = None
        if schedule:
            if bus.name != DEFAULT_BUS:
                raise errors.EventsValidation(
                    "ScheduleExpression is supported only on the default event bus."
                )
            try:
                next_fire = parse_schedule(schedule).next_after(self.clock.now())
            except InvalidSchedule as error:
                raise errors.EventsValidation(
                    "Parameter ScheduleExpression is not valid."
                ) from error
        rule = self.find_rule(bus, name)
        if rule is None:
            rule = Rule(bus_id=bus.id, name=name, arn=rule_arn(bus, name), created_by=caller)
            self.session.add(rule)
        if rule.schedule != schedule:
            rule.next_fire_at = next_fire
        rule.event_pattern = pattern
        rule.schedule = schedule
        rule.state = params.get("State") or "ENABLED"
        rule.description = params.get("Description")
        rule.role_arn = params.get("RoleArn")
        self.session.flush()
        return rule

    def targets(self, rule: Rule) -> Sequence[Target]:
        """A rule's targets, by id."""
        return self.session.scalars(
            select(Target).where(Target.rule_id == rule.id).order_by(Target.target_id)
        ).all()

    def delete_rule(self, rule: Rule, force: bool) -> None:
        """Delete a rule without targets."""
        if self.targets(rule) and not force:
            raise errors.EventsValidation("Rule can't be deleted since it has targets.")
        self.session.execute(delete(Target).where(Target.rule_id == rule.id))
        self.session.execute(delete(EventsTag).where(EventsTag.resource_arn == rule.arn))
        self.session.delete(rule)
        self.session.flush()

    # Events --------------------------------------------------------------------------

    def emit(
        self,
        account: str,
        region: str,
        *,
        source: str,
        detail_type: str,
        detail: dict[str, Any],
        resources: Sequence[str],
    ) -> str:
        """An AWS service's event (`aws.sagemaker`…) on the account's default bus, in the
        caller's transaction, so it is sent exactly when the change it reports commits."""
        envelope = new_event(
            account=account,
            region=region,
            source=source,
            detail_type=detail_type,
            detail=detail,
            resources=resources,
            time=self.clock.now(),
        )
        return self.accept(self.bus(account, region, "default"), envelope)

    def accept(self, bus: EventBus, envelope: dict[str, Any]) -> str:
        """Store an event and a delivery for every target of every matching rule."""
        event = Event(
            id=envelope["id"],
            bus_id=bus.id,
            envelope=json.dumps(envelope),
            received_at=self.clock.now(),
        )
        self.session.add(event)
        self.session.flush()
        flat = flatten(envelope)
        rules = self._pattern_rules.get(bus.id)
        if rules is None:  # once per bus and transaction: a PutEvents call has up to 10 entries
            rules = self._pattern_rules[bus.id] = self.session.scalars(
                select(Rule).where(
                    Rule.bus_id == bus.id,
                    Rule.state.in_(ENABLED_STATES),
                    Rule.event_pattern.is_not(None),
                )
            ).all()
        for rule in rules:
            assert rule.event_pattern is not None
            if compiled(rule.event_pattern).matches(flat, flat=True):
                self.deliver_to_targets(event, envelope, rule)
        self.session.flush()
        return event.id

    def deliver_to_targets(self, event: Event, envelope: dict[str, Any], rule: Rule) -> None:
        """A pending delivery of the event to each of the rule's targets."""
        now = self.clock.now()
        for target in self.targets(rule):
            spec = {"Id": target.target_id, "Arn": target.arn, **target.spec}
            problem: str | None = None
            try:
                payload = target_input(spec, envelope, rule.arn)
            except ValueError as error:
                payload, problem = "", f"The target's input could not be built: {error}"
            self.session.add(
                Delivery(
                    event_seq=event.seq,
                    rule_arn=rule.arn,
                    target_id=target.target_id,
                    target_arn=target.arn,
                    target={**spec, "RuleRoleArn": rule.role_arn, "RuleAccount": rule.created_by},
                    payload=payload,
                    status="FAILED" if problem else "PENDING",
                    attempts=0,
                    due_at=now,
                    created_at=now,
                    finished_at=now if problem else None,
                    last_error=problem,
                )
            )
        self.session.info[WAKE_WORKERS] = True


def new_event(
    *,
    account: str,
    region: str,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: Sequence[str],
    time: datetime,
) -> dict[str, Any]:
    """An event envelope as EventBridge writes it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": stamp(time),
        "region": region,
        "resources": list(resources),
        "detail": detail,
    }
