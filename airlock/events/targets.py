"""Target kinds: where a delivery goes. Each kind is a plug-in found by the target's ARN.

A kind checks a target when PutTargets stores it and delivers one attempt. A
delivery that fails raises DeliveryFailure, saying whether a retry may help; a
target that is over its rate raises Throttled, which costs no attempt. Other
services add kinds with `register_kind` (CodePipeline pipelines, for example).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx

from airlock.core.calls import acting_context, call
from airlock.core.context import RequestContext, root_principal
from airlock.core.errors import ServiceError
from airlock.logs.service import LogsService
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from .errors import ResourceNotFound
from .service import EventsService

EVENTS_PRINCIPAL = "events.amazonaws.com"
HTTP_TIMEOUT_SECONDS = 5.0
# Answers of an HTTP endpoint after which EventBridge tries again.
RETRYABLE_STATUS = {401, 407, 409, 429}


class DeliveryFailure(Exception):
    """One attempt failed; `retryable` says whether another may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Throttled(Exception):
    """The target is over its rate; try again after `seconds` (no attempt is spent)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"over the invocation rate; next slot in {seconds:.3f}s")
        self.seconds = seconds


@dataclass(frozen=True)
class Attempt:
    """What a target kind gets to deliver."""

    delivery_id: int
    event: dict[str, Any]
    payload: str
    target: dict[str, Any]
    rule_arn: str

    @property
    def rule_account(self) -> str:
        """The account that owns the rule."""
        return self.rule_arn.split(":")[4]


class TargetKind(Protocol):
    """A kind of target."""

    name: str

    def accepts(self, arn: str) -> bool:
        """Whether this kind delivers to `arn`."""
        ...

    def check(self, target: dict[str, Any], rule_arn: str) -> str | None:
        """Why PutTargets must refuse the target, or None."""
        ...

    def deliver(self, platform: Any, attempt: Attempt) -> None:
        """Deliver once; DeliveryFailure or Throttled otherwise."""
        ...


_KINDS: list[TargetKind] = []


def register_kind(kind: TargetKind) -> None:
    """Add a target kind (later registrations win for ARNs both accept)."""
    _KINDS.insert(0, kind)


def kind_for(arn: str) -> TargetKind | None:
    """The kind that delivers to `arn`."""
    return next((kind for kind in _KINDS if kind.accepts(arn)), None)


def supported_kinds() -> list[str]:
    """Names of every registered kind."""
    return [kind.name for kind in reversed(_KINDS)]


def _context(platform: Any, attempt: Attempt) -> RequestContext:
    """Who the delivery acts as: the target's role assumed by EventBridge, or the rule's account."""
    role = attempt.target.get("RoleArn")
    account = attempt.rule_account
    if role:
        with platform.db.read() as session:
            try:
                principal = assume_role_for_service(
                    session,
                    platform.clock,
                    service_principal=EVENTS_PRINCIPAL,
                    role_arn=role,
                    session_name=f"events-{attempt.delivery_id}",
                    source_account=account,
                    source_arn=attempt.rule_arn,
                )
            except ServiceAccessDenied as error:
                raise DeliveryFailure(f"AccessDenied: {error.message}", retryable=False) from error
    else:
        principal = root_principal(account)
    region = attempt.rule_arn.split(":")[3]
    return acting_context(
        platform, principal, via=EVENTS_PRINCIPAL, service="events", region=region
    )


def delivery_context(platform: Any, attempt: Attempt) -> RequestContext:
    """The context a kind of another service delivers in (see `_context`)."""
    return _context(platform, attempt)


_BUS = re.compile(r"^arn:aws:events:([^:]+):(\d{12}):event-bus/([^/]+)$")


class BusTarget:
    """Another event bus, in this account or another (the target bus's policy decides)."""

    name = "event bus"

    def accepts(self, arn: str) -> bool:
        return arn.startswith("arn:aws:events:") and ":event-bus/" in arn

    def check(self, target: dict[str, Any], rule_arn: str) -> str | None:
        if not _BUS.match(target["Arn"]):
            return f"Parameter {target['Arn']} is not valid. Reason: not an event bus ARN."
        if (
            target["Arn"].split(":")[4] == rule_arn.split(":")[4]
            and target["Arn"].split(":")[3] == rule_arn.split(":")[3]
            and target["Arn"].endswith("/" + _bus_of(rule_arn))
        ):
            return "Parameter(s) Arn is not valid. Reason: a rule cannot target its own event bus."
        return None

    def deliver(self, platform: Any, attempt: Attempt) -> None:
        """Forward the event as the target's role, keeping its id, account and source.

        The forward goes through the call path as `events:PutEvents` on the target bus,
        so the bus's policy and the role's decide, and the trail records it with
        EventBridge as `invokedBy`. The event itself is passed on as it is, as AWS does
        (a plain PutEvents would give it a new id and refuse `aws.*` sources).
        """
        match = _BUS.match(attempt.target["Arn"])
        assert match is not None
        region, account, name = match.groups()
        ctx = replace(_context(platform, attempt), region=region)
        event = attempt.event
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event.get("detail", {})),
            "Resources": list(event.get("resources") or []),
            "EventBusName": attempt.target["Arn"],
        }

        def forward(svc: EventsService, params: dict[str, Any]) -> dict[str, Any]:
            bus = svc.find_bus(account, region, name)
            if bus is None:
                raise ResourceNotFound(f"Event bus {name} does not exist.")
            return {"FailedEntryCount": 0, "Entries": [{"EventId": svc.accept(bus, event)}]}

        try:
            call(platform, ctx, "events", "PutEvents", {"Entries": [entry]}, effect=forward)
        except ServiceError as error:
            raise DeliveryFailure(f"{error.code}: {error.message}", retryable=False) from error


