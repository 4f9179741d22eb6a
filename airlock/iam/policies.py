"""Managed and inline policies, their versions and attachments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from airlock.platform import ids
from airlock.platform.clock import Clock

from .errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from .managed import AWS_MANAGED, aws_managed_arn
from .models import IamAttachment, IamInlinePolicy, IamManagedPolicy, IamPolicyVersion
from .policy import PolicyKind, parse_policy
from .policy.document import (
    INLINE_GROUP_LIMIT,
    INLINE_ROLE_LIMIT,
    INLINE_USER_LIMIT,
    MANAGED_POLICY_LIMIT,
    policy_size,
)

MAX_VERSIONS = 5
_INLINE_LIMITS = {"user": INLINE_USER_LIMIT, "group": INLINE_GROUP_LIMIT, "role": INLINE_ROLE_LIMIT}


class PolicyStore:
    """Policies of one account, plus the AWS managed ones everyone can see."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- AWS managed ------------------------------------------------------

    def ensure_aws_managed(self) -> None:
        """Create the AWS managed policies that are missing (run at start-up)."""
        present = set(
            self.session.scalars(
                select(IamManagedPolicy.arn).where(IamManagedPolicy.account_id.is_(None))
            )
        )
        self._insert_all(
            [
                (aws_managed_arn(name), None, name, path, description, document)
                for name, (path, description, document) in AWS_MANAGED.items()
                if aws_managed_arn(name) not in present
            ]
        )

    def _insert(
        self,
        arn: str,
        account_id: str | None,
        name: str,
        path: str,
        description: str | None,
        document: str,
    ) -> IamManagedPolicy:
        (policy,) = self._insert_all([(arn, account_id, name, path, description, document)])
        return policy

    def _insert_all(
        self, rows: list[tuple[str, str | None, str, str, str | None, str]]
    ) -> list[IamManagedPolicy]:
        """New policies (arn, account, name, path, description, document), each at v1."""
        now = self.clock.now()
        policies = [
            IamManagedPolicy(
                arn=arn,
                id=ids.unique_id("ANPA"),
                account_id=account_id,
                name=name,
                path=path,
                description=description,
                created_at=now,
                updated_at=now,
            )
            for arn, account_id, name, path, description, _ in rows
        ]
        self.session.add_all(policies)
        self.session.flush()  # the version rows refer to the policies
        self.session.add_all(
            IamPolicyVersion(policy_arn=row[0], version_id="v1", document=row[5], created_at=now)
            for row in rows
        )
        self.session.flush()
        return policies

    # -- managed ----------------------------------------------------------

    def create(
        self, account_id: str, name: str, document: str, path: str | None, description: str | None
    ) -> IamManagedPolicy:
        """A customer managed policy."""
        self.check(document)
        path = path or "/"
        arn = f"arn:aws:iam::{account_id}:policy{path}{name}"
        if self.session.get(IamManagedPolicy, arn) is not None:
            raise EntityAlreadyExists(
                f"A policy called {name} already exists. Duplicate names are not allowed."
            )
        return self._insert(arn, account_id, name, path, description, document)

    def check(self, document: str, *, limit: int = MANAGED_POLICY_LIMIT, what: str = "") -> None:
        """Validate an identity policy document and its size."""
        parse_policy(document, PolicyKind.IDENTITY)
        if policy_size(document) > limit:
            if what:
                raise LimitExceeded(f"Maximum policy size of {limit} bytes exceeded for {what}")
            raise LimitExceeded(f"Cannot exceed quota for PolicySize: {limit}")

    def get(self, account_id: str, arn: str) -> IamManagedPolicy:
        """A policy the account can see (its own or AWS managed), or NoSuchEntity."""
        policy = self.session.get(IamManagedPolicy, arn)
        if policy is None or policy.account_id not in (None, account_id):
            raise NoSuchEntity(f"Policy {arn} was not found.")
        return policy

    def listed(
        self, account_id: str, scope: str | None, only_attached: bool, path_prefix: str | None
    ) -> Sequence[IamManagedPolicy]:
        """Policies by scope: All, AWS or Local."""
        query = select(IamManagedPolicy)
        if scope == "AWS":
            query = query.where(IamManagedPolicy.account_id.is_(None))
        elif scope == "Local":
            query = query.where(IamManagedPolicy.account_id == account_id)
        else:
            query = query.where(
                or_(
                    IamManagedPolicy.account_id.is_(None), IamManagedPolicy.account_id == account_id
                )
            )
        if path_prefix:
            query = query.where(IamManagedPolicy.path.startswith(path_prefix))
        policies = self.session.scalars(query.order_by(IamManagedPolicy.name)).all()
        if only_attached:
            policies = [p for p in policies if self.attachment_count(p.arn, account_id)]
        return policies

    def attachment_count(self, arn: str, account_id: str | None = None) -> int:
        """How many users, groups and roles (of an account) have the policy attached."""
        query = (
            select(func.count()).select_from(IamAttachment).where(IamAttachment.policy_arn == arn)
        )
        if account_id is not None:
            query = query.where(IamAttachment.account_id == account_id)
        return int(self.session.scalar(query) or 0)

    def delete(self, account_id: str, arn: str) -> None:
        """Delete a customer managed policy that is detached and has one version."""
        policy = self.own(account_id, arn)
        if self.attachment_count(arn):
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        if len(self.versions(policy)) > 1:
            raise DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must "
                "delete the policy's versions. The default version is deleted with the policy."
            )
        self.session.delete(policy)
        self.session.flush()

    def own(self, account_id: str, arn: str) -> IamManagedPolicy:
        """A customer managed policy of the account (AWS managed ones cannot be changed)."""
        policy = self.get(account_id, arn)
        if policy.account_id is None:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        return policy

    # -- versions ---------------------------------------------------------

    def versions(self, policy: IamManagedPolicy) -> Sequence[IamPolicyVersion]:
        """Versions, newest first."""
        return self.session.scalars(
            select(IamPolicyVersion)
            .where(IamPolicyVersion.policy_arn == policy.arn)
            .order_by(IamPolicyVersion.created_at.desc(), IamPolicyVersion.version_id.desc())
        ).all()

    def version(self, policy: IamManagedPolicy, version_id: str) -> IamPolicyVersion:
        """One version, or NoSuchEntity."""
        version = self.session.get(IamPolicyVersion, (policy.arn, version_id))
        if version is None:
            raise NoSuchEntity(f"Policy {policy.arn} version {version_id} does not exist.")
        return version

    def default_document(self, policy: IamManagedPolicy) -> str:
        """The document of the default version."""
        return self.version(policy, policy.default_version).document

    def create_version(
        self, account_id: str, arn: str, document: str, set_default: bool
    ) -> IamPolicyVersion:
        """A new version (at most five per policy)."""
        policy = self.own(account_id, arn)
        self.check(document)
        if len(self.versions(policy)) >= MAX_VERSIONS:
            raise LimitExceeded(
                "A managed policy can have up to 5 versions. Before you create a new version, "
                "you must delete an existing version."
            )
        version_id = f"v{policy.next_version}"
        policy.next_version += 1
        now = self.clock.now()
        version = IamPolicyVersion(
            policy_arn=arn, version_id=version_id, document=document, created_at=now
        )
        self.session.add(version)
        if set_default:
            policy.default_version = version_id
        policy.updated_at = now
        self.session.flush()
        return version

    def set_default(self, account_id: str, arn: str, version_id: str) -> None:
        """Make a version the one that is enforced."""
        policy = self.own(account_id, arn)
        self.version(policy, version_id)
        policy.default_version = version_id
        policy.updated_at = self.clock.now()
        self.session.flush()

    def delete_version(self, account_id: str, arn: str, version_id: str) -> None:
        """Delete a version that is not the default."""
        policy = self.own(account_id, arn)
        version = self.version(policy, version_id)
        if version_id == policy.default_version:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        self.session.delete(version)
        self.session.flush()

    # -- attachments ------------------------------------------------------

    def attach(self, account_id: str, owner_arn: str, arn: str) -> None:
        """Attach a managed policy (idempotent)."""
        policy = self.session.get(IamManagedPolicy, arn)
        if policy is None or policy.account_id not in (None, account_id):
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        if self.session.get(IamAttachment, (arn, owner_arn)) is None:
            self.session.add(
                IamAttachment(policy_arn=arn, owner_arn=owner_arn, account_id=account_id)
            )
            self.session.flush()

    def detach(self, owner_arn: str, arn: str) -> None:
        """Detach a managed policy."""
        attachment = self.session.get(IamAttachment, (arn, owner_arn))
        if attachment is None:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        self.session.delete(attachment)
        self.session.flush()

    def attached(self, owner_arn: str) -> Sequence[IamManagedPolicy]:
        """Managed policies attached to a user, group or role, by name."""
        return self.session.scalars(
            select(IamManagedPolicy)
            .join(IamAttachment, IamAttachment.policy_arn == IamManagedPolicy.arn)
            .where(IamAttachment.owner_arn == owner_arn)
            .order_by(IamManagedPolicy.name)
        ).all()

    def entities(self, arn: str) -> Sequence[str]:
        """ARNs of the users, groups and roles a policy is attached to."""
        return self.session.scalars(
            select(IamAttachment.owner_arn)
            .where(IamAttachment.policy_arn == arn)
            .order_by(IamAttachment.owner_arn)
        ).all()

    # -- inline -----------------------------------------------------------

    def put_inline(
        self,
        account_id: str,
        owner_kind: str,
        owner_name: str,
        owner_arn: str,
        name: str,
        document: str,
    ) -> None:
        """Create or replace an inline policy."""
        self.check(
            document,
            limit=_INLINE_LIMITS[owner_kind],
            what=f"{owner_kind} {owner_name}",
        )
        row = self.session.get(IamInlinePolicy, (owner_arn, name))
        if row is None:
            self.session.add(
                IamInlinePolicy(
                    owner_arn=owner_arn, name=name, account_id=account_id, document=document
                )
            )
        else:
            row.document = document
        self.session.flush()

    def inline(self, owner_kind: str, owner_arn: str, name: str) -> IamInlinePolicy:
        """One inline policy, or NoSuchEntity."""
        row = self.session.get(IamInlinePolicy, (owner_arn, name))
        if row is None:
            raise NoSuchEntity(f"The {owner_kind} policy with name {name} cannot be found.")
        return row

    def inline_names(self, owner_arn: str) -> list[str]:
        """Names of a principal's inline policies, sorted."""
        return list(
            self.session.scalars(
                select(IamInlinePolicy.name)
                .where(IamInlinePolicy.owner_arn == owner_arn)
                .order_by(IamInlinePolicy.name)
            )
        )

    def delete_inline(self, owner_kind: str, owner_arn: str, name: str) -> None:
        """Delete an inline policy."""
        self.session.delete(self.inline(owner_kind, owner_arn, name))
        self.session.flush()

    def documents_for(self, owner_arns: Sequence[str]) -> list[str]:
        """Every identity policy document of the given principals (inline and attached).

        Two queries whatever the number of policies: this runs on every call.
        """
        docs: list[str] = list(
            self.session.scalars(
                select(IamInlinePolicy.document).where(IamInlinePolicy.owner_arn.in_(owner_arns))
            )
        )
        docs.extend(
            self.session.scalars(
                select(IamPolicyVersion.document)
                .join(IamManagedPolicy, IamManagedPolicy.arn == IamPolicyVersion.policy_arn)
                .join(IamAttachment, IamAttachment.policy_arn == IamManagedPolicy.arn)
                .where(
                    IamAttachment.owner_arn.in_(owner_arns),
                    IamPolicyVersion.version_id == IamManagedPolicy.default_version,
                )
            )
        )
        return docs

    def describe(self, policy: IamManagedPolicy, account_id: str) -> dict[str, Any]:
        """The `Policy` structure."""
        return {
            "PolicyName": policy.name,
            "PolicyId": policy.id,
            "Arn": policy.arn,
            "Path": policy.path,
            "DefaultVersionId": policy.default_version,
            "AttachmentCount": self.attachment_count(policy.arn, account_id),
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
            "CreateDate": policy.created_at,
            "UpdateDate": policy.updated_at,
            **({"Description": policy.description} if policy.description else {}),
        }
