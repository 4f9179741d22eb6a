"""Stack set operations: create, update, delete, describe and list sets, and trusted
access with Organizations (ActivateOrganizationsAccess and its pair)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from airlock.core.api import Output, Params, role_members
from airlock.core.calls import acting_context, call
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError
from airlock.core.paging import paginate
from airlock.organizations import STACKSETS_MEMBER, OrganizationsService, is_service_enabled

from ..errors import CloudFormationValidation
from ..operations import api, parameters_out
from ..service import (
    CloudFormation,
    check_capabilities,
    fetch_template,
    given_parameters,
    parsed,
    tags_of,
    template_body,
)
from ..stacks import CLOUDFORMATION
from . import errors
from .models import StackSet
from .principals import stack_set_arn
from .queue import Plan, begin_operation
from .sets import (
    Caller,
    busy_operation,
    caller_of,
    check_idle,
    find_stack_set,
    instances_of,
    resolve_targets,
    retried,
    service_managed_org,
    stack_set_resource,
)
from .targets import check_region

NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
ADMIN_ROLE = "AWSCloudFormationStackSetAdministrationRole"
EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"


def bad_token() -> CloudFormationValidation:
    """The error of a NextToken Airlock did not hand out."""
    return CloudFormationValidation("Invalid NextToken")


def page(items: list[Output], p: Params) -> Output:
    """A page of `Summaries`, as every stack set listing answers."""
    found, token = paginate(items, p, default_max=100, bad_token=bad_token)
    return {"Summaries": found, **({"NextToken": token} if token else {})}


def _auto_deployment(p: Params, model: str) -> dict[str, Any] | None:
    given = p.get("AutoDeployment")
    if model != "SERVICE_MANAGED":
        if given is not None:
            raise CloudFormationValidation(
                "AutoDeployment is only supported for stack sets with the SERVICE_MANAGED "
                "permission model"
            )
        return None
    given = given or {}
    enabled = bool(given.get("Enabled"))
    retain = given.get("RetainStacksOnAccountRemoval")
    if enabled and retain is None:
        raise CloudFormationValidation(
            "RetainStacksOnAccountRemoval must be specified when AutoDeployment is enabled"
        )
    return {"Enabled": enabled, "RetainStacksOnAccountRemoval": bool(retain)}


# The administration role is handed to CloudFormation, so the caller needs iam:PassRole
# on it, as AWS documents for self-managed permissions.
PASSES_ADMINISTRATION_ROLE = role_members(CLOUDFORMATION, "AdministrationRoleARN")


@api.operation(
    "cloudformation:CreateStackSet",
    resources=stack_set_resource,
    stage=fetch_template,
    passes_role=PASSES_ADMINISTRATION_ROLE,
)
def create_stack_set(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """A stack set, self-managed (administration and execution roles) or service-managed."""
    caller = caller_of(svc, ctx, p)
    name = p["StackSetName"]
    if not NAME.fullmatch(name):
        raise CloudFormationValidation(
            f"1 validation error detected: Value '{name}' at 'stackSetName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )
    model = str(p.get("PermissionModel") or "SELF_MANAGED")
    if caller.delegated and model != "SERVICE_MANAGED":
        raise CloudFormationValidation(
            "A delegated administrator can only create stack sets with the SERVICE_MANAGED "
            "permission model"
        )
    existing = svc.session.scalars(
        select(StackSet).where(
            StackSet.account_id == caller.owner,
            StackSet.region == ctx.region,
            StackSet.name == name,
            StackSet.status == "ACTIVE",
        )
    ).first()
    token = p.get("ClientRequestToken")
    if existing is not None:
        if token and existing.client_token == token:
            return {"StackSetId": existing.stack_set_id}
        raise errors.NameAlreadyExists(f"StackSet {name} already exists")
    body = template_body(p)
    template = parsed(svc, body)
    capabilities = check_capabilities(template, p)
    auto = _auto_deployment(p, model)
    if model == "SERVICE_MANAGED":
        service_managed_org(svc, caller)
        admin_arn = execution = None
    else:
        admin_arn = p.get("AdministrationRoleARN") or (
            f"arn:aws:iam::{caller.owner}:role/{ADMIN_ROLE}"
        )
        execution = p.get("ExecutionRoleName") or EXECUTION_ROLE
    stack_set = StackSet(
        account_id=caller.owner,
        region=ctx.region,
        name=name,
        stack_set_id=f"{name}:{uuid.uuid4()}",
        status="ACTIVE",
        description=p.get("Description") or template.get("Description"),
        template_body=body,
        template=template,
        parameters={k: v or "" for k, v in given_parameters(p).items()},
        capabilities=capabilities,
        tags=tags_of(p),
        permission_model=model,
        admin_role_arn=admin_arn,
        execution_role_name=execution,
        auto_deployment=auto,
        managed_execution=bool((p.get("ManagedExecution") or {}).get("Active")),
        ou_regions={},
        client_token=token,
        created_at=ctx.time,
    )
    svc.session.add(stack_set)
    svc.session.flush()
    return {"StackSetId": stack_set.stack_set_id}


def regions_of(svc: CloudFormation, stack_set: StackSet) -> list[str]:
    """The regions the stack set has instances in."""
    return sorted({i.region for i in instances_of(svc, stack_set)})


def stack_set_out(svc: CloudFormation, stack_set: StackSet) -> Output:
    """The `StackSet` structure of DescribeStackSet."""
    out: Output = {
        "StackSetName": stack_set.name,
        "StackSetId": stack_set.stack_set_id,
        "Status": stack_set.status,
        "TemplateBody": stack_set.template_body,
        "Parameters": parameters_out(stack_set.template, stack_set.parameters),
        "Capabilities": stack_set.capabilities,
        "Tags": [{"Key": k, "Value": v} for k, v in stack_set.tags.items()],
        "StackSetARN": stack_set_arn(stack_set),
        "StackSetDriftDetectionDetails": {
            "DriftStatus": "NOT_CHECKED",
            "TotalStackInstancesCount": 0,
            "DriftedStackInstancesCount": 0,
            "InSyncStackInstancesCount": 0,
            "InProgressStackInstancesCount": 0,
            "FailedStackInstancesCount": 0,
        },
        "PermissionModel": stack_set.permission_model,
        "ManagedExecution": {"Active": stack_set.managed_execution},
        "Regions": regions_of(svc, stack_set),
    }
    if stack_set.description is not None:
        out["Description"] = stack_set.description
    if stack_set.permission_model == "SERVICE_MANAGED":
        out["AutoDeployment"] = dict(stack_set.auto_deployment or {"Enabled": False})
        out["OrganizationalUnitIds"] = sorted(stack_set.ou_regions)
    else:
        out["AdministrationRoleARN"] = stack_set.admin_role_arn
        out["ExecutionRoleName"] = stack_set.execution_role_name
    return out


@api.operation("cloudformation:DescribeStackSet", resources=stack_set_resource)
def describe_stack_set(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """One stack set (a deleted one by its id)."""
    stack_set = find_stack_set(svc, ctx, caller_of(svc, ctx, p), p["StackSetName"], deleted=True)
    return {"StackSet": stack_set_out(svc, stack_set)}


@api.operation("cloudformation:ListStackSets")
def list_stack_sets(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Summaries of the account's stack sets, optionally only ACTIVE or DELETED ones."""
    caller = caller_of(svc, ctx, p)
    query = select(StackSet).where(
        StackSet.account_id == caller.owner, StackSet.region == ctx.region
    )
    if p.get("Status"):
        query = query.where(StackSet.status == p["Status"])
    if caller.delegated:
        query = query.where(StackSet.permission_model == "SERVICE_MANAGED")
    summaries = []
    for stack_set in svc.session.scalars(query.order_by(StackSet.created_at, StackSet.id)):
        summary: Output = {
            "StackSetName": stack_set.name,
            "StackSetId": stack_set.stack_set_id,
            "Status": stack_set.status,
            "PermissionModel": stack_set.permission_model,
            "DriftStatus": "NOT_CHECKED",
            "ManagedExecution": {"Active": stack_set.managed_execution},
        }
        if stack_set.description is not None:
            summary["Description"] = stack_set.description
        if stack_set.permission_model == "SERVICE_MANAGED":
            summary["AutoDeployment"] = dict(stack_set.auto_deployment or {"Enabled": False})
        summaries.append(summary)
    return page(summaries, p)


