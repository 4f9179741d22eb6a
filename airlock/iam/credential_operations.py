"""IAM operations on users' passwords: login profiles, ChangePassword and service-specific
credentials (HTTPS Git credentials)."""

from __future__ import annotations

from airlock.core.api import Output, Params
from airlock.core.context import PrincipalType, RequestContext

from .api import Iam, api, named, page
from .errors import InvalidInput, InvalidUserType
from .models import IamLoginProfile, IamServiceCredential, IamUser
from .operations import key_owner


def credential_out(user: IamUser, credential: IamServiceCredential) -> Output:
    """The `ServiceSpecificCredentialMetadata` structure (never the password)."""
    return {
        "UserName": user.name,
        "Status": credential.status,
        "ServiceUserName": credential.service_user_name,
        "CreateDate": credential.created_at,
        "ServiceSpecificCredentialId": credential.id,
        "ServiceName": credential.service_name,
    }


def _owner(iam: Iam, ctx: RequestContext, p: Params) -> IamUser:
    return iam.principals.user(ctx.account_id, key_owner(ctx, p))


@api.operation("iam:CreateServiceSpecificCredential", resources=named("user", "UserName"))
def create_service_specific_credential(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A new user name and password for one service; the password is shown only here."""
    user = iam.principals.user(ctx.account_id, p["UserName"])
    if p.get("CredentialAgeDays") is not None:
        raise InvalidInput(
            f"CredentialAgeDays applies only to long-term API keys; credentials for "
            f"{p['ServiceName']} do not expire. Leave CredentialAgeDays out."
        )
    credential, password = iam.credentials.create(user, p["ServiceName"])
    return {
        "ServiceSpecificCredential": credential_out(user, credential)
        | {"ServicePassword": password}
    }


@api.operation("iam:ListServiceSpecificCredentials", resources=named("user", "UserName"))
def list_service_specific_credentials(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A user's credentials (or every user's with AllUsers), for one service or all."""
    service = p.get("ServiceName")
    if p.get("AllUsers"):
        if p.get("UserName"):
            raise InvalidInput(
                "AllUsers cannot be specified together with UserName; give one or the other."
            )
        rows = iam.credentials.of_account(ctx.account_id, service)
        items = [credential_out(user, credential) for credential, user in rows]
    else:
        user = _owner(iam, ctx, p)
        items = [credential_out(user, c) for c in iam.credentials.of_user(user, service)]
    return page(items, p, "ServiceSpecificCredentials")


@api.operation("iam:ResetServiceSpecificCredential", resources=named("user", "UserName"))
def reset_service_specific_credential(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A new password for a credential; the old one stops working at once."""
    user = _owner(iam, ctx, p)
    credential = iam.credentials.find(user, p["ServiceSpecificCredentialId"])
    password = iam.credentials.reset(credential)
    return {
        "ServiceSpecificCredential": credential_out(user, credential)
        | {"ServicePassword": password}
    }


@api.operation("iam:UpdateServiceSpecificCredential", resources=named("user", "UserName"))
def update_service_specific_credential(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Activate or deactivate a credential; an inactive one authenticates nothing."""
    user = _owner(iam, ctx, p)
    credential = iam.credentials.find(user, p["ServiceSpecificCredentialId"])
    if p["Status"] not in ("Active", "Inactive"):
        raise InvalidInput(
            f"Status {p['Status']} cannot be set: IAM marks API keys Expired when their age "
            f"runs out. Set Active or Inactive."
        )
    credential.status = p["Status"]
    return {}


@api.operation("iam:DeleteServiceSpecificCredential", resources=named("user", "UserName"))
def delete_service_specific_credential(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Delete a credential."""
    user = _owner(iam, ctx, p)
    iam.credentials.delete(iam.credentials.find(user, p["ServiceSpecificCredentialId"]))
    return {}


# -- login profiles (console passwords) -------------------------------------


def login_profile_out(profile: IamLoginProfile) -> Output:
    """The `LoginProfile` structure (never the password)."""
    return {
        "UserName": profile.user_name,
        "CreateDate": profile.created_at,
        "PasswordResetRequired": profile.password_reset_required,
    }


@api.operation("iam:CreateLoginProfile", resources=named("user", "UserName"))
def create_login_profile(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Give a user a console password."""
    user = _owner(iam, ctx, p)
    if p.get("Password") is None:
        # AWS creates a passwordless profile only for member accounts' root users.
        raise InvalidInput(f"Password is required to create a login profile for user {user.name}.")
    profile = iam.logins.create(user, p["Password"], bool(p.get("PasswordResetRequired")))
    return {"LoginProfile": login_profile_out(profile)}


@api.operation("iam:GetLoginProfile", resources=named("user", "UserName"))
def get_login_profile(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """A user's login profile: when it was made and whether the password must be changed."""
    return {"LoginProfile": login_profile_out(iam.logins.of(_owner(iam, ctx, p)))}


@api.operation("iam:UpdateLoginProfile", resources=named("user", "UserName"))
def update_login_profile(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Set a user's console password or whether it must be changed at the next sign-in."""
    user = iam.principals.user(ctx.account_id, p["UserName"])
    profile = iam.logins.of(user)
    if p.get("Password") is not None:
        iam.logins.set_password(profile, user, p["Password"])
    if p.get("PasswordResetRequired") is not None:
        profile.password_reset_required = bool(p["PasswordResetRequired"])
    return {}


@api.operation("iam:DeleteLoginProfile", resources=named("user", "UserName"))
def delete_login_profile(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Take a user's console password away."""
    iam.logins.delete(iam.logins.of(_owner(iam, ctx, p)))
    return {}


# Authorized on the calling user's own ARN (the operation has no UserName).
@api.operation("iam:ChangePassword", resources=named("user", "UserName"))
def change_password(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """The calling IAM user changes its own console password, giving the current one."""
    if ctx.principal.type is not PrincipalType.USER:
        raise InvalidUserType(
            "ChangePassword changes an IAM user's own password; call it with the access "
            "keys of an IAM user, not of the root user or a role."
        )
    user = iam.principals.user(ctx.account_id, key_owner(ctx, {}))
    profile = iam.logins.of(user)
    if not iam.logins.password_is(profile, p["OldPassword"]):
        raise InvalidUserType("The old password was incorrect.")
    iam.logins.set_password(profile, user, p["NewPassword"])
    profile.password_reset_required = False
    return {}
