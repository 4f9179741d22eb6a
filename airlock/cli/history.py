"""`airlock models history`: every approval change of a group's versions, as a table."""

from __future__ import annotations

from rich.table import Table
from sqlalchemy import select

from airlock.gateway import Airlock
from airlock.identity.profiles import UnknownProfile, profile_account
from airlock.sagemaker.models import ApprovalChange, ModelPackage
from airlock.sagemaker.registry import Registry


class HistoryError(Exception):
    """The group, version or profile named does not exist."""


def approval_history(
    instance: Airlock, profile: str, group_name: str, version: int | None
) -> Table:
    """Who changed which version's approval, when, from what, to what, and why."""
    try:
        account = profile_account(instance.platform.db, profile)
    except UnknownProfile as error:
        raise HistoryError(str(error)) from error
    region = instance.settings.region
    table = Table("Version", "When (UTC)", "Who", "From", "To", "Description")
    with instance.platform.db.read() as session:
        registry = Registry(session, instance.platform.clock)
        group = registry.find_group(account, region, group_name)
        if group is None:
            raise HistoryError(f"No model package group {group_name!r} in account {account}.")
        query = select(ModelPackage, ApprovalChange).join(
            ApprovalChange, ApprovalChange.package_id == ModelPackage.id
        )
        query = query.where(ModelPackage.group_id == group.id)
        if version is not None:
            query = query.where(ModelPackage.version == version)
        rows = session.execute(query.order_by(ModelPackage.version, ApprovalChange.id)).all()
        if version is not None and not rows:
            raise HistoryError(f"Group {group_name!r} has no version {version}.")
        for package, change in rows:
            table.add_row(
                str(package.version),
                change.at.strftime("%Y-%m-%d %H:%M:%S"),
                change.principal_arn,
                change.from_status or "-",
                change.to_status,
                change.description or "",
            )
    return table