def _update_targets(
    svc: CloudFormation, caller: Caller, stack_set: StackSet, p: Params
) -> tuple[list[str] | None, list[str]]:
    """The accounts (None: all) and regions (none: all) an UpdateStackSet narrows its
    instances to."""
    regions = [str(r) for r in p.get("Regions") or []]
    for region in regions:
        check_region(region)
    accounts = None
    if p.get("Accounts") or p.get("DeploymentTargets"):
        accounts = [t.account for t in resolve_targets(svc, caller, stack_set, p)]
    return accounts, regions


def _new_settings(svc: CloudFormation, stack_set: StackSet, p: Params) -> dict[str, Any]:
    """What an UpdateStackSet changes in the set, checked now and applied when its
    operation starts (a queued one's after those before it)."""
    if p.get("PermissionModel") and p["PermissionModel"] != stack_set.permission_model:
        raise CloudFormationValidation("You cannot change the permission model of a stack set")
    settings: dict[str, Any] = {}
    if p.get("UsePreviousTemplate"):
        if p.get("TemplateBody") or p.get("TemplateURL"):
            raise CloudFormationValidation(
                "You cannot specify both usePreviousTemplate and Template Body/Template URL."
            )
        template = stack_set.template
    else:
        body = template_body(p)
        template = parsed(svc, body)
        settings.update(template_body=body, template=template)
    settings["capabilities"] = check_capabilities(template, p)
    if p.get("Parameters") is not None:
        settings["parameters"] = given_parameters(p)  # None: the value the set has then
    if p.get("Description") is not None:
        settings["description"] = p["Description"]
    if p.get("Tags") is not None:
        settings["tags"] = tags_of(p)
    if stack_set.permission_model == "SELF_MANAGED":
        for member, column in (
            ("AdministrationRoleARN", "admin_role_arn"),
            ("ExecutionRoleName", "execution_role_name"),
        ):
            if p.get(member):
                settings[column] = p[member]
    if p.get("AutoDeployment") is not None:
        settings["auto_deployment"] = _auto_deployment(p, stack_set.permission_model)
    if p.get("ManagedExecution") is not None:
        active = bool(p["ManagedExecution"].get("Active"))
        if active != stack_set.managed_execution and busy_operation(svc, stack_set):
            raise errors.OperationInProgress(
                "You can't modify the execution configuration of StackSet "
                f"{stack_set_arn(stack_set)} while it has running or queued operations"
            )
        settings["managed_execution"] = active
    return settings


