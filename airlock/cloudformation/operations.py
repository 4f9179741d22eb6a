"""CloudFormation's stack operations: create, update, delete, describe, templates, exports."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from airlock.core.api import WAKE_WORKERS, Output, Params, ServiceApi, role_members
from airlock.core.context import RequestContext, principal_record
from airlock.core.paging import paginate

from . import errors
from .engine import GONE, IN_PROGRESS, StackEngine
from .models import Stack, StackEvent, StackExport, StackResource
from .service import (
    CloudFormation,
    check_capabilities,
    check_stack_name,
    checked_parameters,
    fetch_template,
    find_change_set,
    new_stack_id,
    parsed,
    stack_resource,
    tags_of,
    template_body,
)
from .stacks import CLOUDFORMATION, live_stack, resources_of, set_stack_status
from .template import TemplateError, masked, template_summary

api: ServiceApi[CloudFormation] = ServiceApi(
    "cloudformation",
    CloudFormation,
    validation_error=errors.validation_error,
    worker=StackEngine,
)
PASSES_ROLE = role_members(CLOUDFORMATION, "RoleARN")
UPDATABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_FAILED")


def _bad_token() -> errors.CloudFormationValidation:
    return errors.CloudFormationValidation("Invalid NextToken")


def _on_failure(p: Params) -> str:
    if p.get("OnFailure") and p.get("DisableRollback") is not None:
        raise errors.CloudFormationValidation(
            "You can specify either DisableRollback or OnFailure, but not both."
        )
    if p.get("DisableRollback"):
        return "DO_NOTHING"
    return str(p.get("OnFailure") or "ROLLBACK")


def begin_stack(
    svc: CloudFormation,
    ctx: RequestContext,
    p: Params,
    *,
    stack: Stack | None = None,
    template: dict[str, Any],
    body: str,
    parameters: dict[str, Any],
    capabilities: list[str],
) -> Stack:
    """A new stack's CREATE under way (or a stack in REVIEW_IN_PROGRESS made real)."""
    now = ctx.time
    if stack is None:
        stack = Stack(
            account_id=ctx.account_id,
            region=ctx.region,
            name=p["StackName"],
            stack_id=new_stack_id(ctx, p["StackName"]),
            status="",
            created_at=now,
            template_body=body,
            template=template,
            parameters=parameters,
            tags={},
            capabilities=[],
            notification_arns=[],
            principal=principal_record(ctx.principal),
            operation="CREATE",
        )
        svc.session.add(stack)
    stack.description = template.get("Description")
    stack.template_body, stack.template, stack.parameters = body, template, parameters
    stack.tags = tags_of(p)
    stack.capabilities = capabilities
    stack.notification_arns = list(p.get("NotificationARNs") or [])
    stack.role_arn = p.get("RoleARN")
    stack.principal = principal_record(ctx.principal)
    stack.on_failure = _on_failure(p)
    stack.termination_protection = bool(p.get("EnableTerminationProtection"))
    stack.client_token = p.get("ClientRequestToken")
    stack.timeout_minutes = p.get("TimeoutInMinutes")
    stack.operation = "CREATE"
    svc.session.flush()
    set_stack_status(svc.session, svc.clock, stack, "CREATE_IN_PROGRESS", "User Initiated")
    svc.session.info[WAKE_WORKERS] = True
    return stack


