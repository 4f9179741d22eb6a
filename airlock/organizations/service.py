"""AWS Organizations: the organization, its tree of roots and OUs, and its accounts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from airlock.core.context import RequestContext
from airlock.iam.managed import aws_managed_arn
from airlock.iam.policies import PolicyStore
from airlock.iam.service import IamService, iam_arn
from airlock.identity import Account, IdentityService
from airlock.platform import ids
from airlock.platform.clock import Clock
from airlock.platform.tasks import Done, StepResult, Task, enqueue

from . import errors
from .models import (
    CreateAccountRequest,
    DelegatedAdministrator,
    EnabledService,
    Handshake,
    Membership,
    Organization,
    OrganizationalUnit,
    OrgPolicy,
    OrgPolicyTarget,
    OrgPolicyType,
    OrgRoot,
    OrgTag,
)

CREATE_ACCOUNT_TASK = "organizations.create_account"
SCP = "SERVICE_CONTROL_POLICY"
FULL_ACCESS_ID = "p-FullAWSAccess"
DEFAULT_ACCESS_ROLE = "OrganizationAccountAccessRole"
STACKSETS_MEMBER = "member.org.stacksets.cloudformation.amazonaws.com"
# Service principals whose trusted access puts a service-linked role in every member
# account, and the role's name (AWS's policy for it is close to AdministratorAccess).
SERVICE_LINKED_ROLES = {STACKSETS_MEMBER: "AWSServiceRoleForCloudFormationStackSetsOrgMember"}


@dataclass(frozen=True)
class Arns:
    """ARN builder for one organization (every ARN lives in the management account)."""

    org: Organization

    def _base(self) -> str:
        return f"arn:aws:organizations::{self.org.management_account_id}"

    def organization(self) -> str:
        """The organization's ARN."""
        return f"{self._base()}:organization/{self.org.id}"

    def root(self, root_id: str) -> str:
        """A root's ARN."""
        return f"{self._base()}:root/{self.org.id}/{root_id}"

    def ou(self, ou_id: str) -> str:
        """An OU's ARN."""
        return f"{self._base()}:ou/{self.org.id}/{ou_id}"

    def account(self, account_id: str) -> str:
        """A member account's ARN."""
        return f"{self._base()}:account/{self.org.id}/{account_id}"

    def handshake(self, handshake_id: str) -> str:
        """An invitation handshake's ARN."""
        return f"{self._base()}:handshake/{self.org.id}/invite/{handshake_id}"