@api.operation(
    "cloudformation:UpdateStackSet",
    resources=stack_set_resource,
    stage=fetch_template,
    passes_role=PASSES_ADMINISTRATION_ROLE,
)
def update_stack_set(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """A new template, parameters or settings, and an operation updating the instances
    (QUEUED behind the one under way when the set has ManagedExecution)."""
    caller = caller_of(svc, ctx, p)
    stack_set = find_stack_set(svc, ctx, caller, p["StackSetName"])
    again = retried(svc, stack_set, p)
    if again is not None:
        return {"OperationId": again.operation_id}
    if not stack_set.managed_execution:
        check_idle(svc, stack_set)
    settings = _new_settings(svc, stack_set, p)
    accounts, regions = _update_targets(svc, caller, stack_set, p)
    plan = Plan(
        step="deploy", accounts=accounts, regions=regions, every_instance=True, settings=settings
    )
    operation = begin_operation(svc, stack_set, p, action="UPDATE", plan=plan)
    return {"OperationId": operation.operation_id}


@api.operation("cloudformation:DeleteStackSet", resources=stack_set_resource)
def delete_stack_set(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Delete a stack set that has no instances left."""
    caller = caller_of(svc, ctx, p)
    try:
        stack_set = find_stack_set(svc, ctx, caller, p["StackSetName"])
    except errors.StackSetNotFound:
        return {}  # as DeleteStack, a set that is not there is deleted
    check_idle(svc, stack_set)
    if instances_of(svc, stack_set):
        raise errors.StackSetNotEmpty("StackSet is not empty")
    stack_set.status = "DELETED"
    return {}


# -- trusted access -------------------------------------------------------------------


def _organizations_access(operation: str) -> Callable[[Any, RequestContext, Params], Any]:
    """A stage step: Organizations' trusted access for StackSets turned on or off, as the
    caller, through the call path (so IAM and Organizations decide)."""

    def stage(platform: Any, ctx: RequestContext, p: Params) -> Callable[[], None]:
        acting = acting_context(
            platform, ctx.principal, via=CLOUDFORMATION, service="cloudformation", region=ctx.region
        )
        try:
            call(
                platform, acting, "organizations", operation, {"ServicePrincipal": STACKSETS_MEMBER}
            )
        except ServiceError as error:
            raise errors.InvalidOperation(error.message) from error
        return lambda: None

    return stage


@api.operation(
    "cloudformation:ActivateOrganizationsAccess",
    stage=_organizations_access("EnableAWSServiceAccess"),
)
def activate_organizations_access(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Trusted access for StackSets in the caller's organization (and its service-linked
    role in every member account)."""
    return {}


@api.operation(
    "cloudformation:DeactivateOrganizationsAccess",
    stage=_organizations_access("DisableAWSServiceAccess"),
)
def deactivate_organizations_access(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Withdraw StackSets' trusted access to the organization."""
    return {}


@api.operation("cloudformation:DescribeOrganizationsAccess")
def describe_organizations_access(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Whether StackSets has trusted access to the caller's organization."""
    caller = caller_of(svc, ctx, p)
    orgs = OrganizationsService(svc.session, svc.clock)
    org = orgs.organization_of(caller.owner)
    enabled = org is not None and is_service_enabled(orgs, org, STACKSETS_MEMBER)
    return {"Status": "ENABLED" if enabled else "DISABLED"}


__all__ = [
    "create_stack_set",
    "delete_stack_set",
    "describe_stack_set",
    "list_stack_sets",
    "update_stack_set",
]
