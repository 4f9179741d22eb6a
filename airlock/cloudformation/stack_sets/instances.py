"""Stack instance operations, and reading instances and operations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from airlock.core.api import WAKE_WORKERS, Output, Params
from airlock.core.context import RequestContext

from ..errors import CloudFormationValidation
from ..operations import api
from ..service import CloudFormation, given_parameters
from . import errors
from .models import StackInstance, StackSet, StackSetOperation, StackSetOperationResult
from .operations import page
from .queue import Plan, begin_operation
from .sets import (
    Caller,
    Target,
    caller_of,
    find_stack_set,
    instances_of,
    operation_by_id,
    resolve_targets,
    retried,
    stack_set_resource,
)
from .targets import check_region

ACCOUNT_GATE = {
    "Status": "SKIPPED",
    "StatusReason": "Function not found: arn:aws:lambda:{region}:{account}:function:"
    "AWSCloudFormationStackSetAccountGate",
}


def _regions(p: Params) -> list[str]:
    regions = [str(r) for r in p.get("Regions") or []]
    if not regions:
        raise CloudFormationValidation("Regions should not be empty")
    for region in regions:
        check_region(region)
    return list(dict.fromkeys(regions))


def _set_of(svc: CloudFormation, ctx: RequestContext, p: Params) -> tuple[Caller, StackSet]:
    caller = caller_of(svc, ctx, p)
    return caller, find_stack_set(svc, ctx, caller, p["StackSetName"])


@dataclass(frozen=True)
class _Request:
    """An instance operation's stack set, targets and regions, or the operation its
    OperationId already names."""

    stack_set: StackSet
    targets: list[Target]
    regions: list[str]
    again: str | None


def _request(svc: CloudFormation, ctx: RequestContext, p: Params) -> _Request:
    caller, stack_set = _set_of(svc, ctx, p)
    again = retried(svc, stack_set, p)
    if again is not None:
        return _Request(stack_set, [], [], again.operation_id)
    regions = _regions(p)
    return _Request(stack_set, resolve_targets(svc, caller, stack_set, p), regions, None)


def _overrides(p: Params, previous: dict[str, str] | None = None) -> dict[str, str]:
    given = given_parameters({"Parameters": p.get("ParameterOverrides") or []})
    return {k: (previous or {}).get(k, "") if v is None else v for k, v in given.items()}


@api.operation("cloudformation:CreateStackInstances", resources=stack_set_resource)
def create_stack_instances(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Instances in accounts (or OUs' accounts) and regions: an operation deploying each."""
    request = _request(svc, ctx, p)
    if request.again is not None:
        return {"OperationId": request.again}
    units = (p.get("DeploymentTargets") or {}).get("OrganizationalUnitIds") or []
    plan = Plan(
        step="deploy",
        targets=request.targets,
        regions=request.regions,
        overrides=_overrides(p) if p.get("ParameterOverrides") else None,
        units=units,  # what auto-deployment keeps up
    )
    operation = begin_operation(svc, request.stack_set, p, action="CREATE", plan=plan)
    return {"OperationId": operation.operation_id}


