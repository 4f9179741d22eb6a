"""Auto-deployment: a service-managed stack set follows the accounts of its OUs.

An account created in or moved into a targeted OU (or an OU below it) gets the
set's instances in the regions deployed through that OU; an account moved out, or
out of the organization, loses them (its stacks kept when RetainStacksOnAccountRemoval
is set). The engine runs this reconcile every few seconds; each difference becomes an
ordinary operation (CREATE, then DELETE), listed with the set's other operations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.organizations import OrganizationsService

from ..service import CloudFormation
from .models import StackInstance, StackSet
from .queue import Plan, begin_operation
from .sets import Target, busy_operation, instances_of
from .targets import accounts_of_units

Pairs = dict[tuple[str, str], str | None]


def _differences(svc: CloudFormation, stack_set: StackSet) -> tuple[Pairs, Pairs] | None:
    """(missing, extra) instances of an auto-deployed set, or None while it is busy."""
    if busy_operation(svc, stack_set) is not None:
        return None
    orgs = OrganizationsService(svc.session, svc.clock)
    org = orgs.organization_of(stack_set.account_id)
    wanted: Pairs = {}
    if org is not None and org.management_account_id == stack_set.account_id:
        for unit, regions in stack_set.ou_regions.items():
            if not orgs.parent_exists(org, unit):
                continue
            for account in accounts_of_units(orgs, org, [unit]):
                for region in regions:
                    wanted.setdefault((account, region), unit)
    have: dict[tuple[str, str], StackInstance] = {
        (i.account, i.region): i for i in instances_of(svc, stack_set) if i.ou_id is not None
    }
    missing = {k: v for k, v in wanted.items() if k not in have}
    extra: Pairs = {k: i.ou_id for k, i in have.items() if k not in wanted}
    return missing, extra


def _auto_sets(session: Session) -> list[int]:
    rows = session.scalars(
        select(StackSet).where(
            StackSet.status == "ACTIVE", StackSet.permission_model == "SERVICE_MANAGED"
        )
    ).all()
    return [s.id for s in rows if (s.auto_deployment or {}).get("Enabled")]


def reconcile(platform: Any) -> None:
    """Start the operation each auto-deployed stack set needs now, if any."""
    with platform.db.read() as session:
        due = []
        for pk in _auto_sets(session):
            stack_set = session.get(StackSet, pk)
            assert stack_set is not None
            found = _differences(CloudFormation(platform, session), stack_set)
            if found is not None and (found[0] or found[1]):
                due.append(pk)
    for pk in due:
        with platform.db.write() as session:
            svc = CloudFormation(platform, session)
            stack_set = session.get(StackSet, pk)
            assert stack_set is not None
            found = _differences(svc, stack_set)
            if found is None:
                continue
            missing, extra = found
            pairs = missing or extra
            targets = [Target(a, ou) for (a, _), ou in pairs.items()]
            unique = list({t.account: t for t in targets}.values())
            regions = sorted({r for _, r in pairs})
            retain = bool((stack_set.auto_deployment or {}).get("RetainStacksOnAccountRemoval"))
            request: dict[str, Any] = {"AutoDeployment": True}
            if not missing:
                request["RetainStacks"] = retain
            plan = Plan(
                step="deploy" if missing else "delete",
                targets=unique,
                regions=regions,
                only=set(pairs),
            )
            begin_operation(
                svc, stack_set, request, action="CREATE" if missing else "DELETE", plan=plan
            )
