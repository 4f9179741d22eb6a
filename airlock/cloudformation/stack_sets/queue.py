"""Beginning a stack set operation: at once, or QUEUED behind the one under way.

An operation is recorded with its plan (what it does to the set and to which
instances); starting it applies the plan: the set's new settings (UpdateStackSet),
the instances it touches marked OUTDATED and PENDING, and a PENDING result per
account and region for the engine to work. Without ManagedExecution a second
operation while one is under way is refused (OperationInProgressException). With
`ManagedExecution: {Active: true}` it is QUEUED instead, its plan kept untouched in
the database (so it survives a restart), and the engine starts it when the ones
before it have ended. AWS runs non-conflicting operations of such a set at the
same time; Airlock runs the queued ones one at a time, in request order, which
AWS also does once anything is queued. A queued operation that is stopped ends
STOPPED without having changed anything.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from airlock.core.api import WAKE_WORKERS, Params

from ..service import CloudFormation
from .models import StackInstance, StackSet, StackSetOperation, StackSetOperationResult
from .sets import Target, busy_operation, check_idle, fingerprint, instances_of
from .targets import Preferences

ACTIVE = ("RUNNING", "STOPPING")


@dataclass(frozen=True)
class Plan:
    """What an operation does once it starts.

    `step` is deploy or delete. The targets are `targets` in `regions`, or, with
    `every_instance` (UpdateStackSet), the set's instances when the operation starts,
    narrowed to `accounts` and to `regions` when those are given.
    `existing` skips targets without an instance (UpdateStackInstances), `only` keeps
    these (account, region) pairs, `units` are OUs whose regions auto-deployment keeps
    (added for deploy, removed for delete), and `settings` the set's new settings.
    """

    step: str
    targets: Sequence[Target] = ()
    regions: Sequence[str] = ()
    every_instance: bool = False
    accounts: Sequence[str] | None = None
    existing: bool = False
    overrides: dict[str, str] | None = None
    only: set[tuple[str, str]] | None = None
    units: Sequence[str] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The plan as the operation row keeps it."""
        return {
            "step": self.step,
            "targets": [[t.account, t.ou_id] for t in self.targets],
            "regions": list(self.regions),
            "every_instance": self.every_instance,
            "accounts": None if self.accounts is None else list(self.accounts),
            "existing": self.existing,
            "overrides": self.overrides,
            "only": None if self.only is None else sorted([a, r] for a, r in self.only),
            "units": list(self.units),
            # Through JSON once, so what is kept is exactly what a restart reads back.
            "settings": json.loads(json.dumps(self.settings, default=str)),
        }

    @classmethod
    def of(cls, kept: dict[str, Any]) -> Plan:
        """The plan an operation row keeps."""
        only = kept.get("only")
        return cls(
            step=str(kept["step"]),
            targets=[Target(str(a), ou) for a, ou in kept.get("targets") or []],
            regions=[str(r) for r in kept.get("regions") or []],
            every_instance=bool(kept.get("every_instance")),
            accounts=kept.get("accounts"),
            existing=bool(kept.get("existing")),
            overrides=kept.get("overrides"),
            only=None if only is None else {(str(a), str(r)) for a, r in only},
            units=[str(u) for u in kept.get("units") or []],
            settings=dict(kept.get("settings") or {}),
        )


def begin_operation(
    svc: CloudFormation, stack_set: StackSet, p: Params, *, action: str, plan: Plan
) -> StackSetOperation:
    """A new operation, started at once when the set is idle; QUEUED behind the others
    when the set has ManagedExecution; otherwise OperationInProgressException."""
    preferences = Preferences.of(p.get("OperationPreferences"))  # checked before anything
    queued = busy_operation(svc, stack_set) is not None
    if queued and not stack_set.managed_execution:
        check_idle(svc, stack_set)
    operation = StackSetOperation(
        stack_set_pk=stack_set.id,
        operation_id=str(p.get("OperationId") or uuid.uuid4()),
        action=action,
        status="QUEUED" if queued else "RUNNING",
        preferences=dict(p.get("OperationPreferences") or {}),
        regions=preferences.ordered(plan.regions),
        deployment_targets=p.get("DeploymentTargets"),
        retain_stacks=p.get("RetainStacks"),
        request=fingerprint(p),
        plan=plan.to_json(),
        created_at=svc.clock.now(),
    )
    svc.session.add(operation)
    svc.session.flush()
    if not queued:
        start_operation(svc, stack_set, operation)
    svc.session.info[WAKE_WORKERS] = True
    return operation


