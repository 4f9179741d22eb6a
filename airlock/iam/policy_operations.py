"""IAM operations on policies: managed policies and versions, attachments, inline policies."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from .api import Iam, api, by_arn, named, page, policy_text
from .models import IamGroup, IamManagedPolicy, IamPolicyVersion
from .operations import group_out, role_out, user_out

# Principal kinds that carry policies: (name in operation names, parameter, finder kind).
OWNERS = (
    ("User", "UserName", "user"),
    ("Group", "GroupName", "group"),
    ("Role", "RoleName", "role"),
)


def _owner_arn(iam: Iam, ctx: RequestContext, kind: str, name: str) -> str:
    lookup: dict[str, Callable[[str, str], object]] = {
        "user": iam.principals.user,
        "group": iam.principals.group,
        "role": iam.principals.role,
    }
    return str(lookup[kind](ctx.account_id, name).arn)  # type: ignore[attr-defined]


def version_out(version: IamPolicyVersion, policy: IamManagedPolicy) -> Output:
    """The `PolicyVersion` structure."""
    return {
        "Document": policy_text(version.document),
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == policy.default_version,
        "CreateDate": version.created_at,
    }


# -- managed policies ------------------------------------------------------


@api.operation("iam:CreatePolicy", resources=named("policy", "PolicyName"))
def create_policy(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Create a customer managed policy."""
    policy = iam.policies.create(
        ctx.account_id, p["PolicyName"], p["PolicyDocument"], p.get("Path"), p.get("Description")
    )
    iam.principals.tag(policy.arn, p.get("Tags") or [])
    return {"Policy": iam.policies.describe(policy, ctx.account_id)}


