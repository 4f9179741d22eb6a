"""The CreateStack / UpdateStack / CreateChangeSet request a CloudFormation action makes,
from its configuration and input artifacts."""

from __future__ import annotations

import json
from typing import Any

from airlock.core.api import Params
from airlock.core.calls import call
from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import ActionJob

from .artifacts import (
    ConfigurationError,
    artifact_url,
    comma_list,
    file_at,
    json_file,
    parameter_overrides,
    split_path,
)
from .common import key

# CloudFormation's limit on TemplateBody; a larger template goes by TemplateURL.
BODY_LIMIT = 51_200


def template_params(platform: Any, job: ActionJob) -> Params:
    """TemplateBody, or TemplateURL of the template staged next to its artifact if large."""
    path = job.configuration.get("TemplatePath") or ""
    if not path:
        raise ConfigurationError("Action configuration is missing the required key TemplatePath")
    body = file_at(job, path, "TemplatePath")
    if len(body.encode("utf-8")) <= BODY_LIMIT:
        return {"TemplateBody": body}
    # Too large to pass inline: the template goes next to its artifact, written as the
    # action's role, and CloudFormation reads it from there with the same role.
    artifact, _ = split_path(path, "TemplatePath")
    location = next(i for i in job.inputs if i.name == artifact)
    bucket, staged = location.bucket, f"{location.key}-{key(job, 'template')}"
    try:
        call(
            platform,
            job.ctx,
            "s3",
            "PutObject",
            {"Bucket": bucket, "Key": staged, "Body": body.encode("utf-8")},
        )
    except ServiceError as error:
        raise ConfigurationError(
            f"The template is larger than {BODY_LIMIT} bytes and could not be staged in "
            f"s3://{bucket}/{staged}: {error.code}: {error.message}"
        ) from error
    return {"TemplateURL": artifact_url(platform.settings.endpoint_url, bucket, staged)}


def _configuration_file(job: ActionJob) -> dict[str, Any]:
    path = job.configuration.get("TemplateConfiguration")
    if not path:
        return {}
    document = json_file(job, path, "TemplateConfiguration")
    if not isinstance(document, dict):
        raise ConfigurationError(f"TemplateConfiguration {path} must be a JSON object")
    for member in ("Parameters", "Tags", "StackPolicy"):
        if member in document and not isinstance(document[member], dict):
            raise ConfigurationError(
                f"TemplateConfiguration {path}: {member} must be a JSON object"
            )
    return document


def stack_request(platform: Any, job: ActionJob) -> Params:
    """StackName, the template, Parameters, Tags, StackPolicyBody, Capabilities, RoleARN."""
    config = job.configuration
    request: Params = {"StackName": config["StackName"], **template_params(platform, job)}
    template_configuration = _configuration_file(job)
    parameters = {
        str(k): v if isinstance(v, str) else json.dumps(v)
        for k, v in (template_configuration.get("Parameters") or {}).items()
    }
    if config.get("ParameterOverrides"):
        # Overrides win over the template configuration file, as in CodePipeline.
        parameters.update(
            parameter_overrides(job, platform.settings.endpoint_url, config["ParameterOverrides"])
        )
    if parameters:
        request["Parameters"] = [
            {"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()
        ]
    tags = template_configuration.get("Tags") or {}
    if tags:
        request["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]
    if template_configuration.get("StackPolicy"):
        request["StackPolicyBody"] = json.dumps(template_configuration["StackPolicy"])
    capabilities = comma_list(config.get("Capabilities"))
    if capabilities:
        request["Capabilities"] = capabilities
    if config.get("RoleArn"):
        request["RoleARN"] = config["RoleArn"]
    return request
