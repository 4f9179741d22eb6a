"""Change sets: what a template would change, reviewed, then executed by the one engine path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from airlock.core.api import Output, Params
from airlock.core.calls import resource_types
from airlock.core.context import RequestContext, principal_record
from airlock.core.paging import paginate

from . import errors
from .engine import GONE
from .models import ChangeSet, Stack
from .operations import (
    PASSES_ROLE,
    api,
    begin_stack,
    begin_update,
    parameters_out,
    proposed,
    updatable,
)
from .plans import plan_of
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
from .stacks import live_stack, resources_of, set_stack_status
from .template import TemplateError

NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)


class _Unknown(Exception):
    """A value only known once the change set runs (a new resource's attribute)."""


def _bad_token() -> errors.CloudFormationValidation:
    return errors.CloudFormationValidation("Invalid NextToken")


def compute_changes(
    svc: CloudFormation, stack: Stack, template: dict[str, Any], parameters: dict[str, Any]
) -> list[Output]:
    """The resource changes `template` with `parameters` makes to the stack as it is."""
    try:
        plan = plan_of(stack, template, parameters)
    except TemplateError as error:
        raise errors.CloudFormationValidation(error.message) from error
    current = {
        r.logical_id: r
        for r in resources_of(svc.session, stack)
        if not r.replaced and r.status not in GONE
    }

    def attributes(logical_id: str) -> Mapping[str, Any]:
        row = current.get(logical_id)
        if row is None:
            raise _Unknown(logical_id)
        return row.attributes

    providers = resource_types(svc.platform)
    changes: list[Output] = []
    for logical_id in plan.order():
        declared = plan.resources[logical_id]
        type_name = declared["Type"]
        row = current.get(logical_id)
        if row is None:
            changes.append(_change("Add", logical_id, type_name))
            continue
        try:
            props = plan.properties(logical_id, attributes)
        except _Unknown:
            change = _change("Modify", logical_id, type_name, row.physical_id, "Conditional")
            change["ResourceChange"]["Scope"] = ["Properties"]
            change["ResourceChange"]["Details"] = [
                {
                    "Target": {"Attribute": "Properties", "RequiresRecreation": "Conditionally"},
                    "Evaluation": "Dynamic",
                    "ChangeSource": "ResourceReference",
                }
            ]
            changes.append(change)
            continue
        except TemplateError as error:
            raise errors.CloudFormationValidation(error.message) from error
        if row.type == type_name and props == row.properties:
            continue
        provider = providers.get(type_name)
        create_only = provider.spec.create_only if provider is not None else frozenset()
        changed = sorted(
            set(props) ^ set(row.properties)
            | {k for k in props if k in row.properties and props[k] != row.properties[k]}
        )
        replacement = row.type != type_name or any(name in create_only for name in changed)
        change = _change(
            "Modify", logical_id, type_name, row.physical_id, "True" if replacement else "False"
        )
        scope = ["Tags"] if changed == ["Tags"] else ["Properties"]
        change["ResourceChange"]["Scope"] = scope
        change["ResourceChange"]["Details"] = [
            {
                "Target": {
                    "Attribute": "Tags" if name == "Tags" else "Properties",
                    "Name": name,
                    "RequiresRecreation": "Always" if name in create_only else "Never",
                },
                "Evaluation": "Static",
                "ChangeSource": "DirectModification",
            }
            for name in changed
        ]
        changes.append(change)
    for logical_id, row in current.items():
        if logical_id not in plan.resources:
            changes.append(_change("Remove", logical_id, row.type, row.physical_id))
    return changes


def _change(
    action: str,
    logical_id: str,
    type_name: str,
    physical_id: str | None = None,
    replacement: str | None = None,
) -> Output:
    change: Output = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "ResourceType": type_name,
        "Scope": [],
        "Details": [],
    }
    if physical_id:
        change["PhysicalResourceId"] = physical_id
    if replacement is not None:
        change["Replacement"] = replacement
    return {"Type": "Resource", "ResourceChange": change}


