"""IAM principals: users, groups, roles and users' access keys, per account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from airlock.core.context import Principal, PrincipalType
from airlock.identity import AccessKey, IdentityService
from airlock.platform import ids
from airlock.platform.clock import Clock

from .errors import DeleteConflict, EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity
from .models import (
    IamAttachment,
    IamGroup,
    IamGroupMember,
    IamInlinePolicy,
    IamLoginProfile,
    IamRole,
    IamServiceCredential,
    IamTag,
    IamUser,
)
from .policy import PolicyKind, parse_policy
from .policy.document import TRUST_POLICY_LIMIT, policy_size

MAX_KEYS_PER_USER = 2
Named = TypeVar("Named", IamUser, IamGroup, IamRole)


def iam_arn(account_id: str, kind: str, path: str, name: str) -> str:
    """`arn:aws:iam::ACCOUNT:{user|group|role|policy}{path}{name}`."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


class IamService:
    """Users, groups, roles and access keys of the caller's account."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.identity = IdentityService(session, clock)

    # -- users ------------------------------------------------------------

    def create_user(
        self, account_id: str, name: str, path: str | None, boundary: str | None
    ) -> IamUser:
        """A new user; EntityAlreadyExists if the name is taken (names are case-insensitive)."""
        if self._find(IamUser, account_id, name) is not None:
            raise EntityAlreadyExists(f"User with name {name} already exists.")
        path = path or "/"
        user = IamUser(
            id=ids.unique_id("AIDA"),
            account_id=account_id,
            name=name,
            path=path,
            arn=iam_arn(account_id, "user", path, name),
            boundary_arn=boundary,
            created_at=self.clock.now(),
        )
        self.session.add(user)
        self.session.flush()
        return user

    def user(self, account_id: str, name: str) -> IamUser:
        """A user by name, or NoSuchEntity."""
        user = self._find(IamUser, account_id, name)
        if user is None:
            raise NoSuchEntity(f"The user with name {name} cannot be found.")
        return user

    def users(self, account_id: str, path_prefix: str | None) -> Sequence[IamUser]:
        """Users, by name, under a path prefix."""
        query = select(IamUser).where(IamUser.account_id == account_id)
        if path_prefix:
            query = query.where(IamUser.path.startswith(path_prefix))
        return self.session.scalars(query.order_by(IamUser.name)).all()

    def delete_user(self, account_id: str, name: str) -> None:
        """Delete a user that has no keys, policies or groups left (as AWS insists)."""
        user = self.user(account_id, name)
        if self._has(IamLoginProfile, IamLoginProfile.user_id, user.id):
            raise DeleteConflict("Cannot delete entity, must delete login profile first.")
        if self.identity.keys_of(user.arn):
            raise DeleteConflict("Cannot delete entity, must delete access keys first.")
        if self._has(IamServiceCredential, IamServiceCredential.user_id, user.id):
            # AWS's words for a user that still has service-specific (Git) credentials.
            raise DeleteConflict("Cannot delete entity, must remove referenced objects first.")
        if self._has(IamInlinePolicy, IamInlinePolicy.owner_arn, user.arn):
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        if self._has(IamAttachment, IamAttachment.owner_arn, user.arn):
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        if self._has(IamGroupMember, IamGroupMember.user_id, user.id):
            raise DeleteConflict("Cannot delete entity, must remove users from group first.")
        self._drop_tags(user.arn)
        self.session.delete(user)
        self.session.flush()

    def user_principal(self, user: IamUser) -> Principal:
        """The principal a user's access keys authenticate as."""
        return Principal(
            account_id=user.account_id, arn=user.arn, type=PrincipalType.USER, user_id=user.id
        )

    # -- access keys ------------------------------------------------------

    def create_access_key(self, account_id: str, user_name: str) -> tuple[IamUser, AccessKey]:
        """A new key pair for a user (at most two per user)."""
        user = self.user(account_id, user_name)
        if len(self.identity.keys_of(user.arn)) >= MAX_KEYS_PER_USER:
            raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
        return user, self.identity.create_key(self.user_principal(user))

    def access_keys(self, account_id: str, user_name: str) -> tuple[IamUser, Sequence[AccessKey]]:
        """A user's keys."""
        user = self.user(account_id, user_name)
        return user, self.identity.keys_of(user.arn)

    def access_key(self, account_id: str, key_id: str, user_name: str | None) -> AccessKey:
        """One of the account's user keys, or NoSuchEntity."""
        key = self.identity.key(key_id)
        owner = self.user(account_id, user_name).arn if user_name else None
        if (
            key is None
            or key.account_id != account_id
            or key.principal_type != PrincipalType.USER.value
            or (owner is not None and key.principal_arn != owner)
        ):
            raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found")
        return key

    # -- groups -----------------------------------------------------------

    def create_group(self, account_id: str, name: str, path: str | None) -> IamGroup:
        """A new group."""
        if self._find(IamGroup, account_id, name) is not None:
            raise EntityAlreadyExists(f"Group with name {name} already exists.")
        path = path or "/"
        group = IamGroup(
            id=ids.unique_id("AGPA"),
            account_id=account_id,
            name=name,
            path=path,
            arn=iam_arn(account_id, "group", path, name),
            created_at=self.clock.now(),
        )
        self.session.add(group)
        self.session.flush()
        return group

    def group(self, account_id: str, name: str) -> IamGroup:
        """A group by name, or NoSuchEntity."""
        group = self._find(IamGroup, account_id, name)
        if group is None:
            raise NoSuchEntity(f"The group with name {name} cannot be found.")
        return group

    def group_users(self, group: IamGroup) -> Sequence[IamUser]:
        """Members of a group, by name."""
        return self.session.scalars(
            select(IamUser)
            .join(IamGroupMember, IamGroupMember.user_id == IamUser.id)
            .where(IamGroupMember.group_id == group.id)
            .order_by(IamUser.name)
        ).all()

    def user_groups(self, user: IamUser) -> Sequence[IamGroup]:
        """Groups a user belongs to, by name."""
        return self.session.scalars(
            select(IamGroup)
            .join(IamGroupMember, IamGroupMember.group_id == IamGroup.id)
            .where(IamGroupMember.user_id == user.id)
            .order_by(IamGroup.name)
        ).all()

    def add_to_group(self, account_id: str, group_name: str, user_name: str) -> None:
        """Add a user to a group (idempotent)."""
        group, user = self.group(account_id, group_name), self.user(account_id, user_name)
        if self.session.get(IamGroupMember, (group.id, user.id)) is None:
            self.session.add(IamGroupMember(group_id=group.id, user_id=user.id))
            self.session.flush()

    def remove_from_group(self, account_id: str, group_name: str, user_name: str) -> None:
        """Remove a user from a group."""
        group, user = self.group(account_id, group_name), self.user(account_id, user_name)
        member = self.session.get(IamGroupMember, (group.id, user.id))
        if member is None:
            raise NoSuchEntity(f"The user with name {user_name} is not in group {group_name}.")
        self.session.delete(member)
        self.session.flush()

    def delete_group(self, account_id: str, name: str) -> None:
        """Delete an empty group with no policies."""
        group = self.group(account_id, name)
        if self.group_users(group):
            raise DeleteConflict("Cannot delete entity, must remove users from group first.")
        if self._has(IamInlinePolicy, IamInlinePolicy.owner_arn, group.arn):
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        if self._has(IamAttachment, IamAttachment.owner_arn, group.arn):
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        self.session.delete(group)
        self.session.flush()

    # -- roles ------------------------------------------------------------

    def check_trust_policy(self, document: str) -> None:
        """Validate a trust policy (grammar and size)."""
        parse_policy(document, PolicyKind.TRUST)
        if policy_size(document) > TRUST_POLICY_LIMIT:
            raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_LIMIT}")

    def create_role(self, account_id: str, name: str, trust_policy: str, **fields: Any) -> IamRole:
        """A new role with its trust policy."""
        if self._find(IamRole, account_id, name) is not None:
            raise EntityAlreadyExists(f"Role with name {name} already exists.")
        self.check_trust_policy(trust_policy)
        path = fields.get("path") or "/"
        role = IamRole(
            id=ids.unique_id("AROA"),
            account_id=account_id,
            name=name,
            path=path,
            arn=iam_arn(account_id, "role", path, name),
            trust_policy=trust_policy,
            description=fields.get("description"),
            max_session_duration=fields.get("max_session_duration") or 3600,
            boundary_arn=fields.get("boundary"),
            created_at=self.clock.now(),
        )
        self.session.add(role)
        self.session.flush()
        return role

    def role(self, account_id: str, name: str) -> IamRole:
        """A role by name, or NoSuchEntity."""
        role = self._find(IamRole, account_id, name)
        if role is None:
            raise NoSuchEntity(f"The role with name {name} cannot be found.")
        return role

    def role_by_arn(self, arn: str) -> IamRole | None:
        """A role by ARN, in any account."""
        return self.session.scalars(select(IamRole).where(IamRole.arn == arn)).first()

    def roles(self, account_id: str, path_prefix: str | None) -> Sequence[IamRole]:
        """Roles, by name, under a path prefix."""
        query = select(IamRole).where(IamRole.account_id == account_id)
        if path_prefix:
            query = query.where(IamRole.path.startswith(path_prefix))
        return self.session.scalars(query.order_by(IamRole.name)).all()

    def delete_role(self, account_id: str, name: str) -> None:
        """Delete a role with no policies left."""
        role = self.role(account_id, name)
        if self._has(IamInlinePolicy, IamInlinePolicy.owner_arn, role.arn):
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        if self._has(IamAttachment, IamAttachment.owner_arn, role.arn):
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        self._drop_tags(role.arn)
        self.session.delete(role)
        self.session.flush()

    # -- tags -------------------------------------------------------------

    def tag(self, owner_arn: str, tags: list[dict[str, str]]) -> None:
        """Add or overwrite tags (at most 50)."""
        keys = [t["Key"] for t in tags]
        if len(set(keys)) != len(keys):
            raise InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        for tag in tags:
            row = self.session.get(IamTag, (owner_arn, tag["Key"]))
            if row is None:
                self.session.add(IamTag(owner_arn=owner_arn, key=tag["Key"], value=tag["Value"]))
            else:
                row.value = tag["Value"]
        self.session.flush()
        count = self.session.scalar(
            select(func.count()).select_from(IamTag).where(IamTag.owner_arn == owner_arn)
        )
        if (count or 0) > 50:
            raise LimitExceeded("Cannot exceed quota for TagsPerEntity: 50")

    def untag(self, owner_arn: str, keys: list[str]) -> None:
        """Remove tags by key."""
        self.session.execute(
            delete(IamTag).where(IamTag.owner_arn == owner_arn, IamTag.key.in_(keys))
        )

    def tags(self, owner_arn: str) -> list[dict[str, str]]:
        """Tags, sorted by key."""
        rows = self.session.scalars(
            select(IamTag).where(IamTag.owner_arn == owner_arn).order_by(IamTag.key)
        )
        return [{"Key": r.key, "Value": r.value} for r in rows]

    # -- helpers ----------------------------------------------------------

    def _find(self, table: type[Named], account_id: str, name: str) -> Named | None:
        return self.session.scalars(
            select(table).where(
                table.account_id == account_id, func.lower(table.name) == name.lower()
            )
        ).first()

    def _has(self, table: Any, column: Any, value: str) -> bool:
        return (
            self.session.scalars(select(table).where(column == value).limit(1)).first() is not None
        )

    def _drop_tags(self, owner_arn: str) -> None:
        self.session.execute(delete(IamTag).where(IamTag.owner_arn == owner_arn))
