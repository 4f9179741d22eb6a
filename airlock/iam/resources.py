"""CloudFormation resource types of IAM: Role, User, Policy (inline) and ManagedPolicy.

Every step is an IAM operation made through the call path as the stack's principal,
so IAM decides each one. Updates diff the template's properties against the
previous ones: new grants are applied before old ones are taken away, and taking
away something already gone is not an error (a retried update repeats none of it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from airlock.core.errors import ServiceError
from airlock.core.resources import (
    BaseResource,
    Properties,
    ProviderContext,
    ResourceFailed,
    ResourceSpec,
    gone,
)

from .api import api


def policy_json(document: Any) -> str:
    """A policy document as IAM takes it: templates give an object, or JSON text."""
    return document if isinstance(document, str) else json.dumps(document)


def same_document(a: Any, b: Any) -> bool:
    """Whether two policy documents (objects or JSON text) say the same thing."""

    def value(document: Any) -> Any:
        if isinstance(document, str):
            try:
                return json.loads(document)
            except ValueError:
                return document
        return document

    return bool(value(a) == value(b))


def _pages(pc: ProviderContext, operation: str, params: dict[str, Any]) -> Iterator[Any]:
    """Each page of an IAM listing (Marker / IsTruncated)."""
    request = dict(params)
    while True:
        page = pc.call("iam", operation, request)
        yield page
        if not page.get("IsTruncated"):
            return
        request["Marker"] = page["Marker"]


def _listed(pc: ProviderContext, operation: str, params: dict[str, Any], key: str) -> list[Any]:
    return [item for page in _pages(pc, operation, params) for item in page.get(key) or []]


def _unless_gone(pc: ProviderContext, operation: str, params: dict[str, Any]) -> None:
    """Run a removal; one whose target is already gone has nothing left to do."""
    try:
        pc.call("iam", operation, params)
    except ServiceError as error:
        if not gone(error):
            raise


def _names(props: Properties | None, key: str) -> list[str]:
    return [str(name) for name in (props or {}).get(key) or []]


@dataclass(frozen=True)
class Owner:
    """A kind of principal that carries policies: Role, User or Group."""

    kind: str

    @property
    def param(self) -> str:
        """The request parameter naming one (`RoleName`)."""
        return f"{self.kind}Name"

    def put(self, pc: ProviderContext, name: str, policy: str, document: Any, **kw: Any) -> None:
        """Create or replace an inline policy."""
        request = {self.param: name, "PolicyName": policy, "PolicyDocument": policy_json(document)}
        pc.call("iam", f"Put{self.kind}Policy", request, **kw)

    def delete(self, pc: ProviderContext, name: str, policy: str) -> None:
        """Delete an inline policy (one already gone is fine)."""
        _unless_gone(pc, f"Delete{self.kind}Policy", {self.param: name, "PolicyName": policy})

    def attach(self, pc: ProviderContext, name: str, arn: str) -> None:
        """Attach a managed policy."""
        pc.call("iam", f"Attach{self.kind}Policy", {self.param: name, "PolicyArn": arn})

    def detach(self, pc: ProviderContext, name: str, arn: str) -> None:
        """Detach a managed policy (one already detached is fine)."""
        _unless_gone(pc, f"Detach{self.kind}Policy", {self.param: name, "PolicyArn": arn})

    def sync_policies(
        self, pc: ProviderContext, name: str, props: Properties, old: Properties | None
    ) -> None:
        """Make the inline `Policies` and the `ManagedPolicyArns` match the template."""
        wanted = {p["PolicyName"]: p["PolicyDocument"] for p in props.get("Policies") or []}
        had = {p["PolicyName"]: p["PolicyDocument"] for p in (old or {}).get("Policies") or []}
        for policy, document in wanted.items():
            if policy not in had or not same_document(had[policy], document):
                self.put(pc, name, policy, document)
        arns, old_arns = _names(props, "ManagedPolicyArns"), _names(old, "ManagedPolicyArns")
        for arn in arns:
            if arn not in old_arns:
                self.attach(pc, name, arn)
        for policy in had.keys() - wanted.keys():
            self.delete(pc, name, policy)
        for arn in old_arns:
            if arn not in arns:
                self.detach(pc, name, arn)

    def sync_boundary(
        self, pc: ProviderContext, name: str, props: Properties, old: Properties
    ) -> None:
        """Set, change or remove the permissions boundary."""
        boundary = props.get("PermissionsBoundary")
        if boundary == old.get("PermissionsBoundary"):
            return
        if boundary:
            request = {self.param: name, "PermissionsBoundary": boundary}
            pc.call("iam", f"Put{self.kind}PermissionsBoundary", request)
        else:
            _unless_gone(pc, f"Delete{self.kind}PermissionsBoundary", {self.param: name})

    def sync_tags(self, pc: ProviderContext, name: str, props: Properties) -> None:
        """Make the tags the stack's and the template's, against what the principal has."""
        wanted = {t["Key"]: t["Value"] for t in pc.resource_tags(props)}
        params = {self.param: name}
        has = {t["Key"]: t["Value"] for t in _listed(pc, f"List{self.kind}Tags", params, "Tags")}
        changed = [{"Key": k, "Value": v} for k, v in wanted.items() if has.get(k) != v]
        if changed:
            pc.call("iam", f"Tag{self.kind}", {**params, "Tags": changed})
        removed = [key for key in has if key not in wanted]
        if removed:
            pc.call("iam", f"Untag{self.kind}", {**params, "TagKeys": removed})

    def strip(self, pc: ProviderContext, name: str) -> None:
        """Detach every managed policy and delete every inline one, before a delete."""
        params = {self.param: name}
        for attached in _listed(pc, f"ListAttached{self.kind}Policies", params, "AttachedPolicies"):
            self.detach(pc, name, attached["PolicyArn"])
        for policy in _listed(pc, f"List{self.kind}Policies", params, "PolicyNames"):
            self.delete(pc, name, policy)


ROLE, USER, GROUP = Owner("Role"), Owner("User"), Owner("Group")


def _tagged(pc: ProviderContext, request: dict[str, Any], props: Properties) -> dict[str, Any]:
    tags = pc.resource_tags(props)
    return {**request, "Tags": tags} if tags else request


def _optional(props: Properties, *keys: str) -> dict[str, Any]:
    return {key: props[key] for key in keys if props.get(key) not in (None, "")}


class Role(BaseResource):
    """A role; `Ref` is its name, `Arn` and `RoleId` come from IAM."""

    type_name = "AWS::IAM::Role"
    spec = ResourceSpec(
        properties=frozenset(
            {
                "AssumeRolePolicyDocument",
                "Description",
                "ManagedPolicyArns",
                "MaxSessionDuration",
                "Path",
                "PermissionsBoundary",
                "Policies",
                "RoleName",
                "Tags",
            }
        ),
        required=frozenset({"AssumeRolePolicyDocument"}),
        create_only=frozenset({"Path", "RoleName"}),
        attributes=frozenset({"Arn", "RoleId"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        name = str(props.get("RoleName") or pc.physical_name(64))
        request: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": policy_json(props["AssumeRolePolicyDocument"]),
            **_optional(props, "Path", "Description", "PermissionsBoundary"),
        }
        if props.get("MaxSessionDuration") is not None:
            request["MaxSessionDuration"] = int(props["MaxSessionDuration"])
        pc.call("iam", "CreateRole", _tagged(pc, request, props), creates=lambda _: name)
        return name

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is not None:
            trust = props["AssumeRolePolicyDocument"]
            if not same_document(trust, old["AssumeRolePolicyDocument"]):
                request = {"RoleName": physical_id, "PolicyDocument": policy_json(trust)}
                pc.call("iam", "UpdateAssumeRolePolicy", request)
            settings = ("Description", "MaxSessionDuration")
            if any(props.get(key) != old.get(key) for key in settings):
                pc.call(
                    "iam",
                    "UpdateRole",
                    {
                        "RoleName": physical_id,
                        "Description": str(props.get("Description") or ""),
                        "MaxSessionDuration": int(props.get("MaxSessionDuration") or 3600),
                    },
                )
            ROLE.sync_boundary(pc, physical_id, props, old)
            ROLE.sync_tags(pc, physical_id, props)
        ROLE.sync_policies(pc, physical_id, props, old)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        role = pc.call("iam", "GetRole", {"RoleName": physical_id})["Role"]
        return {"Ref": physical_id, "Arn": role["Arn"], "RoleId": role["RoleId"]}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        try:
            ROLE.strip(pc, physical_id)
            pc.call("iam", "DeleteRole", {"RoleName": physical_id})
        except ServiceError as error:
            if not gone(error):
                raise


class User(BaseResource):
    """A user; `Ref` is its name. Airlock has no login profiles, so LoginProfile is refused."""

    type_name = "AWS::IAM::User"
    spec = ResourceSpec(
        properties=frozenset(
            {
                "Groups",
                "LoginProfile",
                "ManagedPolicyArns",
                "Path",
                "PermissionsBoundary",
                "Policies",
                "Tags",
                "UserName",
            }
        ),
        create_only=frozenset({"UserName"}),
        attributes=frozenset({"Arn"}),
    )

    def _supported(self, props: Properties, old: Properties | None) -> None:
        if props.get("LoginProfile"):
            raise ResourceFailed(
                "Airlock does not support LoginProfile on AWS::IAM::User yet "
                "(IAM users have no console passwords in Airlock)"
            )
        if old is not None and (props.get("Path") or "/") != (old.get("Path") or "/"):
            raise ResourceFailed("Airlock does not support changing Path on AWS::IAM::User yet")

    def create(self, pc: ProviderContext, props: Properties) -> str:
        self._supported(props, None)
        name = str(props.get("UserName") or pc.physical_name(64))
        request = {"UserName": name, **_optional(props, "Path", "PermissionsBoundary")}
        pc.call("iam", "CreateUser", _tagged(pc, request, props), creates=lambda _: name)
        return name

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        self._supported(props, old)
        groups, old_groups = _names(props, "Groups"), _names(old, "Groups")
        for group in groups:
            if group not in old_groups:
                request = {"GroupName": group, "UserName": physical_id}
                pc.call("iam", "AddUserToGroup", request)
        if old is not None:
            USER.sync_boundary(pc, physical_id, props, old)
            USER.sync_tags(pc, physical_id, props)
        USER.sync_policies(pc, physical_id, props, old)
        for group in old_groups:
            if group not in groups:
                request = {"GroupName": group, "UserName": physical_id}
                _unless_gone(pc, "RemoveUserFromGroup", request)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        user = pc.call("iam", "GetUser", {"UserName": physical_id})["User"]
        return {"Ref": physical_id, "Arn": user["Arn"]}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        params = {"UserName": physical_id}
        try:
            for group in _listed(pc, "ListGroupsForUser", params, "Groups"):
                _unless_gone(pc, "RemoveUserFromGroup", {**params, "GroupName": group["GroupName"]})
            USER.strip(pc, physical_id)
            for key in _listed(pc, "ListAccessKeys", params, "AccessKeyMetadata"):
                _unless_gone(pc, "DeleteAccessKey", {**params, "AccessKeyId": key["AccessKeyId"]})
            pc.call("iam", "DeleteUser", params)
        except ServiceError as error:
            if not gone(error):
                raise


def _targets(props: Properties | None) -> list[tuple[Owner, str]]:
    """The principals an inline policy is embedded in."""
    return [
        (owner, name)
        for owner, key in ((ROLE, "Roles"), (USER, "Users"), (GROUP, "Groups"))
        for name in _names(props, key)
    ]


class Policy(BaseResource):
    """An inline policy embedded in roles, users and groups, known by a generated id.

    As in CloudFormation, the id is `<stack>-<LogicalId>-<suffix>` in 25 characters,
    about five of the stack's name and five of the logical id (`teams-Share-1ABC…`);
    `Ref` returns it.
    """

    type_name = "AWS::IAM::Policy"
    spec = ResourceSpec(
        properties=frozenset({"Groups", "PolicyDocument", "PolicyName", "Roles", "Users"}),
        required=frozenset({"PolicyDocument", "PolicyName"}),
        attributes=frozenset({"Id"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        targets = _targets(props)
        if not targets:
            raise ResourceFailed(
                "At least one of [Groups, Roles, Users] must be specified for AWS::IAM::Policy"
            )
        policy_id = pc.physical_name(25)
        owner, name = targets[0]
        owner.put(
            pc, name, props["PolicyName"], props["PolicyDocument"], creates=lambda _: policy_id
        )
        return policy_id

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        targets = _targets(props)
        # After create the first principal already has it; on update every one gets it.
        for owner, name in targets[1:] if old is None else targets:
            owner.put(pc, name, props["PolicyName"], props["PolicyDocument"])
        if old is None:
            return
        for owner, name in _targets(old):
            if (owner, name) not in targets or old["PolicyName"] != props["PolicyName"]:
                owner.delete(pc, name, old["PolicyName"])

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        return {"Ref": physical_id, "Id": physical_id}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        for owner, name in _targets(props):
            owner.delete(pc, name, props["PolicyName"])


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


class ManagedPolicy(BaseResource):
    """A customer managed policy; `Ref` is its ARN.

    A changed document becomes a new default version; when the policy already has
    the five versions IAM allows, the oldest one that is not the default goes first.
    """

    type_name = "AWS::IAM::ManagedPolicy"
    spec = ResourceSpec(
        properties=frozenset(
            {
                "Description",
                "Groups",
                "ManagedPolicyName",
                "Path",
                "PolicyDocument",
                "Roles",
                "Users",
            }
        ),
        required=frozenset({"PolicyDocument"}),
        create_only=frozenset({"Description", "ManagedPolicyName", "Path"}),
        attributes=frozenset(
            {
                "AttachmentCount",
                "CreateDate",
                "DefaultVersionId",
                "IsAttachable",
                "PermissionsBoundaryUsageCount",
                "PolicyArn",
                "PolicyId",
                "UpdateDate",
            }
        ),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        request = {
            "PolicyName": str(props.get("ManagedPolicyName") or pc.physical_name(128)),
            "PolicyDocument": policy_json(props["PolicyDocument"]),
            **_optional(props, "Path", "Description"),
        }
        output = pc.call("iam", "CreatePolicy", request, creates=lambda out: out["Policy"]["Arn"])
        return str(output["Policy"]["Arn"])

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is not None and not same_document(props["PolicyDocument"], old["PolicyDocument"]):
            self._new_version(pc, physical_id, props["PolicyDocument"])
        attached, targets = set(_targets(old)), _targets(props)
        for owner, name in targets:
            if (owner, name) not in attached:
                owner.attach(pc, name, physical_id)
        for owner, name in attached - set(targets):
            owner.detach(pc, name, physical_id)

    def _new_version(self, pc: ProviderContext, arn: str, document: Any) -> None:
        policy = pc.call("iam", "GetPolicy", {"PolicyArn": arn})["Policy"]
        request = {"PolicyArn": arn, "VersionId": policy["DefaultVersionId"]}
        current = pc.call("iam", "GetPolicyVersion", request)["PolicyVersion"]
        if same_document(unquote(current["Document"]), document):
            return  # a retried update that got this far already
        versions = _listed(pc, "ListPolicyVersions", {"PolicyArn": arn}, "Versions")
        if len(versions) >= 5:
            oldest = [v for v in versions if not v["IsDefaultVersion"]][-1]
            request = {"PolicyArn": arn, "VersionId": oldest["VersionId"]}
            pc.call("iam", "DeletePolicyVersion", request)
        request = {"PolicyArn": arn, "PolicyDocument": policy_json(document), "SetAsDefault": True}
        pc.call("iam", "CreatePolicyVersion", request)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        policy = pc.call("iam", "GetPolicy", {"PolicyArn": physical_id})["Policy"]
        return {
            "Ref": physical_id,
            "PolicyArn": policy["Arn"],
            "PolicyId": policy["PolicyId"],
            "AttachmentCount": policy["AttachmentCount"],
            "DefaultVersionId": policy["DefaultVersionId"],
            "IsAttachable": policy["IsAttachable"],
            "PermissionsBoundaryUsageCount": policy["PermissionsBoundaryUsageCount"],
            "CreateDate": _date(policy["CreateDate"]),
            "UpdateDate": _date(policy["UpdateDate"]),
        }

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        params = {"PolicyArn": physical_id}
        try:
            for page in _pages(pc, "ListEntitiesForPolicy", params):
                for owner in (ROLE, USER, GROUP):
                    for entity in page.get(f"Policy{owner.kind}s") or []:
                        owner.detach(pc, entity[owner.param], physical_id)
            for version in _listed(pc, "ListPolicyVersions", params, "Versions"):
                if not version["IsDefaultVersion"]:
                    request = {**params, "VersionId": version["VersionId"]}
                    _unless_gone(pc, "DeletePolicyVersion", request)
            pc.call("iam", "DeletePolicy", params)
        except ServiceError as error:
            if not gone(error):
                raise


api.resource_type(Role())
api.resource_type(User())
api.resource_type(Policy())
api.resource_type(ManagedPolicy())
