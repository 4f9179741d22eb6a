"""The model registry: groups of versioned model packages, approvals, and their events.

Every create and approval change emits `SageMaker Model Package State Change` to
the account's default event bus in the same transaction as the change itself,
and every approval change is kept in the history table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from airlock.core.context import RequestContext
from airlock.events import EventsService
from airlock.iam.policy import MalformedPolicyDocument, PolicyKind, parse_policy
from airlock.platform.clock import Clock

from . import errors
from .models import ApprovalChange, ModelPackage, ModelPackageGroup, SageMakerTag

PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
# Approval changes SageMaker accepts (to the same status is no change at all).
TRANSITIONS = {
    PENDING: {APPROVED, REJECTED},
    REJECTED: {APPROVED},
    APPROVED: {REJECTED},
}
STATE_CHANGE = "SageMaker Model Package State Change"


def group_arn(region: str, account: str, name: str) -> str:
    """SageMaker writes resource names in ARNs in lower case."""
    return f"arn:aws:sagemaker:{region}:{account}:model-package-group/{name.lower()}"


def package_arn(region: str, account: str, name: str, version: int | None) -> str:
    """`…:model-package/<group>/<version>` for versions, `…:model-package/<name>` otherwise."""
    suffix = f"{name.lower()}/{version}" if version is not None else name.lower()
    return f"arn:aws:sagemaker:{region}:{account}:model-package/{suffix}"


def user_context(ctx: RequestContext) -> dict[str, Any]:
    """`CreatedBy` / `LastModifiedBy`: the IAM identity that made the call."""
    identity: dict[str, Any] = {"Arn": ctx.principal.arn, "PrincipalId": ctx.principal.user_id}
    if ctx.principal.source_identity:
        identity["SourceIdentity"] = ctx.principal.source_identity
    return {"IamIdentity": identity}


def iso(moment: datetime) -> str:
    """A time as SageMaker's events write it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Registry:
    """Model package groups and packages for callers in one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # Groups --------------------------------------------------------------------------

    def parse_group(self, account: str, region: str, name_or_arn: str) -> tuple[str, str]:
        """(account, name) of a group named plainly (the caller's) or by ARN (any account's)."""
        if name_or_arn.startswith("arn:"):
            parts = name_or_arn.split(":", 5)
            if len(parts) != 6 or not parts[5].startswith("model-package-group/"):
                raise errors.SageMakerValidation(f"{name_or_arn} is not a model package group ARN.")
            return parts[4], parts[5].split("/", 1)[1]
        return account, name_or_arn

    def find_group(self, account: str, region: str, name: str) -> ModelPackageGroup | None:
        """A group by name (names are matched without regard to case, as ARNs are)."""
        return self.session.scalars(
            select(ModelPackageGroup).where(
                ModelPackageGroup.account_id == account,
                ModelPackageGroup.region == region,
                func.lower(ModelPackageGroup.name) == name.lower(),
            )
        ).first()

    def group(self, account: str, region: str, name: str) -> ModelPackageGroup:
        """A group, or ValidationException as SageMaker words it."""
        group = self.find_group(account, region, name)
        if group is None:
            raise errors.SageMakerValidation(
                f"ModelPackageGroup {group_arn(region, account, name)} does not exist."
            )
        return group

    def create_group(
        self, ctx: RequestContext, name: str, description: str | None
    ) -> ModelPackageGroup:
        """A new group."""
        if self.find_group(ctx.account_id, ctx.region, name) is not None:
            raise errors.SageMakerValidation(
                f"Model Package Group already exists: {group_arn(ctx.region, ctx.account_id, name)}"
            )
        group = ModelPackageGroup(
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            arn=group_arn(ctx.region, ctx.account_id, name),
            description=description,
            created_at=self.clock.now(),
            created_by=user_context(ctx),
            last_version=0,
        )
        self.session.add(group)
        self.session.flush()
        return group

    def groups(self, account: str, region: str) -> Sequence[ModelPackageGroup]:
        """The account's groups."""
        return self.session.scalars(
            select(ModelPackageGroup).where(
                ModelPackageGroup.account_id == account, ModelPackageGroup.region == region
            )
        ).all()

    def shared_groups(self, account: str, region: str) -> Sequence[ModelPackageGroup]:
        """Other accounts' groups with a policy (whether it grants the caller is decided later)."""
        return self.session.scalars(
            select(ModelPackageGroup).where(
                ModelPackageGroup.account_id != account,
                ModelPackageGroup.region == region,
                ModelPackageGroup.policy.is_not(None),
            )
        ).all()

    def delete_group(self, group: ModelPackageGroup) -> None:
        """Delete a group that holds no versions any more."""
        count = self.session.scalar(
            select(func.count()).select_from(ModelPackage).where(ModelPackage.group_id == group.id)
        )
        if count:
            raise errors.ConflictException(
                f"Model Package Group {group.arn} cannot be deleted: it still contains "
                f"{count} model package(s). Delete them first."
            )
        self.session.execute(delete(SageMakerTag).where(SageMakerTag.resource_arn == group.arn))
        self.session.delete(group)
        self.session.flush()

    def set_policy(self, group: ModelPackageGroup, policy: str | None) -> None:
        """Set or remove the group's resource policy."""
        if policy is not None:
            try:
                parse_policy(policy, PolicyKind.RESOURCE)
            except MalformedPolicyDocument as error:
                raise errors.SageMakerValidation(
                    f"Invalid resource policy: {error.message}"
                ) from error
        group.policy = policy

    # Packages ------------------------------------------------------------------------

    def find_package(self, account: str, region: str, name_or_arn: str) -> ModelPackage | None:
        """A package by ARN (any account) or by unversioned name (the caller's)."""
        if name_or_arn.startswith("arn:"):
            return self.session.scalars(
                select(ModelPackage).where(ModelPackage.arn == name_or_arn.lower())
            ).first()
        return self.session.scalars(
            select(ModelPackage).where(
                ModelPackage.account_id == account,
                ModelPackage.region == region,
                ModelPackage.group_id.is_(None),
                func.lower(ModelPackage.name) == name_or_arn.lower(),
            )
        ).first()

    def package(self, account: str, region: str, name_or_arn: str) -> ModelPackage:
        """A package, or ValidationException."""
        found = self.find_package(account, region, name_or_arn)
        if found is None:
            raise errors.SageMakerValidation(f"ModelPackage {name_or_arn} does not exist.")
        return found

    def group_of(self, package: ModelPackage) -> ModelPackageGroup | None:
        """The group of a versioned package."""
        return self.session.get(ModelPackageGroup, package.group_id) if package.group_id else None

    def by_token(self, group: ModelPackageGroup | None, token: str) -> ModelPackage | None:
        """The package an earlier call with this ClientToken created."""
        query = select(ModelPackage).where(ModelPackage.client_token == token)
        if group is not None:
            query = query.where(ModelPackage.group_id == group.id)
        return self.session.scalars(query).first()

    def create_package(
        self,
        ctx: RequestContext,
        group: ModelPackageGroup | None,
        name: str | None,
        spec: dict[str, Any],
        *,
        description: str | None,
        approval: str | None,
        artifacts: list[dict[str, Any]],
        token: str | None,
    ) -> ModelPackage:
        """A new version in a group (or an unversioned package), its event and history."""
        now = self.clock.now()
        if group is not None:
            group.last_version += 1
            version: int | None = group.last_version
            package_name = group.name
        else:
            if not name:
                raise errors.SageMakerValidation(
                    "Either ModelPackageName or ModelPackageGroupName must be specified."
                )
            if self.find_package(ctx.account_id, ctx.region, name) is not None:
                raise errors.SageMakerValidation(f"Model package {name} already exists.")
            version, package_name = None, name
        status = approval or (PENDING if group is not None else None)
        package = ModelPackage(
            account_id=ctx.account_id,
            region=ctx.region,
            group_id=group.id if group is not None else None,
            name=package_name,
            version=version,
            arn=package_arn(ctx.region, ctx.account_id, package_name, version),
            description=description,
            spec=spec,
            approval_status=status,
            status="Completed",
            artifacts=artifacts,
            client_token=token,
            created_at=now,
            created_by=user_context(ctx),
            modified_at=now,
            modified_by=user_context(ctx),
        )
        self.session.add(package)
        self.session.flush()
        if status is not None:
            self._remember(package, ctx, None, status, None)
        self.emit(package)
        return package

    def update_approval(
        self,
        ctx: RequestContext,
        package: ModelPackage,
        status: str | None,
        description: str | None,
    ) -> None:
        """Change the approval status as SageMaker allows; the change is kept and announced."""
        if status is not None and status != package.approval_status:
            allowed = TRANSITIONS.get(package.approval_status or PENDING, set())
            if status not in allowed:
                raise errors.SageMakerValidation(
                    f"Model package approval status cannot change from "
                    f"{package.approval_status} to {status}."
                )
            self._remember(package, ctx, package.approval_status, status, description)
            package.approval_status = status
        if description is not None:
            package.approval_description = description
        package.modified_at = self.clock.now()
        package.modified_by = user_context(ctx)

    def _remember(
        self,
        package: ModelPackage,
        ctx: RequestContext,
        before: str | None,
        after: str,
        description: str | None,
    ) -> None:
        self.session.add(
            ApprovalChange(
                package_id=package.id,
                at=self.clock.now(),
                principal_arn=ctx.principal.arn,
                from_status=before,
                to_status=after,
                description=description,
            )
        )

    def history(self, package: ModelPackage) -> Sequence[ApprovalChange]:
        """Every approval change of a package, oldest first."""
        return self.session.scalars(
            select(ApprovalChange)
            .where(ApprovalChange.package_id == package.id)
            .order_by(ApprovalChange.id)
        ).all()

    def delete_package(self, package: ModelPackage) -> None:
        """Delete a package (its version number is never given out again)."""
        self.session.execute(delete(ApprovalChange).where(ApprovalChange.package_id == package.id))
        self.session.delete(package)
        self.session.flush()

    def emit(self, package: ModelPackage) -> None:
        """`SageMaker Model Package State Change` on the account's default bus, in this txn."""
        detail: dict[str, Any] = {
            "ModelPackageName": package.name,
            "ModelPackageArn": package.arn,
            "CreationTime": iso(package.created_at),
            "ModelPackageStatus": package.status,
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "CertifyForMarketplace": bool(package.spec.get("CertifyForMarketplace", False)),
            "LastModifiedTime": iso(package.modified_at),
        }
        if package.version is not None:
            detail["ModelPackageGroupName"] = package.name
            detail["ModelPackageVersion"] = package.version
        if package.description:
            detail["ModelPackageDescription"] = package.description
        if package.approval_status:
            detail["ModelApprovalStatus"] = package.approval_status
        if package.approval_description:
            detail["ApprovalDescription"] = package.approval_description
        for member in (
            "InferenceSpecification",
            "MetadataProperties",
            "ModelMetrics",
            "CustomerMetadataProperties",
            "Domain",
            "Task",
            "SamplePayloadUrl",
        ):
            if package.spec.get(member) is not None:
                detail[member] = package.spec[member]
        EventsService(self.session, self.clock).emit(
            package.account_id,
            package.region,
            source="aws.sagemaker",
            detail_type=STATE_CHANGE,
            detail=detail,
            resources=[package.arn],
        )
