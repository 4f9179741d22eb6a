"""Where a stack set operation goes and at what pace: targets, regions, preferences.

The pace follows AWS's StackSetOperationPreferences: a failure tolerance per region
(a count, or a percentage of the region's accounts rounded down), a concurrency per
region (a count, or a percentage rounded down but at least one), regions one after
another (SEQUENTIAL, the default, in RegionOrder) or all at once (PARALLEL). Under
STRICT_FAILURE_TOLERANCE (the default) concurrency is at most the tolerance plus one
and drops as accounts fail, so failures never pass the tolerance plus one; under
SOFT_FAILURE_TOLERANCE the concurrency stays as asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from airlock.organizations import OrganizationsService
from airlock.organizations.models import Organization

from ..errors import CloudFormationValidation

ACCOUNT = re.compile(r"\d{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


@dataclass(frozen=True)
class Preferences:
    """OperationPreferences, checked."""

    tolerance_count: int | None = None
    tolerance_percentage: int | None = None
    concurrent_count: int | None = None
    concurrent_percentage: int | None = None
    region_concurrency: str = "SEQUENTIAL"
    region_order: tuple[str, ...] = ()
    strict: bool = True

    @classmethod
    def of(cls, given: dict[str, Any] | None) -> Preferences:
        """The preferences a call gives, or CloudFormation's ValidationError."""
        p = given or {}
        if p.get("FailureToleranceCount") is not None and (
            p.get("FailureTolerancePercentage") is not None
        ):
            raise CloudFormationValidation(
                "You can specify either FailureToleranceCount or FailureTolerancePercentage, "
                "but not both."
            )
        if p.get("MaxConcurrentCount") is not None and p.get("MaxConcurrentPercentage") is not None:
            raise CloudFormationValidation(
                "You can specify either MaxConcurrentCount or MaxConcurrentPercentage, "
                "but not both."
            )
        order = tuple(str(r) for r in p.get("RegionOrder") or [])
        for region in order:
            check_region(region)
        return cls(
            tolerance_count=p.get("FailureToleranceCount"),
            tolerance_percentage=p.get("FailureTolerancePercentage"),
            concurrent_count=p.get("MaxConcurrentCount"),
            concurrent_percentage=p.get("MaxConcurrentPercentage"),
            region_concurrency=str(p.get("RegionConcurrencyType") or "SEQUENTIAL"),
            region_order=order,
            strict=p.get("ConcurrencyMode") != "SOFT_FAILURE_TOLERANCE",
        )

    def tolerance(self, accounts: int) -> int:
        """How many accounts of a region may fail before the region (and operation) fails."""
        if self.tolerance_count is not None:
            return self.tolerance_count
        if self.tolerance_percentage is not None:
            return accounts * self.tolerance_percentage // 100
        return 0

    def concurrency(self, accounts: int, failed: int) -> int:
        """How many accounts of a region may run at once after `failed` failures."""
        if self.concurrent_count is not None:
            limit = self.concurrent_count
        elif self.concurrent_percentage is not None:
            limit = max(1, accounts * self.concurrent_percentage // 100)
        else:
            limit = 1
        if self.strict:
            limit = min(limit, self.tolerance(accounts) + 1 - failed)
        return max(0, limit)

    def ordered(self, regions: Sequence[str]) -> list[str]:
        """The regions in the order they are worked: RegionOrder first, then as given."""
        first = [r for r in self.region_order if r in regions]
        return first + [r for r in dict.fromkeys(regions) if r not in first]


def check_region(region: str) -> None:
    """A region name, or CloudFormation's ValidationError."""
    if not REGION.fullmatch(region):
        raise CloudFormationValidation(f"Region {region} is not supported")


def check_accounts(accounts: Iterable[str]) -> list[str]:
    """Account ids, each of 12 digits, without repeats."""
    found = list(dict.fromkeys(str(a) for a in accounts))
    for account in found:
        if not ACCOUNT.fullmatch(account):
            raise CloudFormationValidation(f"AccountIds must be 12-digit numbers, got: [{account}]")
    return found


def accounts_of_units(
    orgs: OrganizationsService, org: Organization, unit_ids: Sequence[str]
) -> dict[str, str]:
    """The accounts of these OUs (or roots) and all the OUs below them: account -> the
    targeted OU it is under. The management account is never a target, as in AWS."""
    found: dict[str, str] = {}
    missing = [u for u in unit_ids if not orgs.parent_exists(org, u)]
    if missing:
        raise CloudFormationValidation(
            f"OrganizationalUnitIds {list(missing)} do not exist in the organization"
        )
    for unit in unit_ids:
        queue = [unit]
        while queue:
            parent = queue.pop(0)
            for member, _ in orgs.members(org, parent):
                if member.account_id != org.management_account_id:
                    found.setdefault(member.account_id, unit)
            queue.extend(ou.id for ou in orgs.child_ous(org, parent))
    return found


def filtered(
    in_units: dict[str, str], accounts: Sequence[str], filter_type: str | None
) -> dict[str, str | None]:
    """OU accounts narrowed by DeploymentTargets' Accounts and AccountFilterType."""
    kind = filter_type or "NONE"
    if not in_units and accounts:  # accounts alone: those accounts
        return dict.fromkeys(accounts)
    if kind == "INTERSECTION":
        return {a: in_units[a] for a in accounts if a in in_units}
    if kind == "DIFFERENCE":
        return {a: ou for a, ou in in_units.items() if a not in accounts}
    if kind == "UNION":
        union: dict[str, str | None] = dict(in_units)
        for account in accounts:
            union.setdefault(account, None)
        return union
    return dict(in_units)
