"""What a model's containers are, checked before a model is recorded.

A container names an image and model data, or a model package of this or another
account. As in SageMaker, using a package in a model is authorized as
`sagemaker:CreateModel` on the package: another account's group policy that grants
that action is enough (describing the package is a grant of its own). The model
data is read with the model's execution role, assumed by sagemaker.amazonaws.com,
so the bucket's owner decides whether this account may deploy it; data that a
package registered must still be the bytes it registered.
"""

from __future__ import annotations

from typing import Any

from airlock.core.api import Resource
from airlock.core.context import RequestContext
from airlock.iam.enforce import authorize
from airlock.s3.access import ObjectAccess, ObjectAccessError, parse_s3_url

from .. import errors
from ..jobs import check_role
from ..operations import artifact_record
from ..registry import Registry
from ..training.images import UnknownImage, check_image


def resolve_containers(
    platform: Any, ctx: RequestContext, request: dict[str, Any], model_arn: str
) -> list[dict[str, Any]]:
    """The containers a CreateModel request runs, or the error SageMaker would answer."""
    if request.get("PrimaryContainer") and request.get("Containers"):
        raise errors.SageMakerValidation(
            "PrimaryContainer and Containers cannot both be specified."
        )
    given = request.get("Containers") or (
        [request["PrimaryContainer"]] if request.get("PrimaryContainer") else []
    )
    if not given:
        raise errors.SageMakerValidation("Either PrimaryContainer or Containers must be specified.")
    role = request.get("ExecutionRoleArn")
    with platform.db.read() as session:
        expanded = _expand(session, platform.clock, ctx, given)
        for container in expanded:
            try:
                check_image(container["Image"], platform.settings.images_file)
            except UnknownImage as error:
                raise errors.SageMakerValidation(str(error)) from error
        reads = [c["ModelDataUrl"] for c in expanded if c.get("ModelDataUrl")]
        if reads and not role:
            raise errors.SageMakerValidation(
                f"ExecutionRoleArn is required: SageMaker reads the model data at {reads[0]} "
                "with it."
            )
        registry = Registry(session, platform.clock)
        principal = check_role(registry, ctx, role, model_arn) if role else None
    if principal is not None:
        access = ObjectAccess.as_principal(platform, principal, "sagemaker.amazonaws.com")
        for container in expanded:
            _check_artifact(access, role, container)
    return expanded


def _expand(
    session: Any, clock: Any, ctx: RequestContext, given: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Containers with model packages replaced by the packages' inference containers."""
    registry = Registry(session, clock)
    expanded: list[dict[str, Any]] = []
    for index, container in enumerate(given):
        environment = dict(container.get("Environment") or {})
        name = container.get("ModelPackageName")
        if not name:
            if not container.get("Image"):
                raise errors.SageMakerValidation(
                    f"Containers[{index}]: Image is required unless ModelPackageName is given."
                )
            expanded.append(
                {
                    "Image": container["Image"],
                    "ModelDataUrl": container.get("ModelDataUrl"),
                    "Environment": environment,
                }
            )
            continue
        package = registry.package(ctx.account_id, ctx.region, name)
        group = registry.group_of(package)
        # Another account's package: its group's policy must grant this one CreateModel.
        authorize(
            session,
            clock,
            ctx,
            "sagemaker:CreateModel",
            [Resource(package.arn, package.account_id, policy=group.policy if group else None)],
            "json",
        )
        registered = {a["ModelDataUrl"]: a for a in package.artifacts}
        inference = package.spec.get("InferenceSpecification") or {}
        for item in inference.get("Containers") or []:
            url = item.get("ModelDataUrl")
            expanded.append(
                {
                    "Image": item["Image"],
                    "ModelDataUrl": url,
                    "Environment": {**(item.get("Environment") or {}), **environment},
                    "ModelPackageName": package.arn,
                    "Registered": registered.get(url) if url else None,
                }
            )
    return expanded


def _check_artifact(access: ObjectAccess, role: str | None, container: dict[str, Any]) -> None:
    url = container.get("ModelDataUrl")
    registered = container.pop("Registered", None)
    if not url:
        return
    try:
        info = access.head(parse_s3_url(url))
    except (ObjectAccessError, ValueError) as error:
        raise errors.SageMakerValidation(
            f"Could not access model data at {url} with the role {role}: {error}"
        ) from error
    if registered and registered.get("Sha256") and registered["Sha256"] != list(info.sha256s):
        raise errors.SageMakerValidation(
            f"The model data at {url} is no longer what model package "
            f"{container['ModelPackageName']} registered (ETag {registered.get('ETag')}, now "
            f"{info.etag}): register the new artifact as a new version."
        )
    container["Artifact"] = artifact_record(info)
