"""A product version's template: read from S3 as the caller, checked, and described.

CreateProduct and CreateProvisioningArtifact read `Info.LoadTemplateFromURL` before
their write transaction (a stage step), through the call path as the caller, so the
caller's S3 permissions decide and the trail records the read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlparse

from airlock.cloudformation.template import (
    ParameterError,
    TemplateError,
    check_template,
    declared_parameters,
    parse_template,
)
from airlock.cloudformation.template.parameters import check_value
from airlock.core.api import Params
from airlock.core.calls import acting_context, call
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError

from .errors import InvalidParameters
from .service import SERVICECATALOG

# Where the stage step leaves what it read, for the operation to take (and drop from
# what the trail records).
FETCHED = "__servicecatalog_template"
MAX_TEMPLATE_BYTES = 1_000_000
# CloudFormation takes a TemplateBody up to this size; a larger one goes by TemplateURL.
MAX_BODY = 51_200


def s3_address(url: str, host: str) -> tuple[str, str]:
    """The bucket and key of an S3 object URL: path style, virtual-host style
    (`https://<bucket>.s3.<region>.amazonaws.com/<key>`), `s3://`, or Airlock's own address."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        bucket, key = parsed.netloc, unquote(parsed.path.lstrip("/"))
    else:
        name = (parsed.hostname or "").lower()
        path = unquote(parsed.path.lstrip("/"))
        virtual = re.fullmatch(r"(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com", name)
        own = [h for h in {host.lower(), "localhost"} if name.endswith("." + h)]
        if virtual:
            bucket, key = virtual.group(1), path
        elif own:
            bucket, key = name[: -len(own[0]) - 1], path
        else:
            plain = re.fullmatch(r"s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com", name)
            if parsed.scheme not in ("http", "https") or not (
                plain or name in {host.lower(), "localhost", "127.0.0.1"}
            ):
                bucket, key = "", ""
            else:
                bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise InvalidParameters(f"Invalid templateUrl: {url}")
    return bucket, key


def _template_url(p: Params) -> str | None:
    artifact = p.get("ProvisioningArtifactParameters") or p.get("Parameters")
    if not isinstance(artifact, dict):
        return None
    info = artifact.get("Info") or {}
    kind = artifact.get("Type") or "CLOUD_FORMATION_TEMPLATE"
    if kind != "CLOUD_FORMATION_TEMPLATE":
        raise InvalidParameters(
            f"Provisioning artifact type {kind} is not supported; use CLOUD_FORMATION_TEMPLATE."
        )
    url = info.get("LoadTemplateFromURL")
    if not url:
        raise InvalidParameters("Info must contain LoadTemplateFromURL.")
    return str(url)


def fetch_template(platform: Any, ctx: RequestContext, p: Params) -> Callable[[], None]:
    """A stage step: the template at `Info.LoadTemplateFromURL`, read as the caller."""
    url = _template_url(p)
    if url is None:
        return lambda: None
    bucket, key = s3_address(url, platform.settings.host)
    acting = acting_context(
        platform, ctx.principal, via=SERVICECATALOG, service="servicecatalog", region=ctx.region
    )
    try:
        out = call(platform, acting, "s3", "GetObject", {"Bucket": bucket, "Key": key})
    except ServiceError as error:
        raise InvalidParameters(
            f"Unable to retrieve the template from {url}: {error.code}: {error.message}"
        ) from error
    body = out["Body"]
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in body:
            size += len(chunk)
            if size > MAX_TEMPLATE_BYTES:
                raise InvalidParameters(f"The template at {url} is larger than 1 MB.")
            chunks.append(chunk)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    text = b"".join(chunks).decode("utf-8", errors="replace")
    if not (p.get("ProvisioningArtifactParameters") or p.get("Parameters") or {}).get(
        "DisableTemplateValidation"
    ):
        parsed_template(text)
    p[FETCHED] = {"url": url, "body": text}
    return lambda: None


def parsed_template(body: str) -> dict[str, Any]:
    """The template as a mapping; InvalidParametersException for one CloudFormation refuses."""
    try:
        template = parse_template(body)
        check_template(template)
        declared_parameters(template)
    except TemplateError as error:
        raise InvalidParameters(
            f"Invalid templateBody. Please make sure that your template is valid. {error}"
        ) from error
    return template


def parameters_out(body: str) -> list[dict[str, Any]]:
    """The template's Parameters as `ProvisioningArtifactParameter`s."""
    out = []
    for decl in declared_parameters(parse_template(body)):
        constraints: dict[str, Any] = {}
        if decl.allowed_values is not None:
            constraints["AllowedValues"] = list(decl.allowed_values)
        if decl.allowed_pattern is not None:
            constraints["AllowedPattern"] = decl.allowed_pattern
        if decl.constraint_description is not None:
            constraints["ConstraintDescription"] = decl.constraint_description
        for member, value in (
            ("MinLength", decl.min_length),
            ("MaxLength", decl.max_length),
            ("MinValue", decl.min_value),
            ("MaxValue", decl.max_value),
        ):
            if value is not None:
                constraints[member] = _number(value)
        entry: dict[str, Any] = {
            "ParameterKey": decl.name,
            "ParameterType": decl.type,
            "IsNoEcho": decl.no_echo,
            "ParameterConstraints": constraints,
        }
        if decl.default is not None:
            entry["DefaultValue"] = decl.default
        if decl.description is not None:
            entry["Description"] = decl.description
        out.append(entry)
    return out


def outputs_out(body: str) -> list[dict[str, str]]:
    """The template's Outputs as `ProvisioningArtifactOutput`s."""
    outputs = parse_template(body).get("Outputs") or {}
    out = []
    for key, value in outputs.items():
        entry = {"Key": str(key)}
        if isinstance(value, dict) and isinstance(value.get("Description"), str):
            entry["Description"] = value["Description"]
        out.append(entry)
    return out


def check_parameters(
    body: str, given: list[dict[str, Any]], previous: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """ProvisioningParameters checked against the template: every key declared, every
    parameter without a default given. `previous` supplies UsePreviousValue."""
    declared = {decl.name: decl for decl in declared_parameters(parse_template(body))}
    values: dict[str, str] = {}
    for item in given:
        key = item.get("Key")
        if not key:
            raise InvalidParameters("ProvisioningParameters Key must not be empty.")
        if key not in declared:
            raise InvalidParameters(f"Parameter {key} is not defined in the template.")
        if item.get("UsePreviousValue"):
            if previous is None or key not in previous:
                raise InvalidParameters(f"Parameter {key} has no previous value.")
            values[key] = previous[key]
        else:
            values[key] = str(item.get("Value") or "")
    if previous is not None:
        for key, value in previous.items():
            if key in declared and key not in values and declared[key].default is None:
                values[key] = value
    for key, value in values.items():
        try:
            check_value(declared[key], value)
        except ParameterError as error:
            raise InvalidParameters(str(error)) from error
    missing = [
        name for name, decl in declared.items() if decl.default is None and name not in values
    ]
    if missing:
        raise InvalidParameters(f"Parameters: [{', '.join(missing)}] must have values")
    return [{"Key": k, "Value": v} for k, v in values.items()]


def _number(value: float | int) -> str:
    return str(int(value)) if float(value) == int(value) else str(value)
