"""What SageMaker's resource types share: typed calls, names, tags and deletes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import BaseResource, Properties, ProviderContext, gone
from airlock.protocol.models import load_service_model


def typed(shape: Any, value: Any) -> Any:
    """`value` with the scalar types `shape` declares, as CloudFormation converts properties.

    Template values arrive as text where a parameter was referenced (`!Ref InstanceCount`
    of a Number parameter is "1", `!Ref EnableCapture` is "true"); numbers given for a
    string (an Environment value of 1) become text.
    """
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: typed(members[k], v) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [typed(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: typed(shape.value, v) for k, v in value.items()}
    if kind == "string" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "string" and isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if kind in ("integer", "long"):
                return int(text)
            if kind in ("float", "double"):
                return float(text)
        except ValueError:
            return value  # the call's own validation names it
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
    return value


def call(
    pc: ProviderContext,
    operation: str,
    params: dict[str, Any],
    *,
    creates: Callable[[dict[str, Any]], str] | None = None,
) -> dict[str, Any]:
    """A SageMaker operation as the stack's principal, its input typed by the API's shape.

    Idempotency tokens the call leaves out are filled in as the SDKs do, but derived from
    the resource and the operation: a create repeated after a crash carries the same
    token, and SageMaker answers with what it made the first time.
    """
    shape = load_service_model("sagemaker").operation_model(operation).input_shape
    present = {k: v for k, v in params.items() if v is not None}
    for member, member_shape in shape.members.items():
        if member_shape.metadata.get("idempotencyToken") and member not in present:
            seed = f"{pc.resource_key}/{operation}"
            present[member] = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
    return pc.call("sagemaker", operation, typed(shape, present), creates=creates)


def members(props: Properties, *names: str) -> dict[str, Any]:
    """The properties among `names` that the template sets (they keep the API's names)."""
    return {name: props[name] for name in names if props.get(name) is not None}


def name_of(pc: ProviderContext, props: Properties, key: str) -> str:
    """The resource's name: the template's, or the one CloudFormation generates for it."""
    return str(props.get(key) or pc.physical_name(63))


def name_in(arn: str) -> str:
    """The name at the end of a SageMaker ARN (`…:endpoint/<name>`, lower case)."""
    return arn.rsplit("/", 1)[-1]


def as_json(document: Any) -> str:
    """A JSON-typed property (an object, or already text) as JSON text."""
    return document if isinstance(document, str) else json.dumps(document)


def sync_tags(pc: ProviderContext, arn: str, props: Properties, old: Properties | None) -> None:
    """After an update, the resource's tags as `props` (and the stack's) now say."""
    if old is None:
        return  # the creating call tagged it
    wanted = {t["Key"]: t["Value"] for t in pc.resource_tags(props)}
    had = {t["Key"]: t["Value"] for t in pc.resource_tags(old)}
    dropped = sorted(set(had) - set(wanted))
    if dropped:
        call(pc, "DeleteTags", {"ResourceArn": arn, "TagKeys": dropped})
    if wanted and wanted != had:
        tags = [{"Key": k, "Value": v} for k, v in wanted.items()]
        call(pc, "AddTags", {"ResourceArn": arn, "Tags": tags})


def missing(error: ServiceError) -> bool:
    """Whether SageMaker says the resource is not there (`Could not find model "…"`)."""
    return gone(error) or error.message.startswith("Could not find")


def delete(pc: ProviderContext, operation: str, params: dict[str, Any]) -> None:
    """A delete that counts a resource already gone as deleted."""
    try:
        call(pc, operation, params)
    except ServiceError as error:
        if not missing(error):
            raise


class NamedResource(BaseResource):
    """A SageMaker resource named `<kind>Name` and made by `Create<kind>`; `Ref` is its ARN.

    Only its tags change in place unless a subclass says otherwise.
    """

    kind: str
    # The properties that go to `Create<kind>` as they are.
    members: tuple[str, ...] = ()

    @property
    def name_key(self) -> str:
        """The member that names the resource (`ModelName`)."""
        return f"{self.kind}Name"

    def create(self, pc: ProviderContext, props: Properties) -> str:
        """`Create<kind>` with the template's (or a generated) name, tags and members."""
        request = {
            self.name_key: name_of(pc, props, self.name_key),
            "Tags": pc.resource_tags(props) or None,
            **members(props, *self.members),
        }
        arn_key = f"{self.kind}Arn"
        answer = call(pc, f"Create{self.kind}", request, creates=lambda out: out[arn_key])
        return str(answer[arn_key])

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        """The tags; the rest of the resource cannot change."""
        sync_tags(pc, physical_id, props, old)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        """The ARN, and the name under `<kind>Name`."""
        return {"Ref": physical_id, self.name_key: name_of(pc, props, self.name_key)}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool | None:
        """`Delete<kind>` by the name in the ARN."""
        delete(pc, f"Delete{self.kind}", {self.name_key: name_in(physical_id)})
        return None
