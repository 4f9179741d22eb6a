"""IAM operations on users, access keys, groups and roles."""

from __future__ import annotations

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext
from airlock.identity import AccessKey

from .api import Iam, api, named, page, policy_text
from .models import IamGroup, IamRole, IamUser

BOUNDARY_KEY = {"iam:PermissionsBoundary": "PermissionsBoundary"}


def user_out(iam: Iam, user: IamUser, *, tags: bool = False) -> Output:
    """The `User` structure."""
    out: Output = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.id,
        "Arn": user.arn,
        "CreateDate": user.created_at,
    }
    if user.boundary_arn:
        out["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": user.boundary_arn,
        }
    if tags and (found := iam.principals.tags(user.arn)):
        out["Tags"] = found
    return out


def role_out(iam: Iam, role: IamRole, *, tags: bool = True) -> Output:
    """The `Role` structure."""
    out: Output = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": policy_text(role.trust_policy),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description:
        out["Description"] = role.description
    if role.boundary_arn:
        out["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": role.boundary_arn,
        }
    if tags and (found := iam.principals.tags(role.arn)):
        out["Tags"] = found
    return out


def group_out(group: IamGroup) -> Output:
    """The `Group` structure."""
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.id,
        "Arn": group.arn,
        "CreateDate": group.created_at,
    }


def key_out(user: IamUser, key: AccessKey) -> Output:
    """The `AccessKeyMetadata` structure."""
    return {
        "UserName": user.name,
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "CreateDate": key.created_at,
    }


def _boundary(iam: Iam, ctx: RequestContext, arn: str | None) -> str | None:
    if arn:
        iam.policies.get(ctx.account_id, arn)  # must exist
    return arn


# -- users -----------------------------------------------------------------