@api.operation(
    "cloudformation:CreateChangeSet",
    resources=stack_resource,
    stage=fetch_template,
    passes_role=PASSES_ROLE,
)
def create_change_set(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Propose a template for a new stack (CREATE) or an existing one (UPDATE)."""
    kind = p.get("ChangeSetType") or "UPDATE"
    name = p["ChangeSetName"]
    stack = live_stack(svc.session, ctx.account_id, ctx.region, p["StackName"])
    if kind == "CREATE":
        check_stack_name(p["StackName"])
        if stack is not None and stack.status != "REVIEW_IN_PROGRESS":
            raise errors.AlreadyExists(f"Stack [{p['StackName']}] already exists")
        body = template_body(p)
        template = parsed(svc, body)
        parameters = checked_parameters(template, p)
        capabilities = check_capabilities(template, p)
        tags = tags_of(p)
        if stack is None:
            stack = Stack(
                account_id=ctx.account_id,
                region=ctx.region,
                name=p["StackName"],
                stack_id=new_stack_id(ctx, p["StackName"]),
                status="",
                created_at=ctx.time,
                template_body=body,
                template=template,
                parameters=parameters,
                tags=tags,
                capabilities=capabilities,
                notification_arns=list(p.get("NotificationARNs") or []),
                principal=principal_record(ctx.principal),
                operation="CREATE",
                role_arn=p.get("RoleARN"),
            )
            svc.session.add(stack)
            svc.session.flush()
            set_stack_status(svc.session, svc.clock, stack, "REVIEW_IN_PROGRESS", "User Initiated")
    elif kind == "UPDATE":
        if stack is None:
            raise errors.CloudFormationValidation(f"Stack [{p['StackName']}] does not exist")
        if stack.status == "REVIEW_IN_PROGRESS":
            raise errors.CloudFormationValidation(
                f"Stack [{stack.name}] does not exist: it is in REVIEW_IN_PROGRESS; "
                "create it with a change set of type CREATE."
            )
        updatable(stack)
        body, template, parameters, capabilities, tags = proposed(svc, stack, p)
    else:
        raise errors.CloudFormationValidation(
            f"ChangeSetType {kind} is not supported: use CREATE or UPDATE."
        )
    existing = svc.session.scalars(
        select(ChangeSet).where(ChangeSet.stack_pk == stack.id, ChangeSet.name == name)
    ).first()
    if existing is not None:
        raise errors.AlreadyExists(f"ChangeSet {name} already exists")
    changes = compute_changes(svc, stack, template, parameters)
    empty = (
        kind == "UPDATE" and not changes and tags == stack.tags and parameters == stack.parameters
    )
    change_set = ChangeSet(
        stack_pk=stack.id,
        name=name,
        arn=f"arn:aws:cloudformation:{ctx.region}:{ctx.account_id}:changeSet/{name}/"
        + new_stack_id(ctx, name).rsplit("/", 1)[1],
        change_set_type=kind,
        status="FAILED" if empty else "CREATE_COMPLETE",
        status_reason=NO_CHANGES if empty else None,
        execution_status="UNAVAILABLE" if empty else "AVAILABLE",
        description=p.get("Description"),
        template_body=body,
        template=template,
        parameters=parameters,
        tags=tags,
        capabilities=capabilities,
        role_arn=p.get("RoleARN"),
        principal=principal_record(ctx.principal),
        changes=changes,
        created_at=ctx.time,
    )
    svc.session.add(change_set)
    svc.session.flush()
    return {"Id": change_set.arn, "StackId": stack.stack_id}


def change_set_out(svc: CloudFormation, change_set: ChangeSet) -> Output:
    """DescribeChangeSet's answer."""
    stack = svc.session.get(Stack, change_set.stack_pk)
    assert stack is not None
    out: Output = {
        "ChangeSetName": change_set.name,
        "ChangeSetId": change_set.arn,
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "Parameters": parameters_out(change_set.template, change_set.parameters),
        "CreationTime": change_set.created_at,
        "ExecutionStatus": change_set.execution_status,
        "Status": change_set.status,
        "NotificationARNs": stack.notification_arns,
        "Capabilities": change_set.capabilities,
        "Tags": [{"Key": k, "Value": v} for k, v in change_set.tags.items()],
        "Changes": change_set.changes,
        "IncludeNestedStacks": False,
    }
    if change_set.description:
        out["Description"] = change_set.description
    if change_set.status_reason:
        out["StatusReason"] = change_set.status_reason
    return out


@api.operation("cloudformation:DescribeChangeSet", resources=stack_resource)
def describe_change_set(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """A change set and its changes."""
    found = find_change_set(svc, ctx, p["ChangeSetName"], p.get("StackName"))
    return change_set_out(svc, found)


@api.operation("cloudformation:ExecuteChangeSet", resources=stack_resource)
def execute_change_set(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Run a change set: the stack's create or update starts, as CreateStack/UpdateStack would."""
    change_set = find_change_set(svc, ctx, p["ChangeSetName"], p.get("StackName"))
    stack = svc.session.get(Stack, change_set.stack_pk)
    assert stack is not None
    if change_set.execution_status != "AVAILABLE":
        raise errors.InvalidChangeSetStatus(
            f"ChangeSet [{change_set.arn}] cannot be executed in its current status of "
            f"[{change_set.status}]"
        )
    request: Params = {
        "StackName": stack.name,
        "Tags": [{"Key": k, "Value": v} for k, v in change_set.tags.items()],
        "RoleARN": change_set.role_arn,
        "ClientRequestToken": p.get("ClientRequestToken"),
        "DisableRollback": p.get("DisableRollback"),
    }
    if change_set.change_set_type == "CREATE":
        if stack.status != "REVIEW_IN_PROGRESS":
            raise errors.InvalidChangeSetStatus(
                f"ChangeSet [{change_set.arn}] cannot be executed: stack {stack.name} is in "
                f"{stack.status}"
            )
        if request["DisableRollback"] is None:
            del request["DisableRollback"]
        begin_stack(
            svc,
            ctx,
            request,
            stack=stack,
            template=change_set.template,
            body=change_set.template_body,
            parameters=change_set.parameters,
            capabilities=change_set.capabilities,
        )
    else:
        updatable(stack)
        begin_update(
            svc,
            ctx,
            stack,
            request,
            template=change_set.template,
            body=change_set.template_body,
            parameters=change_set.parameters,
            capabilities=change_set.capabilities,
            tags=dict(change_set.tags),
        )
    change_set.execution_status = "EXECUTE_COMPLETE"
    # As in CloudFormation, the stack's other change sets are gone once one runs.
    for other in svc.session.scalars(
        select(ChangeSet).where(ChangeSet.stack_pk == stack.id, ChangeSet.id != change_set.id)
    ):
        svc.session.delete(other)
    return {}


@api.operation("cloudformation:DeleteChangeSet", resources=stack_resource)
def delete_change_set(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """Remove a change set that was not executed."""
    change_set = find_change_set(svc, ctx, p["ChangeSetName"], p.get("StackName"))
    if change_set.execution_status == "EXECUTE_IN_PROGRESS":
        raise errors.InvalidChangeSetStatus(
            f"ChangeSet [{change_set.arn}] cannot be deleted while it is being executed"
        )
    svc.session.delete(change_set)
    return {}


@api.operation("cloudformation:ListChangeSets", resources=stack_resource)
def list_change_sets(svc: CloudFormation, ctx: RequestContext, p: Params) -> Output:
    """A stack's change sets."""
    stack = svc.stack(ctx, p["StackName"])
    rows = svc.session.scalars(
        select(ChangeSet).where(ChangeSet.stack_pk == stack.id).order_by(ChangeSet.id)
    ).all()
    summaries = []
    for row in rows:
        summary: Output = {
            "StackId": stack.stack_id,
            "StackName": stack.name,
            "ChangeSetId": row.arn,
            "ChangeSetName": row.name,
            "ExecutionStatus": row.execution_status,
            "Status": row.status,
            "CreationTime": row.created_at,
            "IncludeNestedStacks": False,
        }
        if row.description:
            summary["Description"] = row.description
        if row.status_reason:
            summary["StatusReason"] = row.status_reason
        summaries.append(summary)
    page, token = paginate(summaries, p, default_max=100, bad_token=_bad_token)
    return {"Summaries": page, **({"NextToken": token} if token else {})}