@api.operation("cloudformation:UpdateStackInstances", resources=stack_set_resource)
def update_stack_instances(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """New parameter overrides for existing instances, and an operation deploying them."""
    request = _request(svc, ctx, p)
    if request.again is not None:
        return {"OperationId": request.again}
    stack_set, targets, regions = request.stack_set, request.targets, request.regions
    have = {(i.account, i.region) for i in instances_of(svc, stack_set)}
    for target in targets:
        for region in regions:
            if (target.account, region) not in have:
                raise errors.StackInstanceNotFound(
                    f"Stack instance in account {target.account} and region {region} "
                    f"does not exist for StackSet {stack_set.name}"
                )
    plan = Plan(
        step="deploy",
        targets=targets,
        regions=regions,
        existing=True,  # an instance a queued delete took away is not made again
        overrides=_overrides(p) if p.get("ParameterOverrides") else None,
    )
    operation = begin_operation(svc, stack_set, p, action="UPDATE", plan=plan)
    return {"OperationId": operation.operation_id}


@api.operation("cloudformation:DeleteStackInstances", resources=stack_set_resource)
def delete_stack_instances(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """An operation deleting instances (and their stacks, unless RetainStacks)."""
    request = _request(svc, ctx, p)
    if request.again is not None:
        return {"OperationId": request.again}
    deployment = p.get("DeploymentTargets") or {}
    units = deployment.get("OrganizationalUnitIds") or []
    if deployment.get("AccountFilterType") in ("INTERSECTION", "DIFFERENCE"):
        units = []  # some of the OUs' accounts: auto-deployment keeps the OUs
    # Instances not there when it starts are skipped: those a queued create before it
    # makes are there by then.
    plan = Plan(step="delete", targets=request.targets, regions=request.regions, units=units)
    operation = begin_operation(svc, request.stack_set, p, action="DELETE", plan=plan)
    return {"OperationId": operation.operation_id}


def _instance_out(stack_set: StackSet, instance: StackInstance, *, detail: bool) -> Output:
    out: Output = {
        "StackSetId": stack_set.stack_set_id,
        "Region": instance.region,
        "Account": instance.account,
        "Status": instance.status,
        "StackInstanceStatus": {"DetailedStatus": instance.detailed_status},
        "DriftStatus": "NOT_CHECKED",
    }
    for key, value in (
        ("StackId", instance.stack_id),
        ("StatusReason", instance.status_reason),
        ("OrganizationalUnitId", instance.ou_id),
        ("LastOperationId", instance.last_operation_id),
    ):
        if value is not None:
            out[key] = value
    if detail:
        out["ParameterOverrides"] = [
            {"ParameterKey": k, "ParameterValue": v}
            for k, v in instance.parameter_overrides.items()
        ]
    return out


@api.operation("cloudformation:ListStackInstances", resources=stack_set_resource)
def list_stack_instances(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """The stack set's instances, filtered by account, region, status or last operation."""
    _, stack_set = _set_of(svc, ctx, p)
    instances = instances_of(svc, stack_set)
    if p.get("StackInstanceAccount"):
        instances = [i for i in instances if i.account == p["StackInstanceAccount"]]
    if p.get("StackInstanceRegion"):
        instances = [i for i in instances if i.region == p["StackInstanceRegion"]]
    for item in p.get("Filters") or []:
        name, value = item.get("Name"), item.get("Values")
        if name == "DETAILED_STATUS":
            instances = [i for i in instances if i.detailed_status == value]
        elif name == "LAST_OPERATION_ID":
            instances = [i for i in instances if i.last_operation_id == value]
        elif name == "DRIFT_STATUS":
            instances = [i for i in instances if value == "NOT_CHECKED"]
    return page([_instance_out(stack_set, i, detail=False) for i in instances], p)


@api.operation("cloudformation:DescribeStackInstance", resources=stack_set_resource)
def describe_stack_instance(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """One instance of a stack set."""
    _, stack_set = _set_of(svc, ctx, p)
    account, region = p["StackInstanceAccount"], p["StackInstanceRegion"]
    for instance in instances_of(svc, stack_set):
        if instance.account == account and instance.region == region:
            return {"StackInstance": _instance_out(stack_set, instance, detail=True)}
    raise errors.StackInstanceNotFound(
        f"Stack instance in account {account} and region {region} does not exist for "
        f"StackSet {stack_set.name}"
    )


def find_operation(
    svc: CloudFormation, stack_set: StackSet, operation_id: str
) -> StackSetOperation:
    """An operation of the stack set, or OperationNotFoundException."""
    found = operation_by_id(svc, stack_set, operation_id)
    if found is None:
        raise errors.OperationNotFound(f"Operation {operation_id} not found")
    return found


def _results(svc: CloudFormation, operation: StackSetOperation) -> list[StackSetOperationResult]:
    return list(
        svc.session.scalars(
            select(StackSetOperationResult)
            .where(StackSetOperationResult.operation_pk == operation.id)
            .order_by(StackSetOperationResult.id)
        ).all()
    )


def _operation_summary(svc: CloudFormation, operation: StackSetOperation) -> Output:
    results = _results(svc, operation)
    out: Output = {
        "OperationId": operation.operation_id,
        "Action": operation.action,
        "Status": operation.status,
        "CreationTimestamp": operation.created_at,
        "OperationPreferences": operation.preferences,
        "StatusDetails": {"FailedStackInstancesCount": sum(r.status == "FAILED" for r in results)},
    }
    if operation.ended_at is not None:
        out["EndTimestamp"] = operation.ended_at
    if operation.status_reason is not None:
        out["StatusReason"] = operation.status_reason
    return out


@api.operation("cloudformation:DescribeStackSetOperation", resources=stack_set_resource)
def describe_stack_set_operation(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """One operation of a stack set."""
    _, stack_set = _set_of(svc, ctx, p)
    operation = find_operation(svc, stack_set, p["OperationId"])
    out = _operation_summary(svc, operation)
    out["StackSetId"] = stack_set.stack_set_id
    if operation.retain_stacks is not None:
        out["RetainStacks"] = operation.retain_stacks
    if operation.deployment_targets is not None:
        out["DeploymentTargets"] = operation.deployment_targets
    if stack_set.permission_model == "SELF_MANAGED":
        out["AdministrationRoleARN"] = stack_set.admin_role_arn
        out["ExecutionRoleName"] = stack_set.execution_role_name
    return {"StackSetOperation": out}


@api.operation("cloudformation:ListStackSetOperations", resources=stack_set_resource)
def list_stack_set_operations(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """The stack set's operations, newest first."""
    _, stack_set = _set_of(svc, ctx, p)
    operations = svc.session.scalars(
        select(StackSetOperation)
        .where(StackSetOperation.stack_set_pk == stack_set.id)
        .order_by(StackSetOperation.id.desc())
    ).all()
    return page([_operation_summary(svc, o) for o in operations], p)


@api.operation("cloudformation:ListStackSetOperationResults", resources=stack_set_resource)
def list_stack_set_operation_results(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Each account and region of an operation, with its status and reason."""
    _, stack_set = _set_of(svc, ctx, p)
    operation = find_operation(svc, stack_set, p["OperationId"])
    wanted = [f.get("Values") for f in p.get("Filters") or [] if f.get("Name")]
    summaries = []
    for result in _results(svc, operation):
        if wanted and result.status not in wanted:
            continue
        gate = {
            "Status": ACCOUNT_GATE["Status"],
            "StatusReason": ACCOUNT_GATE["StatusReason"].format(
                region=result.region, account=result.account
            ),
        }
        summary: Output = {
            "Account": result.account,
            "Region": result.region,
            "Status": result.status,
            "AccountGateResult": gate,
        }
        if result.status_reason is not None:
            summary["StatusReason"] = result.status_reason
        if result.ou_id is not None:
            summary["OrganizationalUnitId"] = result.ou_id
        summaries.append(summary)
    return page(summaries, p)


@api.operation("cloudformation:StopStackSetOperation", resources=stack_set_resource)
def stop_stack_set_operation(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Stop an operation: targets not started are cancelled, the running ones finish.

    A QUEUED operation is STOPPED at once, having changed nothing."""
    _, stack_set = _set_of(svc, ctx, p)
    operation = find_operation(svc, stack_set, p["OperationId"])
    if operation.status == "STOPPING":
        return {}
    if operation.status == "QUEUED":
        operation.status = "STOPPED"
        operation.ended_at = ctx.time
        svc.session.info[WAKE_WORKERS] = True
        return {}
    if operation.status != "RUNNING":
        raise errors.InvalidOperation(
            f"Operation {operation.operation_id} is {operation.status} and cannot be stopped"
        )
    operation.status = "STOPPING"
    svc.session.info[WAKE_WORKERS] = True
    return {}


@api.operation("cloudformation:ListStackSetAutoDeploymentTargets", resources=stack_set_resource)
def list_stack_set_auto_deployment_targets(
    svc: CloudFormation, ctx: RequestContext, p: Params
) -> Output:
    """The OUs auto-deployment keeps up, and the regions of each."""
    _, stack_set = _set_of(svc, ctx, p)
    rows = [
        {"OrganizationalUnitId": unit, "Regions": regions}
        for unit, regions in sorted(stack_set.ou_regions.items())
    ]
    return page(rows, p)