@api.operation("iam:CreateUser", condition_keys=BOUNDARY_KEY, resources=named("user", "UserName"))
def create_user(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Create a user."""
    boundary = _boundary(iam, ctx, p.get("PermissionsBoundary"))
    user = iam.principals.create_user(ctx.account_id, p["UserName"], p.get("Path"), boundary)
    iam.principals.tag(user.arn, p.get("Tags") or [])
    return {"User": user_out(iam, user, tags=True)}


@api.operation("iam:GetUser", resources=named("user", "UserName"))
def get_user(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A user; without a name, the calling user."""
    name = p.get("UserName")
    if not name:
        if ctx.principal.is_root:
            return {
                "User": {
                    "UserId": ctx.account_id,
                    "Arn": ctx.principal.arn,
                    "CreateDate": ctx.time,
                    "Path": "/",
                    "UserName": "",
                }
            }
        name = ctx.principal.arn.rsplit("/", 1)[-1]
    return {"User": user_out(iam, iam.principals.user(ctx.account_id, name), tags=True)}


@api.operation("iam:ListUsers")
def list_users(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Users of the account."""
    users = [user_out(iam, u) for u in iam.principals.users(ctx.account_id, p.get("PathPrefix"))]
    return page(users, p, "Users")


@api.operation("iam:DeleteUser", resources=named("user", "UserName"))
def delete_user(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Delete a user with nothing attached."""
    iam.principals.delete_user(ctx.account_id, p["UserName"])
    return {}


@api.operation("iam:TagUser", resources=named("user", "UserName"))
def tag_user(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Tag a user."""
    iam.principals.tag(iam.principals.user(ctx.account_id, p["UserName"]).arn, p["Tags"])
    return {}


@api.operation("iam:UntagUser", resources=named("user", "UserName"))
def untag_user(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Remove tags from a user."""
    iam.principals.untag(iam.principals.user(ctx.account_id, p["UserName"]).arn, p["TagKeys"])
    return {}


@api.operation("iam:ListUserTags", resources=named("user", "UserName"))
def list_user_tags(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A user's tags."""
    user = iam.principals.user(ctx.account_id, p["UserName"])
    return page(iam.principals.tags(user.arn), p, "Tags")


# -- access keys -----------------------------------------------------------


def key_owner(ctx: RequestContext, p: Params) -> str:
    """The user an operation is about: `UserName`, or else the calling user."""
    name = p.get("UserName")
    if name:
        return str(name)
    return ctx.principal.arn.rsplit("/", 1)[-1]


@api.operation("iam:CreateAccessKey", resources=named("user", "UserName"))
def create_access_key(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A new key pair; the secret is shown only here."""
    user, key = iam.principals.create_access_key(ctx.account_id, key_owner(ctx, p))
    return {"AccessKey": key_out(user, key) | {"SecretAccessKey": key.secret_access_key}}


@api.operation("iam:ListAccessKeys", resources=named("user", "UserName"))
def list_access_keys(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A user's keys (without secrets)."""
    user, keys = iam.principals.access_keys(ctx.account_id, key_owner(ctx, p))
    return page([key_out(user, k) for k in keys], p, "AccessKeyMetadata")


@api.operation("iam:UpdateAccessKey", resources=named("user", "UserName"))
def update_access_key(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Activate or deactivate a key; an inactive key stops working at once."""
    key = iam.principals.access_key(ctx.account_id, p["AccessKeyId"], p.get("UserName"))
    key.status = p["Status"]
    return {}


@api.operation("iam:DeleteAccessKey", resources=named("user", "UserName"))
def delete_access_key(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Delete a key."""
    key = iam.principals.access_key(ctx.account_id, p["AccessKeyId"], p.get("UserName"))
    iam.principals.session.delete(key)
    return {}


@api.operation("iam:GetAccessKeyLastUsed")
def get_access_key_last_used(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Who owns a key, and when it was last used (Airlock does not track use yet)."""
    key = iam.principals.access_key(ctx.account_id, p["AccessKeyId"], None)
    return {
        "UserName": key.principal_arn.rsplit("/", 1)[-1],
        "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"},
    }


# -- groups ----------------------------------------------------------------


@api.operation("iam:CreateGroup", resources=named("group", "GroupName"))
def create_group(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Create a group."""
    group = iam.principals.create_group(ctx.account_id, p["GroupName"], p.get("Path"))
    return {"Group": group_out(group)}


@api.operation("iam:GetGroup", resources=named("group", "GroupName"))
def get_group(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A group and its users."""
    group = iam.principals.group(ctx.account_id, p["GroupName"])
    users = [user_out(iam, u) for u in iam.principals.group_users(group)]
    return {"Group": group_out(group)} | page(users, p, "Users")


@api.operation("iam:AddUserToGroup", resources=named("group", "GroupName"))
def add_user_to_group(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Add a user to a group."""
    iam.principals.add_to_group(ctx.account_id, p["GroupName"], p["UserName"])
    return {}


@api.operation("iam:RemoveUserFromGroup", resources=named("group", "GroupName"))
def remove_user_from_group(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Remove a user from a group."""
    iam.principals.remove_from_group(ctx.account_id, p["GroupName"], p["UserName"])
    return {}


@api.operation("iam:ListGroupsForUser", resources=named("user", "UserName"))
def list_groups_for_user(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """The groups a user is in."""
    user = iam.principals.user(ctx.account_id, p["UserName"])
    return page([group_out(g) for g in iam.principals.user_groups(user)], p, "Groups")


@api.operation("iam:DeleteGroup", resources=named("group", "GroupName"))
def delete_group(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Delete an empty group."""
    iam.principals.delete_group(ctx.account_id, p["GroupName"])
    return {}


# -- roles -----------------------------------------------------------------


@api.operation("iam:CreateRole", condition_keys=BOUNDARY_KEY, resources=named("role", "RoleName"))
def create_role(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Create a role with its trust policy."""
    role = iam.principals.create_role(
        ctx.account_id,
        p["RoleName"],
        p["AssumeRolePolicyDocument"],
        path=p.get("Path"),
        description=p.get("Description"),
        max_session_duration=p.get("MaxSessionDuration"),
        boundary=_boundary(iam, ctx, p.get("PermissionsBoundary")),
    )
    iam.principals.tag(role.arn, p.get("Tags") or [])
    return {"Role": role_out(iam, role)}


@api.operation("iam:GetRole", resources=named("role", "RoleName"))
def get_role(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A role."""
    return {"Role": role_out(iam, iam.principals.role(ctx.account_id, p["RoleName"]))}


@api.operation("iam:ListRoles")
def list_roles(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Roles of the account, optionally under a path."""
    roles = iam.principals.roles(ctx.account_id, p.get("PathPrefix"))
    return page([role_out(iam, r, tags=False) for r in roles], p, "Roles")


@api.operation("iam:UpdateRole", resources=named("role", "RoleName"))
def update_role(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Change a role's description or maximum session duration."""
    role = iam.principals.role(ctx.account_id, p["RoleName"])
    if "Description" in p:
        role.description = p["Description"]
    if p.get("MaxSessionDuration"):
        role.max_session_duration = p["MaxSessionDuration"]
    return {}


@api.operation("iam:UpdateAssumeRolePolicy", resources=named("role", "RoleName"))
def update_assume_role_policy(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Replace a role's trust policy."""
    role = iam.principals.role(ctx.account_id, p["RoleName"])
    iam.principals.check_trust_policy(p["PolicyDocument"])
    role.trust_policy = p["PolicyDocument"]
    return {}


@api.operation("iam:DeleteRole", resources=named("role", "RoleName"))
def delete_role(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Delete a role with no policies left."""
    iam.principals.delete_role(ctx.account_id, p["RoleName"])
    return {}


@api.operation("iam:TagRole", resources=named("role", "RoleName"))
def tag_role(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Tag a role."""
    iam.principals.tag(iam.principals.role(ctx.account_id, p["RoleName"]).arn, p["Tags"])
    return {}


@api.operation("iam:UntagRole", resources=named("role", "RoleName"))
def untag_role(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Remove tags from a role."""
    iam.principals.untag(iam.principals.role(ctx.account_id, p["RoleName"]).arn, p["TagKeys"])
    return {}


@api.operation("iam:ListRoleTags", resources=named("role", "RoleName"))
def list_role_tags(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A role's tags."""
    role = iam.principals.role(ctx.account_id, p["RoleName"])
    return page(iam.principals.tags(role.arn), p, "Tags")


# -- permissions boundaries (users and roles alike) -------------------------


def _register_boundary(owner: str, kind: str) -> None:
    param = f"{owner}Name"
    finder = named(kind, param)

    def bounded(iam: Iam, ctx: RequestContext, p: Params) -> IamUser | IamRole:
        if kind == "user":
            return iam.principals.user(ctx.account_id, p[param])
        return iam.principals.role(ctx.account_id, p[param])

    def put(iam: Iam, ctx: RequestContext, p: Params) -> Output:
        bounded(iam, ctx, p).boundary_arn = _boundary(iam, ctx, p["PermissionsBoundary"])
        return {}

    def delete(iam: Iam, ctx: RequestContext, p: Params) -> Output:
        bounded(iam, ctx, p).boundary_arn = None
        return {}

    put.__doc__ = f"Limit a {kind} with a managed policy as its permissions boundary."
    delete.__doc__ = f"Remove a {kind}'s permissions boundary."
    action = f"{owner}PermissionsBoundary"
    api.operation(f"iam:Put{action}", condition_keys=BOUNDARY_KEY, resources=finder)(put)
    api.operation(f"iam:Delete{action}", resources=finder)(delete)


_register_boundary("User", "user")
_register_boundary("Role", "role")
