"""Group membership as other services need it (Service Catalog grants portfolios to groups)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import IamGroup, IamGroupMember, IamUser


def group_arns_of_user(session: Session, user_arn: str) -> list[str]:
    """The ARNs of the groups the user with this ARN belongs to (none for other principals)."""
    return list(
        session.scalars(
            select(IamGroup.arn)
            .join(IamGroupMember, IamGroupMember.group_id == IamGroup.id)
            .join(IamUser, IamUser.id == IamGroupMember.user_id)
            .where(IamUser.arn == user_arn)
            .order_by(IamGroup.arn)
        ).all()
    )