def _bus_of(rule_arn: str) -> str:
    path = rule_arn.split(":", 5)[5].split("/")
    return path[1] if len(path) == 3 else "default"


_LOG_GROUP = re.compile(r"^arn:aws:logs:([^:]+):(\d{12}):log-group:([^:]+)(:\*)?$")


class LogGroupTarget:
    """A CloudWatch Logs log group of the rule's account: one stream per event id."""

    name = "CloudWatch Logs log group"

    def accepts(self, arn: str) -> bool:
        return arn.startswith("arn:aws:logs:")

    def check(self, target: dict[str, Any], rule_arn: str) -> str | None:
        match = _LOG_GROUP.match(target["Arn"])
        if match is None:
            return f"Parameter {target['Arn']} is not valid. Reason: not a log group ARN."
        if match.group(2) != rule_arn.split(":")[4]:
            return (
                "Parameter(s) Arn is not valid. Reason: the log group must be in the rule's "
                "account."
            )
        return None

    def deliver(self, platform: Any, attempt: Attempt) -> None:
        match = _LOG_GROUP.match(attempt.target["Arn"])
        assert match is not None
        region, account, group = match.group(1), match.group(2), match.group(3)
        write_log_line(platform, account, region, group, attempt.event["id"], attempt.payload)


def write_log_line(
    platform: Any, account: str, region: str, group: str, stream: str, line: str
) -> None:
    """Append one line to an existing log group (DeliveryFailure if it is gone)."""
    with platform.db.write() as session:
        logs = LogsService(session, platform.clock)
        try:
            logs.group(account, region, group)
        except ServiceError as error:
            raise DeliveryFailure(
                f"ResourceNotFoundException: log group {group} does not exist.", retryable=True
            ) from error
        logs.append(account, region, group, stream, [line])


class RateLimiter:
    """A token bucket per API destination, shared by every delivery thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def take(self, key: str, per_second: int | None) -> None:
        """Take a slot or raise Throttled with the wait."""
        if not per_second:
            return
        with self._lock:
            now = self._clock()
            slot = max(self._next.get(key, now), now)
            if slot - now >= 1.0:  # a second's worth of calls is already booked
                raise Throttled(slot - now - 1.0 + 1.0 / per_second)
            self._next[key] = slot + 1.0 / per_second


class ApiDestinationTarget:
    """An HTTP endpoint reached through a connection's authorization."""

    name = "API destination"

    def __init__(self) -> None:
        self.limiter = RateLimiter()
        # One pooled client for every delivery thread (a client per call would rebuild
        # its TLS context and open a new connection each time).
        self.http = httpx.Client(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False)

    def accepts(self, arn: str) -> bool:
        return arn.startswith("arn:aws:events:") and ":api-destination/" in arn

    def check(self, target: dict[str, Any], rule_arn: str) -> str | None:
        return None

    def deliver(self, platform: Any, attempt: Attempt) -> None:
        from .connections import resolve_destination

        call = resolve_destination(platform, attempt.target["Arn"], attempt.target)
        if call is None:
            raise DeliveryFailure(
                f"ResourceNotFoundException: API destination {attempt.target['Arn']} is gone.",
                retryable=False,
            )
        self.limiter.take(attempt.target["Arn"], call.rate_limit)
        try:
            answer = self.http.request(
                call.method,
                call.url,
                params=call.query,
                headers={"Content-Type": "application/json; charset=utf-8", **call.headers},
                content=attempt.payload.encode(),
            )
        except httpx.HTTPError as error:
            raise DeliveryFailure(f"{type(error).__name__}: {error}", retryable=True) from error
        if 200 <= answer.status_code < 300:
            return
        retryable = answer.status_code in RETRYABLE_STATUS or answer.status_code >= 500
        body = answer.text[:200]
        raise DeliveryFailure(
            f"HTTP {answer.status_code} from {call.url}: {body}", retryable=retryable
        )


for _kind in (BusTarget(), LogGroupTarget(), ApiDestinationTarget()):
    register_kind(_kind)