class OrganizationsService:
    """Organizations operations for callers in one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.identity = IdentityService(session, clock)

    # -- who is asking ----------------------------------------------------

    def organization_of(self, account_id: str) -> Organization | None:
        """The organization `account_id` belongs to, if any."""
        member = self.session.get(Membership, account_id)
        if member is None:
            return None
        return self.session.get(Organization, member.organization_id)

    def member_org(self, ctx: RequestContext) -> Organization:
        """The caller's organization; AWSOrganizationsNotInUseException if none."""
        org = self.organization_of(ctx.account_id)
        if org is None:
            raise errors.NotInUse()
        return org

    def managed_org(self, ctx: RequestContext) -> Organization:
        """The organization the caller manages; member accounts are refused as in AWS."""
        org = self.member_org(ctx)
        if org.management_account_id != ctx.account_id:
            raise errors.AccessDenied()
        return org

    # -- organization -----------------------------------------------------

    def create_organization(self, ctx: RequestContext, feature_set: str) -> Organization:
        """Make the caller's account the management account of a new organization."""
        if self.organization_of(ctx.account_id) is not None:
            raise errors.AlreadyInOrganization()
        now = self.clock.now()
        org = Organization(
            id="o-" + ids.lower_id(10),
            management_account_id=ctx.account_id,
            feature_set=feature_set,
            created_at=now,
        )
        self.session.add(org)
        self.session.flush()  # no ORM relationships: insert parents before children
        root = OrgRoot(id="r-" + ids.lower_id(4), organization_id=org.id, name="Root")
        self.session.add(root)
        self.session.flush()
        self.join(org, ctx.account_id, "CREATED")
        return org

    def join(
        self, org: Organization, account_id: str, method: str, access_role: str | None = None
    ) -> Membership:
        """Put an account under the organization's root (CREATED or INVITED)."""
        member = Membership(
            account_id=account_id,
            organization_id=org.id,
            parent_id=self.roots(org)[0].id,
            joined_method=method,
            joined_at=self.clock.now(),
            access_role_name=access_role,
        )
        self.session.add(member)
        self.session.flush()
        self.attach_default_scp(org, account_id)
        enabled = self.session.scalars(
            select(EnabledService.service_principal).where(EnabledService.organization_id == org.id)
        ).all()
        for principal in enabled:
            self.link_service_role(org, account_id, principal)
        return member

    def link_service_role(self, org: Organization, account_id: str, principal: str) -> None:
        """The service-linked role a service with trusted access has in a member account.

        AWS creates it as the service itself, not as any caller of the account, so no
        caller's permissions decide it: it is made through IAM's own interface, in the
        transaction that enables the access or adds the account (idempotent).
        """
        name = SERVICE_LINKED_ROLES.get(principal)
        if name is None or account_id == org.management_account_id:
            return
        iam = IamService(self.session, self.clock)
        path = f"/aws-service-role/{principal}/"
        if iam.role_by_arn(iam_arn(account_id, "role", path, name)) is not None:
            return
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": principal},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        role = iam.create_role(account_id, name, trust, path=path)
        PolicyStore(self.session, self.clock).attach(
            account_id, role.arn, aws_managed_arn("AdministratorAccess")
        )

    def attach_default_scp(self, org: Organization, target_id: str) -> None:
        """New roots, OUs and accounts get FullAWSAccess while SCPs are enabled, as in AWS."""
        root = self.roots(org)[0] if self.roots(org) else None
        if root is None or self.session.get(OrgPolicyType, (root.id, SCP)) is None:
            return
        if self.session.get(OrgPolicyTarget, (org.id, FULL_ACCESS_ID, target_id)) is None:
            self.session.add(
                OrgPolicyTarget(
                    organization_id=org.id, policy_id=FULL_ACCESS_ID, target_id=target_id
                )
            )
            self.session.flush()

    def delete_organization(self, ctx: RequestContext) -> None:
        """Delete the organization once only the management account is left in it."""
        org = self.managed_org(ctx)
        others = self.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organization_id == org.id, Membership.account_id != ctx.account_id)
        )
        if others:
            raise errors.OrganizationNotEmpty()
        for table in (
            OrgPolicyTarget,
            OrgPolicy,
            Membership,
            OrganizationalUnit,
            OrgRoot,
            CreateAccountRequest,
            Handshake,
            EnabledService,
            DelegatedAdministrator,
            OrgTag,
        ):
            self.session.execute(delete(table).where(table.organization_id == org.id))
        self.session.delete(org)
        self.session.flush()

    def management_account(self, org: Organization) -> Account:
        """The organization's management account."""
        account = self.identity.get_account(org.management_account_id)
        assert account is not None  # a foreign key guarantees it
        return account

    def roots(self, org: Organization) -> Sequence[OrgRoot]:
        """The organization's roots (AWS has exactly one)."""
        return self.session.scalars(
            select(OrgRoot).where(OrgRoot.organization_id == org.id).order_by(OrgRoot.id)
        ).all()

    # -- tree -------------------------------------------------------------

    def parent_exists(self, org: Organization, parent_id: str) -> bool:
        """Whether `parent_id` is a root or OU of `org`."""
        if parent_id.startswith("r-"):
            root = self.session.get(OrgRoot, parent_id)
            return root is not None and root.organization_id == org.id
        ou = self.session.get(OrganizationalUnit, parent_id)
        return ou is not None and ou.organization_id == org.id

    def get_ou(self, org: Organization, ou_id: str) -> OrganizationalUnit:
        """An OU of `org`, or OrganizationalUnitNotFoundException."""
        ou = self.session.get(OrganizationalUnit, ou_id)
        if ou is None or ou.organization_id != org.id:
            raise errors.OrganizationalUnitNotFound()
        return ou

    def create_ou(
        self, ctx: RequestContext, parent_id: str, name: str, tags: list[dict[str, str]]
    ) -> tuple[Organization, OrganizationalUnit]:
        """Create an OU under a root or another OU."""
        org = self.managed_org(ctx)
        if not self.parent_exists(org, parent_id):
            raise errors.ParentNotFound()
        self._check_unique_ou_name(parent_id, name)
        if self._ou_depth(parent_id) >= 5:
            raise errors.ConstraintViolation(
                "You can nest OUs at most five levels deep.", reason="OU_DEPTH_LIMIT_EXCEEDED"
            )
        root_part = self._root_of(parent_id)[2:]
        ou = OrganizationalUnit(
            id=f"ou-{root_part}-{ids.lower_id(8)}",
            organization_id=org.id,
            parent_id=parent_id,
            name=name,
            created_at=self.clock.now(),
        )
        self.session.add(ou)
        self.session.flush()
        self.attach_default_scp(org, ou.id)
        self.set_tags(org, ou.id, tags)
        return org, ou

    def rename_ou(
        self, ctx: RequestContext, ou_id: str, name: str | None
    ) -> tuple[Organization, OrganizationalUnit]:
        """Rename an OU (no change when `name` is None)."""
        org = self.managed_org(ctx)
        ou = self.get_ou(org, ou_id)
        if name is not None and name != ou.name:
            self._check_unique_ou_name(ou.parent_id, name)
            ou.name = name
            self.session.flush()
        return org, ou

    def delete_ou(self, ctx: RequestContext, ou_id: str) -> None:
        """Delete an OU that holds no accounts and no OUs."""
        org = self.managed_org(ctx)
        ou = self.get_ou(org, ou_id)
        if self._children(ou.id, "ACCOUNT") or self._children(ou.id, "ORGANIZATIONAL_UNIT"):
            raise errors.OrganizationalUnitNotEmpty()
        for table, column in (
            (OrgTag, OrgTag.resource_id),
            (OrgPolicyTarget, OrgPolicyTarget.target_id),
        ):
            self.session.execute(
                delete(table).where(table.organization_id == org.id, column == ou.id)
            )
        self.session.delete(ou)
        self.session.flush()

    def child_ous(self, org: Organization, parent_id: str) -> Sequence[OrganizationalUnit]:
        """The OUs directly under `parent_id`, or ParentNotFoundException."""
        if not self.parent_exists(org, parent_id):
            raise errors.ParentNotFound()
        return self.session.scalars(
            select(OrganizationalUnit)
            .where(OrganizationalUnit.parent_id == parent_id)
            .order_by(OrganizationalUnit.created_at, OrganizationalUnit.id)
        ).all()

    def children(self, org: Organization, parent_id: str, child_type: str) -> list[str]:
        """Ids of the accounts or OUs directly under `parent_id`."""
        if not self.parent_exists(org, parent_id):
            raise errors.ParentNotFound()
        return self._children(parent_id, child_type)

    def parent_of(self, org: Organization, child_id: str) -> str:
        """The root or OU directly above an account or OU."""
        if child_id.startswith("ou-"):
            ou = self.session.get(OrganizationalUnit, child_id)
            if ou is None or ou.organization_id != org.id:
                raise errors.ChildNotFound()
            return ou.parent_id
        member = self.session.get(Membership, child_id)
        if member is None or member.organization_id != org.id:
            raise errors.ChildNotFound()
        return member.parent_id

    def _children(self, parent_id: str, child_type: str) -> list[str]:
        if child_type == "ACCOUNT":
            return list(
                self.session.scalars(
                    select(Membership.account_id)
                    .where(Membership.parent_id == parent_id)
                    .order_by(Membership.joined_at, Membership.account_id)
                )
            )
        return list(
            self.session.scalars(
                select(OrganizationalUnit.id)
                .where(OrganizationalUnit.parent_id == parent_id)
                .order_by(OrganizationalUnit.created_at, OrganizationalUnit.id)
            )
        )

    def _check_unique_ou_name(self, parent_id: str, name: str) -> None:
        clash = self.session.scalars(
            select(OrganizationalUnit.id).where(
                OrganizationalUnit.parent_id == parent_id, OrganizationalUnit.name == name
            )
        ).first()
        if clash is not None:
            raise errors.DuplicateOrganizationalUnit()

    def _root_of(self, node_id: str) -> str:
        while node_id.startswith("ou-"):
            ou = self.session.get(OrganizationalUnit, node_id)
            assert ou is not None
            node_id = ou.parent_id
        return node_id

    def _ou_depth(self, node_id: str) -> int:
        depth = 0
        while node_id.startswith("ou-"):
            ou = self.session.get(OrganizationalUnit, node_id)
            assert ou is not None
            node_id = ou.parent_id
            depth += 1
        return depth

    # -- accounts ---------------------------------------------------------

    def member(self, org: Organization, account_id: str) -> tuple[Membership, Account]:
        """A member account of `org`, or AccountNotFoundException."""
        member = self.session.get(Membership, account_id)
        if member is None or member.organization_id != org.id:
            raise errors.AccountNotFound()
        account = self.identity.get_account(account_id)
        assert account is not None
        return member, account

    def members(
        self, org: Organization, parent_id: str | None = None
    ) -> list[tuple[Membership, Account]]:
        """Member accounts of `org` (directly under `parent_id` when given), oldest first."""
        query = select(Membership).where(Membership.organization_id == org.id)
        if parent_id is not None:
            if not self.parent_exists(org, parent_id):
                raise errors.ParentNotFound()
            query = query.where(Membership.parent_id == parent_id)
        rows = self.session.scalars(query.order_by(Membership.joined_at, Membership.account_id))
        result = []
        for member in rows:
            account = self.identity.get_account(member.account_id)
            assert account is not None
            result.append((member, account))
        return result

    def request_account(
        self,
        ctx: RequestContext,
        *,
        name: str,
        email: str,
        role_name: str | None,
        billing: str | None,
        tags: list[dict[str, str]],
    ) -> CreateAccountRequest:
        """Start creating a member account; a controller finishes the request."""
        org = self.managed_org(ctx)
        self.check_tags(tags)
        request = CreateAccountRequest(
            id="car-" + ids.lower_id(32),
            organization_id=org.id,
            account_name=name,
            email=email,
            role_name=role_name or DEFAULT_ACCESS_ROLE,
            iam_user_access_to_billing=billing or "ALLOW",
            tags=list(tags),
            state="IN_PROGRESS",
            requested_at=self.clock.now(),
        )
        self.session.add(request)
        self.session.flush()
        enqueue(self.session, self.clock, CREATE_ACCOUNT_TASK, request.id)
        return request

    def finish_account_request(self, request_id: str) -> None:
        """Controller step: create the account and place it under the root."""
        request = self.session.get(CreateAccountRequest, request_id)
        if request is None or request.state != "IN_PROGRESS":
            return
        org = self.session.get(Organization, request.organization_id)
        now = self.clock.now()
        if org is None:
            request.state, request.failure_reason = "FAILED", "INTERNAL_FAILURE"
        elif self.identity.account_by_email(request.email) is not None:
            request.state, request.failure_reason = "FAILED", "EMAIL_ALREADY_EXISTS"
        else:
            account = self.identity.create_account(request.account_name, request.email)
            self.join(org, account.id, "CREATED", access_role=request.role_name)
            self._create_access_role(org, account.id, request.role_name)
            self.set_tags(org, account.id, request.tags)
            request.state, request.account_id = "SUCCEEDED", account.id
        request.completed_at = now
        self.session.flush()

    def _create_access_role(self, org: Organization, account_id: str, role_name: str) -> None:
        """The role CreateAccount promises: trusts the management account, full access."""
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{org.management_account_id}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        IamService(self.session, self.clock).create_role(account_id, role_name, trust)
        PolicyStore(self.session, self.clock).attach(
            account_id,
            iam_arn(account_id, "role", "/", role_name),
            aws_managed_arn("AdministratorAccess"),
        )

    def account_request(self, org: Organization, request_id: str) -> CreateAccountRequest:
        """A CreateAccount request of `org`, or CreateAccountStatusNotFoundException."""
        request = self.session.get(CreateAccountRequest, request_id)
        if request is None or request.organization_id != org.id:
            raise errors.CreateAccountStatusNotFound()
        return request

    def account_requests(
        self, org: Organization, states: list[str] | None
    ) -> Sequence[CreateAccountRequest]:
        """The organization's CreateAccount requests, newest first, optionally by state."""
        query = select(CreateAccountRequest).where(CreateAccountRequest.organization_id == org.id)
        if states:
            query = query.where(CreateAccountRequest.state.in_(states))
        return self.session.scalars(
            query.order_by(CreateAccountRequest.requested_at.desc(), CreateAccountRequest.id)
        ).all()

    def move_account(
        self, ctx: RequestContext, account_id: str, source: str, destination: str
    ) -> None:
        """Move a member account from one root or OU to another."""
        org = self.managed_org(ctx)
        member, _ = self.member(org, account_id)
        if not self.parent_exists(org, source):
            raise errors.SourceParentNotFound()
        if not self.parent_exists(org, destination):
            raise errors.DestinationParentNotFound()
        if member.parent_id != source:
            raise errors.AccountNotFound(
                "The account is not in the source parent you specified (SourceParentId)."
            )
        if source == destination:
            raise errors.DuplicateAccount()
        member.parent_id = destination
        self.session.flush()

    def remove_account(self, org: Organization, account_id: str) -> None:
        """Take a member account out of the organization; it becomes standalone."""
        member, _ = self.member(org, account_id)
        if account_id == org.management_account_id:
            raise errors.MasterCannotLeave()
        self.session.execute(
            delete(DelegatedAdministrator).where(DelegatedAdministrator.account_id == account_id)
        )
        for table, column in (
            (OrgTag, OrgTag.resource_id),
            (OrgPolicyTarget, OrgPolicyTarget.target_id),
        ):
            self.session.execute(
                delete(table).where(table.organization_id == org.id, column == account_id)
            )
        self.session.delete(member)
        self.session.flush()

    # -- tags -------------------------------------------------------------

    def check_tags(self, tags: list[dict[str, str]]) -> None:
        """Reject duplicate keys, as AWS does, before anything is written."""
        keys = [t["Key"] for t in tags]
        if len(set(keys)) != len(keys):
            raise errors.InvalidInput(
                "You specified the same tag key more than once.", reason="DUPLICATE_TAG_KEY"
            )

    def set_tags(self, org: Organization, resource_id: str, tags: list[dict[str, Any]]) -> None:
        """Add or overwrite tags on a resource (at most 50 per resource)."""
        self.check_tags(tags)
        for tag in tags:
            row = self.session.get(OrgTag, (org.id, resource_id, tag["Key"]))
            if row is None:
                self.session.add(
                    OrgTag(
                        organization_id=org.id,
                        resource_id=resource_id,
                        key=tag["Key"],
                        value=tag["Value"],
                    )
                )
            else:
                row.value = tag["Value"]
        self.session.flush()
        if len(self.tags(org, resource_id)) > 50:
            raise errors.ConstraintViolation(
                "You can attach at most 50 tags to a resource.", reason="MAX_TAG_LIMIT_EXCEEDED"
            )

    def tags(self, org: Organization, resource_id: str) -> list[dict[str, str]]:
        """The resource's tags, sorted by key."""
        rows = self.session.scalars(
            select(OrgTag)
            .where(OrgTag.organization_id == org.id, OrgTag.resource_id == resource_id)
            .order_by(OrgTag.key)
        )
        return [{"Key": r.key, "Value": r.value} for r in rows]

    def untag(self, org: Organization, resource_id: str, keys: list[str]) -> None:
        """Remove tags by key (absent keys are ignored)."""
        self.session.execute(
            delete(OrgTag).where(
                OrgTag.organization_id == org.id,
                OrgTag.resource_id == resource_id,
                OrgTag.key.in_(keys),
            )
        )
        self.session.flush()

    def check_taggable(self, org: Organization, resource_id: str) -> None:
        """TargetNotFoundException unless the id names a root, OU or member account."""
        if resource_id.startswith(("r-", "ou-")):
            found = self.parent_exists(org, resource_id)
        else:
            member = self.session.get(Membership, resource_id)
            found = member is not None and member.organization_id == org.id
        if not found:
            raise errors.TargetNotFound()


def create_account_step(platform: Any, session: Session, task: Task) -> StepResult:
    """Controller step for CreateAccount requests."""
    OrganizationsService(session, platform.clock).finish_account_request(task.key)
    return Done()
