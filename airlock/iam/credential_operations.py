"""IAM operations on users' service-specific credentials (HTTPS Git credentials)."""

from __future__ import annotations

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from .api import Iam, api, named, page
from .errors import InvalidInput
from .models import IamServiceCredential, IamUser
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