@api.operation(
    "cloudformation:CreateStack",
    resources=stack_resource,
    stage=fetch_template,
    passes_role=PASSES_ROLE,
)
def create_stack(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Start creating a stack; the engine makes its resources."""
    name = p["StackName"]
    check_stack_name(name)
    existing = live_stack(svc.session, ctx.account_id, ctx.region, name)
    token = p.get("ClientRequestToken")
    if existing is not None:
        if token and existing.client_token == token:
            return {"StackId": existing.stack_id}
        raise errors.AlreadyExists(f"Stack [{name}] already exists")
    body = template_body(p)
    template = parsed(svc, body)
    parameters = checked_parameters(template, p)
    capabilities = check_capabilities(template, p)
    stack = begin_stack(
        svc, ctx, p, template=template, body=body, parameters=parameters, capabilities=capabilities
    )
    return {"StackId": stack.stack_id}


def begin_update(
    svc: CloudFormation,
    ctx: RequestContext,
    stack: Stack,
    p: Params,
    *,
    template: dict[str, Any],
    body: str,
    parameters: dict[str, Any],
    capabilities: list[str],
    tags: dict[str, str],
) -> None:
    """An update under way: what the stack was is kept to roll back to."""
    stack.previous = {
        "template": stack.template,
        "template_body": stack.template_body,
        "parameters": stack.parameters,
        "tags": stack.tags,
    }
    stack.template_body, stack.template, stack.parameters = body, template, parameters
    stack.description = template.get("Description")
    stack.tags = tags
    stack.capabilities = capabilities
    if p.get("RoleARN"):
        stack.role_arn = p["RoleARN"]
    stack.principal = principal_record(ctx.principal)
    stack.client_token = p.get("ClientRequestToken")
    stack.operation = "UPDATE"
    stack.on_failure = "DO_NOTHING" if p.get("DisableRollback") else "ROLLBACK"
    stack.generation += 1
    set_stack_status(svc.session, svc.clock, stack, "UPDATE_IN_PROGRESS", "User Initiated")
    svc.session.info[WAKE_WORKERS] = True


def updatable(stack: Stack) -> None:
    """A stack an update may start on, or CloudFormation's refusal."""
    if stack.status not in UPDATABLE:
        raise errors.CloudFormationValidation(
            f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
        )


def proposed(
    svc: CloudFormation, stack: Stack, p: Params
) -> tuple[str, dict[str, Any], dict[str, Any], list[str], dict[str, str]]:
    """What an update or change set asks for: body, template, parameters, capabilities, tags."""
    if p.get("UsePreviousTemplate"):
        if p.get("TemplateBody") or p.get("TemplateURL"):
            raise errors.CloudFormationValidation(
                "You cannot specify both usePreviousTemplate and Template Body/Template URL."
            )
        body = stack.template_body
    else:
        body = template_body(p)
    template = parsed(svc, body)
    parameters = checked_parameters(template, p, stack.parameters)
    capabilities = check_capabilities(template, p)
    tags = tags_of(p) if p.get("Tags") is not None else dict(stack.tags)
    return body, template, parameters, capabilities, tags


@api.operation(
    "cloudformation:UpdateStack",
    resources=stack_resource,
    stage=fetch_template,
    passes_role=PASSES_ROLE,
)
def update_stack(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Start updating a stack to a new template, parameters or tags."""
    stack = svc.stack(ctx, p["StackName"])
    updatable(stack)
    body, template, parameters, capabilities, tags = proposed(svc, stack, p)
    if template == stack.template and parameters == stack.parameters and tags == stack.tags:
        raise errors.CloudFormationValidation("No updates are to be performed.")
    begin_update(
        svc,
        ctx,
        stack,
        p,
        template=template,
        body=body,
        parameters=parameters,
        capabilities=capabilities,
        tags=tags,
    )
    return {"StackId": stack.stack_id}


@api.operation("cloudformation:DeleteStack", resources=stack_resource, passes_role=PASSES_ROLE)
def delete_stack(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Start deleting a stack (a name that names no stack is not an error, as in AWS)."""
    stack = live_stack(svc.session, ctx.account_id, ctx.region, p["StackName"])
    if stack is None or stack.status in ("DELETE_COMPLETE", "DELETE_IN_PROGRESS"):
        return {}
    if stack.termination_protection:
        raise errors.CloudFormationValidation(
            f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
        )
    if stack.status in IN_PROGRESS:
        raise errors.CloudFormationValidation(
            f"Stack [{stack.name}] is in {stack.status} state and can not be deleted until the "
            "operation under way is complete."
        )
    for export in svc.session.scalars(select(StackExport).where(StackExport.stack_pk == stack.id)):
        users = _importers(svc, ctx, export.name)
        if users:
            raise errors.CloudFormationValidation(
                f"Export {export.name} cannot be deleted as it is in use by {', '.join(users)}"
            )
    if p.get("RoleARN"):
        stack.role_arn = p["RoleARN"]
    stack.principal = principal_record(ctx.principal)
    stack.client_token = p.get("ClientRequestToken")
    stack.operation = "DELETE"
    set_stack_status(svc.session, svc.clock, stack, "DELETE_IN_PROGRESS", "User Initiated")
    svc.session.info[WAKE_WORKERS] = True
    return {}


def _importers(svc: CloudFormation, ctx: RequestContext, name: str) -> list[str]:
    stacks = svc.session.scalars(
        select(Stack).where(
            Stack.account_id == ctx.account_id,
            Stack.region == ctx.region,
            Stack.status != "DELETE_COMPLETE",
        )
    ).all()
    return sorted(s.name for s in stacks if name in (s.imports or []))


def parameters_out(stack_template: dict[str, Any], values: dict[str, Any]) -> list[Output]:
    """`Parameters` of a stack or change set, NoEcho values masked."""
    try:
        shown = masked(stack_template, values)
    except TemplateError:
        shown = {k: str(v) for k, v in values.items()}
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in shown.items()]


def stack_out(stack: Stack) -> Output:
    """The `Stack` structure of DescribeStacks."""
    out: Output = {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "Parameters": parameters_out(stack.template, stack.parameters),
        "CreationTime": stack.created_at,
        "StackStatus": stack.status,
        "DisableRollback": stack.on_failure == "DO_NOTHING",
        "NotificationARNs": stack.notification_arns,
        "Capabilities": stack.capabilities,
        "Tags": [{"Key": k, "Value": v} for k, v in stack.tags.items()],
        "EnableTerminationProtection": stack.termination_protection,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    for key, value in (
        ("Description", stack.description),
        ("StackStatusReason", stack.status_reason),
        ("LastUpdatedTime", stack.updated_at),
        ("DeletionTime", stack.deleted_at),
        ("RoleARN", stack.role_arn),
        ("TimeoutInMinutes", stack.timeout_minutes),
    ):
        if value is not None:
            out[key] = value
    if stack.outputs:
        out["Outputs"] = stack.outputs
    return out


@api.operation("cloudformation:DescribeStacks", resources=stack_resource)
def describe_stacks(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """One stack (by name, or id even when deleted), or every stack not deleted."""
    if p.get("StackName"):
        stacks = [svc.stack(ctx, p["StackName"])]
    else:
        stacks = list(
            svc.session.scalars(
                select(Stack)
                .where(
                    Stack.account_id == ctx.account_id,
                    Stack.region == ctx.region,
                    Stack.status != "DELETE_COMPLETE",
                )
                .order_by(Stack.created_at.desc(), Stack.id.desc())
            ).all()
        )
    page, token = paginate([stack_out(s) for s in stacks], p, default_max=100, bad_token=_bad_token)
    return {"Stacks": page, **({"NextToken": token} if token else {})}


@api.operation("cloudformation:ListStacks")
def list_stacks(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Summaries of every stack, deleted ones included, filtered by status."""
    wanted = set(p.get("StackStatusFilter") or [])
    stacks = svc.session.scalars(
        select(Stack)
        .where(Stack.account_id == ctx.account_id, Stack.region == ctx.region)
        .order_by(Stack.created_at.desc(), Stack.id.desc())
    ).all()
    summaries = []
    for stack in stacks:
        if wanted and stack.status not in wanted:
            continue
        summary: Output = {
            "StackId": stack.stack_id,
            "StackName": stack.name,
            "CreationTime": stack.created_at,
            "StackStatus": stack.status,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }
        for key, value in (
            ("TemplateDescription", stack.description),
            ("StackStatusReason", stack.status_reason),
            ("LastUpdatedTime", stack.updated_at),
            ("DeletionTime", stack.deleted_at),
        ):
            if value is not None:
                summary[key] = value
        summaries.append(summary)
    page, token = paginate(summaries, p, default_max=100, bad_token=_bad_token)
    return {"StackSummaries": page, **({"NextToken": token} if token else {})}


@api.operation("cloudformation:DescribeStackEvents", resources=stack_resource)
def describe_stack_events(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """The stack's events, newest first."""
    stack = svc.stack(ctx, p["StackName"])
    rows = svc.session.scalars(
        select(StackEvent).where(StackEvent.stack_pk == stack.id).order_by(StackEvent.id.desc())
    ).all()
    events = []
    for row in rows:
        event: Output = {
            "StackId": stack.stack_id,
            "EventId": row.event_id,
            "StackName": stack.name,
            "LogicalResourceId": row.logical_id,
            "PhysicalResourceId": row.physical_id or "",
            "ResourceType": row.type,
            "Timestamp": row.timestamp,
            "ResourceStatus": row.status,
        }
        if row.reason is not None:
            event["ResourceStatusReason"] = row.reason
        if row.client_token:
            event["ClientRequestToken"] = row.client_token
        events.append(event)
    page, token = paginate(events, p, default_max=100, bad_token=_bad_token)
    return {"StackEvents": page, **({"NextToken": token} if token else {})}


def _current(svc: CloudFormation, stack: Stack) -> list[StackResource]:
    """The stack's resources as its template has them (what an update removed is gone)."""
    declared = set((stack.template.get("Resources") or {}) if stack.template else ())
    rows = [
        r
        for r in resources_of(svc.session, stack)
        if not r.replaced and (r.status not in GONE or r.logical_id in declared)
    ]
    latest: dict[str, StackResource] = {}
    for row in rows:
        held = latest.get(row.logical_id)
        # A gone row never hides a live one: after a rolled-back replacement the new
        # resource is deleted and the one kept is the stack's again.
        if held is None or held.status in GONE or row.status not in GONE:
            latest[row.logical_id] = row
    return list(latest.values())


def _resource_out(stack: Stack, row: StackResource, *, detail: bool = False) -> Output:
    out: Output = {
        "StackName": stack.name,
        "StackId": stack.stack_id,
        "LogicalResourceId": row.logical_id,
        "PhysicalResourceId": row.physical_id or "",
        "ResourceType": row.type,
        "ResourceStatus": row.status,
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }
    out["LastUpdatedTimestamp" if detail else "Timestamp"] = row.updated_at
    if row.status_reason:
        out["ResourceStatusReason"] = row.status_reason
    if detail:
        out["Metadata"] = json.dumps(row.metadata_ or {})
    return out


@api.operation("cloudformation:DescribeStackResource", resources=stack_resource)
def describe_stack_resource(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """One resource of a stack."""
    stack = svc.stack(ctx, p["StackName"])
    for row in _current(svc, stack):
        if row.logical_id == p["LogicalResourceId"]:
            return {"StackResourceDetail": _resource_out(stack, row, detail=True)}
    raise errors.CloudFormationValidation(
        f"Resource {p['LogicalResourceId']} does not exist for stack {stack.name}"
    )


@api.operation("cloudformation:DescribeStackResources", resources=stack_resource)
def describe_stack_resources(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """A stack's resources (by stack, or the stack of a physical id)."""
    if p.get("StackName"):
        stack = svc.stack(ctx, p["StackName"])
    elif p.get("PhysicalResourceId"):
        row = svc.session.scalars(
            select(StackResource)
            .join(Stack, Stack.id == StackResource.stack_pk)
            .where(
                Stack.account_id == ctx.account_id,
                Stack.region == ctx.region,
                StackResource.physical_id == p["PhysicalResourceId"],
            )
        ).first()
        if row is None:
            raise errors.CloudFormationValidation(
                f"Stack for {p['PhysicalResourceId']} does not exist"
            )
        found = svc.session.get(Stack, row.stack_pk)
        assert found is not None
        stack = found
    else:
        raise errors.CloudFormationValidation(
            "Either StackName or PhysicalResourceId must be specified."
        )
    rows = _current(svc, stack)
    if p.get("LogicalResourceId"):
        rows = [r for r in rows if r.logical_id == p["LogicalResourceId"]]
    return {"StackResources": [_resource_out(stack, r) for r in rows]}


@api.operation("cloudformation:ListStackResources", resources=stack_resource)
def list_stack_resources(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Summaries of a stack's resources."""
    stack = svc.stack(ctx, p["StackName"])
    summaries = []
    for row in _current(svc, stack):
        summary: Output = {
            "LogicalResourceId": row.logical_id,
            "PhysicalResourceId": row.physical_id or "",
            "ResourceType": row.type,
            "LastUpdatedTimestamp": row.updated_at,
            "ResourceStatus": row.status,
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
        }
        if row.status_reason:
            summary["ResourceStatusReason"] = row.status_reason
        summaries.append(summary)
    page, token = paginate(summaries, p, default_max=100, bad_token=_bad_token)
    return {"StackResourceSummaries": page, **({"NextToken": token} if token else {})}


@api.operation("cloudformation:GetTemplate", resources=stack_resource)
def get_template(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """The stack's template as it was given."""
    if p.get("ChangeSetName"):
        change_set = find_change_set(svc, ctx, p["ChangeSetName"], p.get("StackName"))
        body = change_set.template_body
    elif p.get("StackName"):
        body = svc.stack(ctx, p["StackName"]).template_body
    else:
        raise errors.CloudFormationValidation(
            "Either StackName or ChangeSetName must be specified."
        )
    return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}


@api.operation("cloudformation:GetTemplateSummary", stage=fetch_template)
def get_template_summary(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """What a template declares: parameters, capabilities, resource types."""
    if p.get("StackName"):
        template = svc.stack(ctx, p["StackName"]).template
    else:
        template = parsed(svc, template_body(p))
    return template_summary(template)


@api.operation("cloudformation:ValidateTemplate", stage=fetch_template, readonly=True)
def validate_template(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """A template's parameters, description and capabilities, once it is well formed."""
    summary = template_summary(parsed(svc, template_body(p)))
    parameters = []
    for item in summary.get("Parameters") or []:
        parameter: Output = {"ParameterKey": item["ParameterKey"], "NoEcho": item["NoEcho"]}
        for key in ("DefaultValue", "Description"):
            if key in item:
                parameter[key] = item[key]
        parameters.append(parameter)
    out: Output = {"Parameters": parameters, "DeclaredTransforms": []}
    for key in ("Description", "Capabilities", "CapabilitiesReason"):
        if summary.get(key):
            out[key] = summary[key]
    return out


@api.operation("cloudformation:ListExports")
def list_exports(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Every export of the account and region."""
    rows = svc.session.scalars(
        select(StackExport)
        .where(StackExport.account_id == ctx.account_id, StackExport.region == ctx.region)
        .order_by(StackExport.name)
    ).all()
    exports = []
    for row in rows:
        stack = svc.session.get(Stack, row.stack_pk)
        exports.append(
            {
                "ExportingStackId": stack.stack_id if stack else "",
                "Name": row.name,
                "Value": row.value,
            }
        )
    page, token = paginate(exports, p, default_max=100, bad_token=_bad_token)
    return {"Exports": page, **({"NextToken": token} if token else {})}


@api.operation("cloudformation:ListImports")
def list_imports(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """The stacks that import an export."""
    name = p["ExportName"]
    users = _importers(svc, ctx, name)
    if not users:
        raise errors.CloudFormationValidation(f"Export '{name}' is not imported by any stack.")
    page, token = paginate(users, p, default_max=100, bad_token=_bad_token)
    return {"Imports": page, **({"NextToken": token} if token else {})}


@api.operation("cloudformation:UpdateTerminationProtection", resources=stack_resource)
def update_termination_protection(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Turn termination protection on or off."""
    stack = svc.stack(ctx, p["StackName"])
    if stack.status == "DELETE_COMPLETE":
        raise errors.CloudFormationValidation(f"Stack with id {p['StackName']} does not exist")
    stack.termination_protection = bool(p["EnableTerminationProtection"])
    return {"StackId": stack.stack_id}


def _restart(
    svc: CloudFormation, ctx: RequestContext, stack: Stack, status: str, reason: str
) -> None:
    stack.principal = principal_record(ctx.principal)
    set_stack_status(svc.session, svc.clock, stack, status, reason)
    svc.session.info[WAKE_WORKERS] = True


@api.operation("cloudformation:CancelUpdateStack", resources=stack_resource)
def cancel_update_stack(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Stop an update under way: the stack rolls back to what it was."""
    stack = svc.stack(ctx, p["StackName"])
    if stack.status != "UPDATE_IN_PROGRESS":
        raise errors.CloudFormationValidation(
            f"CancelUpdateStack cannot be called from current stack status {stack.status}."
        )
    _restart(svc, ctx, stack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated")
    return {}


@api.operation("cloudformation:ContinueUpdateRollback", resources=stack_resource)
def continue_update_rollback(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Try a failed update rollback again, skipping the resources named (kept as they are)."""
    stack = svc.stack(ctx, p["StackName"])
    if stack.status != "UPDATE_ROLLBACK_FAILED":
        raise errors.CloudFormationValidation(
            f"Stack {stack.name} is in {stack.status} state and cannot continue the rollback: "
            "ContinueUpdateRollback applies to a stack in UPDATE_ROLLBACK_FAILED."
        )
    skip = set(p.get("ResourcesToSkip") or [])
    for row in resources_of(svc.session, stack):
        if row.logical_id in skip:
            row.old_properties = None  # what it is now is what the rollback keeps
            row.added = False
    if p.get("RoleARN"):
        stack.role_arn = p["RoleARN"]
    _restart(svc, ctx, stack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated")
    return {}


@api.operation("cloudformation:RollbackStack", resources=stack_resource, passes_role=PASSES_ROLE)
def rollback_stack(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Roll back a stack whose create or update failed with rollback disabled."""
    stack = svc.stack(ctx, p["StackName"])
    if stack.status == "CREATE_FAILED":
        status = "ROLLBACK_IN_PROGRESS"
    elif stack.status == "UPDATE_FAILED":
        status = "UPDATE_ROLLBACK_IN_PROGRESS"
    else:
        raise errors.CloudFormationValidation(
            f"Stack {stack.name} is in {stack.status} state and can not be rolled back: "
            "RollbackStack applies to a stack in CREATE_FAILED or UPDATE_FAILED."
        )
    if p.get("RoleARN"):
        stack.role_arn = p["RoleARN"]
    _restart(svc, ctx, stack, status, "User Initiated")
    return {"StackId": stack.stack_id}
