"""Organizations operations on service control policies."""

from __future__ import annotations

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from . import scp
from .models import Organization, OrgPolicy
from .operations import _page, _resource, api
from .service import SCP, Arns, OrganizationsService


def _summary(org: Organization, policy: OrgPolicy) -> Output:
    return {
        "Id": policy.id,
        "Arn": scp.policy_arn(org, policy),
        "Name": policy.name,
        "Description": policy.description,
        "Type": policy.type,
        "AwsManaged": policy.aws_managed,
    }


def _policy(org: Organization, policy: OrgPolicy) -> Output:
    return {"PolicySummary": _summary(org, policy), "Content": policy.content}


def _root(svc: OrganizationsService, org: Organization, root_id: str) -> Output:
    root = next(r for r in svc.roots(org) if r.id == root_id)
    return {
        "Id": root.id,
        "Arn": Arns(org).root(root.id),
        "Name": root.name,
        "PolicyTypes": scp.root_policy_types(svc, root),
    }


@api.operation(
    "organizations:EnablePolicyType",
    resources=_resource("root", "RootId"),
    condition_keys={"organizations:PolicyType": "PolicyType"},
)
def enable_policy_type(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Enable SCPs on the root (FullAWSAccess is attached everywhere)."""
    org, root = scp.enable_type(svc, ctx, p["RootId"], p["PolicyType"])
    return {"Root": _root(svc, org, root.id)}


@api.operation(
    "organizations:DisablePolicyType",
    resources=_resource("root", "RootId"),
    condition_keys={"organizations:PolicyType": "PolicyType"},
)
def disable_policy_type(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Disable SCPs on the root."""
    org, root = scp.disable_type(svc, ctx, p["RootId"], p["PolicyType"])
    return {"Root": _root(svc, org, root.id)}


@api.operation(
    "organizations:CreatePolicy",
    resources=_resource("organization"),
    condition_keys={"organizations:PolicyType": "Type"},
)
def create_policy(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Create a service control policy."""
    org, policy = scp.create(svc, ctx, p["Name"], p.get("Description", ""), p["Content"], p["Type"])
    svc.set_tags(org, policy.id, p.get("Tags") or [])
    return {"Policy": _policy(org, policy)}


@api.operation("organizations:DescribePolicy", resources=_resource("organization"))
def describe_policy(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """One policy with its content."""
    org = svc.managed_org(ctx)
    return {"Policy": _policy(org, scp.get(svc, org, p["PolicyId"]))}


@api.operation("organizations:UpdatePolicy", resources=_resource("organization"))
def update_policy(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Change a policy's name, description or content."""
    org, policy = scp.update(
        svc, ctx, p["PolicyId"], p.get("Name"), p.get("Description"), p.get("Content")
    )
    return {"Policy": _policy(org, policy)}


@api.operation("organizations:DeletePolicy", resources=_resource("organization"))
def delete_policy(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Delete a detached policy."""
    scp.delete_policy(svc, ctx, p["PolicyId"])
    return {}


@api.operation(
    "organizations:ListPolicies",
    resources=_resource("organization"),
    condition_keys={"organizations:PolicyType": "Filter"},
)
def list_policies(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Policies of a type."""
    org, rows = scp.listed(svc, ctx, p["Filter"])
    return _page([_summary(org, x) for x in rows], p, "Policies")


@api.operation("organizations:AttachPolicy", resources=_resource("target", "TargetId"))
def attach_policy(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Attach a policy to a root, OU or account."""
    scp.attach(svc, ctx, p["PolicyId"], p["TargetId"])
    return {}


@api.operation("organizations:DetachPolicy", resources=_resource("target", "TargetId"))
def detach_policy(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Detach a policy."""
    scp.detach(svc, ctx, p["PolicyId"], p["TargetId"])
    return {}


@api.operation("organizations:ListPoliciesForTarget", resources=_resource("target", "TargetId"))
def list_policies_for_target(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Policies attached directly to a target."""
    org = svc.managed_org(ctx)
    svc.check_taggable(org, p["TargetId"])
    rows = scp.policies_of(svc, org, p["TargetId"]) if p["Filter"] == SCP else []
    return _page([_summary(org, x) for x in rows], p, "Policies")


@api.operation("organizations:ListTargetsForPolicy", resources=_resource("organization"))
def list_targets_for_policy(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """The roots, OUs and accounts a policy is attached to."""
    org = svc.managed_org(ctx)
    scp.get(svc, org, p["PolicyId"])
    arns = Arns(org)
    targets = []
    for target in sorted(scp.targets_of(svc, org, p["PolicyId"])):
        if target.startswith("r-"):
            targets.append(
                {"TargetId": target, "Arn": arns.root(target), "Name": "Root", "Type": "ROOT"}
            )
        elif target.startswith("ou-"):
            name = svc.get_ou(org, target).name
            targets.append(
                {
                    "TargetId": target,
                    "Arn": arns.ou(target),
                    "Name": name,
                    "Type": "ORGANIZATIONAL_UNIT",
                }
            )
        else:
            _, account = svc.member(org, target)
            targets.append(
                {
                    "TargetId": target,
                    "Arn": arns.account(target),
                    "Name": account.name,
                    "Type": "ACCOUNT",
                }
            )
    return _page(targets, p, "Targets")