@api.operation("iam:GetPolicy", resources=by_arn("PolicyArn"))
def get_policy(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A managed policy."""
    policy = iam.policies.get(ctx.account_id, p["PolicyArn"])
    return {"Policy": iam.policies.describe(policy, ctx.account_id)}


@api.operation("iam:ListPolicies")
def list_policies(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Managed policies by scope (All, AWS, Local)."""
    policies = iam.policies.listed(
        ctx.account_id, p.get("Scope"), bool(p.get("OnlyAttached")), p.get("PathPrefix")
    )
    return page([iam.policies.describe(x, ctx.account_id) for x in policies], p, "Policies")


@api.operation("iam:DeletePolicy", resources=by_arn("PolicyArn"))
def delete_policy(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Delete a detached customer managed policy."""
    iam.policies.delete(ctx.account_id, p["PolicyArn"])
    return {}


@api.operation("iam:CreatePolicyVersion", resources=by_arn("PolicyArn"))
def create_policy_version(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Add a version (at most five)."""
    version = iam.policies.create_version(
        ctx.account_id, p["PolicyArn"], p["PolicyDocument"], bool(p.get("SetAsDefault"))
    )
    policy = iam.policies.get(ctx.account_id, p["PolicyArn"])
    return {"PolicyVersion": version_out(version, policy)}


@api.operation("iam:GetPolicyVersion", resources=by_arn("PolicyArn"))
def get_policy_version(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """One version with its document."""
    policy = iam.policies.get(ctx.account_id, p["PolicyArn"])
    return {"PolicyVersion": version_out(iam.policies.version(policy, p["VersionId"]), policy)}


@api.operation("iam:ListPolicyVersions", resources=by_arn("PolicyArn"))
def list_policy_versions(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Versions, newest first."""
    policy = iam.policies.get(ctx.account_id, p["PolicyArn"])
    versions = [version_out(v, policy) for v in iam.policies.versions(policy)]
    for version in versions:
        version.pop("Document")
    return page(versions, p, "Versions")


@api.operation("iam:SetDefaultPolicyVersion", resources=by_arn("PolicyArn"))
def set_default_policy_version(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Choose the version that is enforced."""
    iam.policies.set_default(ctx.account_id, p["PolicyArn"], p["VersionId"])
    return {}


@api.operation("iam:DeletePolicyVersion", resources=by_arn("PolicyArn"))
def delete_policy_version(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Delete a non-default version."""
    iam.policies.delete_version(ctx.account_id, p["PolicyArn"], p["VersionId"])
    return {}


@api.operation("iam:ListEntitiesForPolicy", resources=by_arn("PolicyArn"))
def list_entities_for_policy(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """The users, groups and roles a policy is attached to."""
    iam.policies.get(ctx.account_id, p["PolicyArn"])
    out: Output = {"PolicyUsers": [], "PolicyGroups": [], "PolicyRoles": [], "IsTruncated": False}
    for arn in iam.policies.entities(p["PolicyArn"]):
        if f":{ctx.account_id}:" not in arn:
            continue
        kind, name = arn.split(":", 5)[5].split("/", 1)[0], arn.rsplit("/", 1)[-1]
        if kind == "user":
            out["PolicyUsers"].append(
                {"UserName": name, "UserId": iam.principals.user(ctx.account_id, name).id}
            )
        elif kind == "group":
            out["PolicyGroups"].append(
                {"GroupName": name, "GroupId": iam.principals.group(ctx.account_id, name).id}
            )
        else:
            out["PolicyRoles"].append(
                {"RoleName": name, "RoleId": iam.principals.role(ctx.account_id, name).id}
            )
    return out


# -- per principal kind: attach, detach, list attached, inline policies -----


def _register(owner: str, param: str, kind: str) -> None:
    finder = named(kind, param)

    def attach(iam: Iam, ctx: RequestContext, p: Params) -> Output:
        owner_arn = _owner_arn(iam, ctx, kind, p[param])
        iam.policies.attach(ctx.account_id, owner_arn, p["PolicyArn"])
        return {}

    def detach(iam: Iam, ctx: RequestContext, p: Params) -> Output:
        iam.policies.detach(_owner_arn(iam, ctx, kind, p[param]), p["PolicyArn"])
        return {}

    def list_attached(iam: Iam, ctx: RequestContext, p: Params) -> Output:
        attached = iam.policies.attached(_owner_arn(iam, ctx, kind, p[param]))
        prefix = p.get("PathPrefix") or "/"
        rows = [
            {"PolicyName": x.name, "PolicyArn": x.arn}
            for x in attached
            if x.path.startswith(prefix)
        ]
        return page(rows, p, "AttachedPolicies")

    def put_inline(iam: Iam, ctx: RequestContext, p: Params) -> Output:
        owner_arn = _owner_arn(iam, ctx, kind, p[param])
        iam.policies.put_inline(
            ctx.account_id, kind, p[param], owner_arn, p["PolicyName"], p["PolicyDocument"]
        )
        return {}

    def get_inline(iam: Iam, ctx: RequestContext, p: Params) -> Output:
        row = iam.policies.inline(kind, _owner_arn(iam, ctx, kind, p[param]), p["PolicyName"])
        return {
            param: p[param],
            "PolicyName": row.name,
            "PolicyDocument": policy_text(row.document),
        }

    def list_inline(iam: Iam, ctx: RequestContext, p: Params) -> Output:
        names = iam.policies.inline_names(_owner_arn(iam, ctx, kind, p[param]))
        return page(names, p, "PolicyNames")

    def delete_inline(iam: Iam, ctx: RequestContext, p: Params) -> Output:
        iam.policies.delete_inline(kind, _owner_arn(iam, ctx, kind, p[param]), p["PolicyName"])
        return {}

    policy_arn = {"iam:PolicyARN": "PolicyArn"}
    for action, handler, keys in (
        (f"Attach{owner}Policy", attach, policy_arn),
        (f"Detach{owner}Policy", detach, policy_arn),
        (f"ListAttached{owner}Policies", list_attached, {}),
        (f"Put{owner}Policy", put_inline, {}),
        (f"Get{owner}Policy", get_inline, {}),
        (f"List{owner}Policies", list_inline, {}),
        (f"Delete{owner}Policy", delete_inline, {}),
    ):
        handler.__doc__ = f"IAM {action}."
        api.operation(f"iam:{action}", resources=finder, condition_keys=keys)(handler)


for _owner, _param, _kind in OWNERS:
    _register(_owner, _param, _kind)


def _inline(iam: Iam, kind: str, owner_arn: str) -> list[Output]:
    return [
        {
            "PolicyName": name,
            "PolicyDocument": policy_text(iam.policies.inline(kind, owner_arn, name).document),
        }
        for name in iam.policies.inline_names(owner_arn)
    ]


def _attached(iam: Iam, owner_arn: str) -> list[Output]:
    return [{"PolicyName": x.name, "PolicyArn": x.arn} for x in iam.policies.attached(owner_arn)]


@api.operation("iam:GetAccountAuthorizationDetails", readonly=True)
def get_account_authorization_details(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Every user, group, role and local managed policy with their policies (one page)."""
    wanted = set(p.get("Filter") or ["User", "Role", "Group", "LocalManagedPolicy"])
    account = ctx.account_id
    out: Output = {"IsTruncated": False}
    if "User" in wanted:
        out["UserDetailList"] = [
            user_out(iam, u, tags=True)
            | {
                "UserPolicyList": _inline(iam, "user", u.arn),
                "GroupList": [g.name for g in iam.principals.user_groups(u)],
                "AttachedManagedPolicies": _attached(iam, u.arn),
            }
            for u in iam.principals.users(account, None)
        ]
    if "Group" in wanted:
        groups = iam.policies.session.scalars(
            select(IamGroup).where(IamGroup.account_id == account).order_by(IamGroup.name)
        ).all()
        out["GroupDetailList"] = [
            group_out(g)
            | {
                "GroupPolicyList": _inline(iam, "group", g.arn),
                "AttachedManagedPolicies": _attached(iam, g.arn),
            }
            for g in groups
        ]
    if "Role" in wanted:
        out["RoleDetailList"] = [
            role_out(iam, r)
            | {
                "RolePolicyList": _inline(iam, "role", r.arn),
                "AttachedManagedPolicies": _attached(iam, r.arn),
                "InstanceProfileList": [],
            }
            for r in iam.principals.roles(account, None)
        ]
    if wanted & {"LocalManagedPolicy", "AWSManagedPolicy"}:
        scope = (
            None
            if wanted >= {"LocalManagedPolicy", "AWSManagedPolicy"}
            else ("Local" if "LocalManagedPolicy" in wanted else "AWS")
        )
        out["Policies"] = [
            iam.policies.describe(x, account)
            | {"PolicyVersionList": [version_out(v, x) for v in iam.policies.versions(x)]}
            for x in iam.policies.listed(account, scope, False, None)
        ]
    return out
