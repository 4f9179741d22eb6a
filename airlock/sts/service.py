"""How Airlock's own services act for users: a service principal assumes a role.

A SageMaker training job, a CodePipeline stage or a CloudFormation stack runs as
the role a user handed it. The role's trust policy decides whether that service
may, with `aws:SourceAccount` and `aws:SourceArn` set so the trust policy can
pin the calling resource, as AWS documents for the confused-deputy problem.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from airlock.core.context import Principal, PrincipalType
from airlock.core.errors import ClientFault
from airlock.iam.authorizer import parsed
from airlock.iam.policy import AuthzRequest, Caller, PolicyKind, PolicySet, evaluate
from airlock.iam.service import IamService
from airlock.identity import IdentityService
from airlock.platform.clock import Clock


class ServiceAccessDenied(ClientFault):
    """The role does not trust the service (or not for this source)."""

    code = "AccessDenied"
    http_status = 403


def assume_role_for_service(
    session: Session,
    clock: Clock,
    *,
    service_principal: str,
    role_arn: str,
    session_name: str,
    source_account: str,
    source_arn: str | None = None,
) -> Principal:
    """The role-session principal a service acts as, if the role's trust policy allows it."""
    role = IamService(session, clock).role_by_arn(role_arn)
    if role is None:
        raise ServiceAccessDenied(f"{service_principal} cannot assume {role_arn}: no such role.")
    context = {"aws:SourceAccount": [source_account], "sts:RoleSessionName": [session_name]}
    if source_arn:
        context["aws:SourceArn"] = [source_arn]
    request = AuthzRequest(
        caller=Caller(service_principal, service_principal, service=service_principal),
        action="sts:AssumeRole",
        resource=role.arn,
        resource_account=role.account_id,
        context=context,
    )
    trust = parsed(role.trust_policy, PolicyKind.TRUST)
    # The service's own permissions are AWS's business: only the trust policy decides.
    allow_all = parsed(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        PolicyKind.IDENTITY,
    )
    decision = evaluate(
        request, PolicySet(identity=[allow_all] if allow_all else [], resource=trust)
    )
    if not decision.allowed:
        raise ServiceAccessDenied(decision.message(request))
    return Principal(
        account_id=role.account_id,
        arn=f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{session_name}",
        type=PrincipalType.ASSUMED_ROLE,
        user_id=f"{role.id}:{session_name}",
        source_arn=role.arn,
    )


def credentials_principal(session: Session, clock: Clock, access_key_id: str) -> Principal:
    """The principal temporary credentials (AssumeRole's `Credentials`) act as.

    For a service that assumed a role through the call path and now acts with the
    session it got, as a client holding those credentials would.
    """
    credential = IdentityService(session, clock).resolve_key(access_key_id)
    if credential is None:
        raise ServiceAccessDenied(f"The security token {access_key_id} is not valid.")
    return credential.principal