def _apply_settings(stack_set: StackSet, settings: dict[str, Any]) -> None:
    """UpdateStackSet's new settings; parameters left to their previous value (None)
    take the one the set has now."""
    for key, value in settings.items():
        if key == "parameters":
            stack_set.parameters = {
                k: stack_set.parameters.get(k, "") if v is None else v for k, v in value.items()
            }
        else:
            setattr(stack_set, key, value)


def _chosen(svc: CloudFormation, stack_set: StackSet, plan: Plan) -> tuple[list[Target], list[str]]:
    if not plan.every_instance:
        return list(plan.targets), list(plan.regions)
    found = instances_of(svc, stack_set)
    if plan.accounts is not None:
        found = [i for i in found if i.account in plan.accounts]
    if plan.regions:
        found = [i for i in found if i.region in plan.regions]
    targets = list({i.account: Target(i.account, i.ou_id) for i in found}.values())
    return targets, sorted({i.region for i in found})


def _keep_units(stack_set: StackSet, plan: Plan, regions: list[str]) -> None:
    """The OUs (and their regions) auto-deployment keeps, after this operation."""
    if not plan.units:
        return
    kept = {k: list(v) for k, v in stack_set.ou_regions.items()}
    if plan.step == "deploy":
        for unit in plan.units:
            kept[unit] = sorted(set(kept.get(unit, [])) | set(regions))
    else:
        kept = {
            unit: left
            for unit, deployed in kept.items()
            if (left := [r for r in deployed if unit not in plan.units or r not in regions])
        }
    stack_set.ou_regions = kept


def start_operation(svc: CloudFormation, stack_set: StackSet, operation: StackSetOperation) -> None:
    """Apply an operation's plan and set it RUNNING: the set's settings, the instances it
    touches OUTDATED and PENDING, and a PENDING result per account and region."""
    plan = Plan.of(operation.plan or {"step": "deploy"})
    _apply_settings(stack_set, plan.settings)
    targets, regions = _chosen(svc, stack_set, plan)
    _keep_units(stack_set, plan, regions)
    ordered = Preferences.of(operation.preferences).ordered(regions)
    operation.regions = ordered
    operation.status = "RUNNING"
    existing = {(i.account, i.region): i for i in instances_of(svc, stack_set)}
    for region in ordered:
        for target in targets:
            if plan.only is not None and (target.account, region) not in plan.only:
                continue
            instance = existing.get((target.account, region))
            if instance is None:
                if plan.step == "delete" or plan.existing:
                    continue
                instance = StackInstance(
                    stack_set_pk=stack_set.id,
                    account=target.account,
                    region=region,
                    ou_id=target.ou_id,
                    status="OUTDATED",
                    detailed_status="PENDING",
                    parameter_overrides={},
                )
                svc.session.add(instance)
            if plan.overrides is not None:
                instance.parameter_overrides = {**instance.parameter_overrides, **plan.overrides}
            if target.ou_id is not None:
                instance.ou_id = target.ou_id
            instance.status = "OUTDATED"
            instance.detailed_status = "PENDING"
            instance.status_reason = None
            instance.last_operation_id = operation.operation_id
            svc.session.add(
                StackSetOperationResult(
                    operation_pk=operation.id,
                    account=target.account,
                    region=region,
                    ou_id=instance.ou_id,
                    action=plan.step,
                    status="PENDING",
                )
            )
    svc.session.flush()


def start_queued(platform: Any) -> bool:
    """Start the oldest QUEUED operation of each set with nothing under way; True while
    any operation is still queued."""
    with platform.db.read() as session:
        if (
            session.scalars(
                select(StackSetOperation.id).where(StackSetOperation.status == "QUEUED").limit(1)
            ).first()
            is None
        ):
            return False
    with platform.db.write() as session:
        svc = CloudFormation(platform, session)
        queued = session.scalars(
            select(StackSetOperation)
            .where(StackSetOperation.status == "QUEUED")
            .order_by(StackSetOperation.id)
        ).all()
        seen: set[int] = set()
        waiting = False
        for operation in queued:
            if operation.stack_set_pk in seen:
                waiting = True
                continue
            seen.add(operation.stack_set_pk)
            active = session.scalars(
                select(StackSetOperation.id).where(
                    StackSetOperation.stack_set_pk == operation.stack_set_pk,
                    StackSetOperation.status.in_(ACTIVE),
                )
            ).first()
            if active is not None:
                waiting = True
                continue
            stack_set = session.get(StackSet, operation.stack_set_pk)
            assert stack_set is not None
            start_operation(svc, stack_set, operation)
        return waiting
