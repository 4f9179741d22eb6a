"""CodePipeline's Build/AWS/CodeBuild and Test/AWS/CodeBuild actions: one build of a project.

The build is started and followed through CodeBuild's own operations, as the action's
role: StartBuild with the input artifacts as CODEPIPELINE sources (the primary one as the
source, the others as secondary sources named after their artifacts, so the build finds
them at `CODEBUILD_SRC_DIR_<artifact name>`) and the output artifacts as CODEPIPELINE
artifacts at the job's locations (the first as the primary artifact, the others as
secondary artifacts identified by name), then BatchGetBuilds at every step.

StartBuild carries an idempotencyToken made from the job id, and the first step looks
for the build that token starts before starting one, so a first step repeated after a
crash (even past the token's five minutes) follows the build it started: one build.
A build that the server's death ended FAULT fails the action, and RetryStageExecution
starts a new job, with a new build.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from airlock.core.calls import call
from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import (
    ActionJob,
    ActionOutcome,
    ArtifactLocation,
    ConfigurationProperty,
)

from .operations import api
from .phases import IN_PROGRESS, SUCCEEDED
from .service import idempotent_build_id

log = logging.getLogger("airlock.codebuild")

VARIABLE_TYPES = ("PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER")
_DENIED = ("AccessDenied", "AccessDeniedException")


class ConfigurationProblem(Exception):
    """The action's configuration cannot be used (a ConfigurationError)."""


def environment_variables(text: str | None) -> list[dict[str, str]]:
    """EnvironmentVariables (a JSON list of {name, value, type}) as StartBuild's override."""
    if not text:
        return []
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigurationProblem(
            f"EnvironmentVariables is not valid JSON: {error.msg} at position {error.pos}"
        ) from error
    if not isinstance(items, list):
        raise ConfigurationProblem(
            "EnvironmentVariables must be a JSON list of {name, value, type} objects"
        )
    variables = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigurationProblem(
                f"EnvironmentVariables[{index}] must be an object with a name and a value"
            )
        if not isinstance(item.get("value"), str):
            raise ConfigurationProblem(
                f"EnvironmentVariables[{index}] ({item['name']}) must have a string value"
            )
        kind = item.get("type", "PLAINTEXT")
        if kind not in VARIABLE_TYPES:
            raise ConfigurationProblem(
                f"EnvironmentVariables[{index}] ({item['name']}) has type {kind!r}; use "
                f"{', '.join(VARIABLE_TYPES)}"
            )
        variables.append({"name": item["name"], "value": item["value"], "type": kind})
    return variables


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _check(configuration: Mapping[str, str]) -> None:
    if _is_true(configuration.get("BatchEnabled")):
        raise ConfigurationProblem(
            "BatchEnabled is true, but Airlock's CodeBuild does not run batch builds: set "
            "BatchEnabled to false (and leave CombineArtifacts out)"
        )
    environment_variables(configuration.get("EnvironmentVariables"))


def source_location(artifact: ArtifactLocation) -> str:
    """A CODEPIPELINE source's location: the artifact zip's `<bucket>/<key>`."""
    return f"{artifact.bucket}/{artifact.key}"


def artifact_override(artifact: ArtifactLocation, identifier: str | None = None) -> dict[str, Any]:
    """A CODEPIPELINE artifact uploaded as one zip at exactly the artifact's key."""
    folder, _, name = artifact.key.rpartition("/")
    override: dict[str, Any] = {
        "type": "CODEPIPELINE",
        "location": f"{artifact.bucket}/{folder}" if folder else artifact.bucket,
        "name": name,
        "packaging": "ZIP",
        "namespaceType": "NONE",
    }
    if identifier is not None:
        override["artifactIdentifier"] = identifier
    return override


def start_build_input(job: ActionJob, token: str) -> dict[str, Any]:
    """StartBuild's input for this job: the sources, artifacts and variables overridden."""
    configuration = job.configuration
    if not job.inputs:
        raise ConfigurationProblem("a CodeBuild action needs at least one input artifact")
    primary_name = configuration.get("PrimarySource") or job.inputs[0].name
    primary = next((a for a in job.inputs if a.name == primary_name), None)
    if primary is None:
        names = ", ".join(a.name for a in job.inputs)
        raise ConfigurationProblem(
            f"PrimarySource {primary_name} is not an input artifact of the action ({names})"
        )
    params: dict[str, Any] = {
        "projectName": configuration["ProjectName"],
        "idempotencyToken": token,
        "sourceTypeOverride": "CODEPIPELINE",
        "sourceLocationOverride": source_location(primary),
        "secondarySourcesOverride": [
            {"type": "CODEPIPELINE", "location": source_location(a), "sourceIdentifier": a.name}
            for a in job.inputs
            if a is not primary
        ],
        "artifactsOverride": (
            artifact_override(job.outputs[0]) if job.outputs else {"type": "NO_ARTIFACTS"}
        ),
        "secondaryArtifactsOverride": [artifact_override(a, a.name) for a in job.outputs[1:]],
    }
    variables = environment_variables(configuration.get("EnvironmentVariables"))
    if variables:
        params["environmentVariablesOverride"] = variables
    if configuration.get("BuildspecOverride"):
        params["buildspecOverride"] = configuration["BuildspecOverride"]
    return params


def failure_message(build: Mapping[str, Any]) -> str:
    """Why a build failed, as CodePipeline words it, with where its logs are."""
    status = build["buildStatus"]
    message = f"Build terminated with state: {status}."
    failed = next(
        (p for p in build.get("phases") or [] if p.get("phaseStatus") not in (None, SUCCEEDED)),
        None,
    )
    if failed is not None:
        contexts = failed.get("contexts") or [{}]
        context = contexts[-1]
        message += f" Phase: {failed['phaseType']}"
        if context.get("statusCode"):
            message += f", Code: {context['statusCode']}"
        if context.get("message"):
            message += f", Message: {context['message']}"
        message = message.rstrip(".") + "."
    logs = build.get("logs") or {}
    if logs.get("groupName"):
        message += (
            f" Logs: log group {logs['groupName']}, stream {logs['streamName']}"
            f" ({logs.get('deepLink', '')})"
        )
    return message


def build_outcome(build: Mapping[str, Any]) -> ActionOutcome:
    """What a build (BatchGetBuilds' `Build`) comes to for the action, saved as its state."""
    build_id = str(build["id"])
    common: dict[str, Any] = {
        "state": {"buildId": build_id},
        "external_execution_id": build_id,
        "external_execution_url": (build.get("logs") or {}).get("deepLink"),
    }
    status = build["buildStatus"]
    if status == IN_PROGRESS:
        return ActionOutcome(
            "InProgress", summary=f"Build {build_id} is in {build['currentPhase']}", **common
        )
    if status == SUCCEEDED:
        variables = {
            str(v["name"]): str(v.get("value", ""))
            for v in build.get("exportedEnvironmentVariables") or []
        }
        return ActionOutcome(
            "Succeeded",
            summary=f"Build {build_id} succeeded",
            output_variables=variables,
            **common,
        )
    message = failure_message(build)
    return ActionOutcome(
        "Failed", summary=message, error_code="JobFailed", error_message=message, **common
    )


class CodeBuildAction:
    """A CodeBuild action of one category (Build or Test), version 1."""

    owner = "AWS"
    provider = "CodeBuild"
    version = "1"
    configuration: tuple[ConfigurationProperty, ...] = (
        ConfigurationProperty("ProjectName", required=True),
        ConfigurationProperty("PrimarySource"),
        ConfigurationProperty("BatchEnabled"),
        ConfigurationProperty("CombineArtifacts"),
        ConfigurationProperty("EnvironmentVariables"),
        ConfigurationProperty("BuildspecOverride"),
    )
    input_artifacts: tuple[int, int] = (1, 5)
    output_artifacts: tuple[int, int] = (0, 5)

    def __init__(self, category: str) -> None:
        self.category = category

    def check(self, configuration: Mapping[str, str]) -> str | None:
        """BatchEnabled true, or EnvironmentVariables that are no list of variables."""
        try:
            _check(configuration)
        except ConfigurationProblem as problem:
            return f"Invalid action configuration: {problem}"
        return None

    def step(self, platform: Any, job: ActionJob) -> ActionOutcome:
        """Start the build (or find the one this job started), then follow it."""
        try:
            build_id = job.state.get("buildId")
            if build_id is None:
                _check(job.configuration)
                build: dict[str, Any] | None = self._find(platform, job) or self._start(
                    platform, job
                )
            else:
                build = self._get(platform, job, str(build_id))
        except ConfigurationProblem as problem:
            return ActionOutcome.failed(
                f"Invalid action configuration: {problem}", "ConfigurationError"
            )
        except ServiceError as error:
            return ActionOutcome.failed(self._call_failure(job, error))
        if build is None:
            return ActionOutcome.failed(
                f"The build {build_id} of the action no longer exists in CodeBuild"
            )
        return build_outcome(build)

    def abandon(self, platform: Any, job: ActionJob) -> None:
        """StopBuild on the job's build, if it has one still running."""
        try:
            build_id = job.state.get("buildId")
            build = (
                self._get(platform, job, str(build_id)) if build_id else self._find(platform, job)
            )
            if build is not None and build["buildStatus"] == IN_PROGRESS:
                call(platform, job.ctx, "codebuild", "StopBuild", {"id": build["id"]})
        except ServiceError as error:
            log.warning("could not stop the build of job %s: %s", job.job_id, error.message)

    # -- calls --------------------------------------------------------------------------------

    def _token(self, job: ActionJob) -> str:
        return f"codepipeline-{job.job_id}"

    def _find(self, platform: Any, job: ActionJob) -> dict[str, Any] | None:
        """The build this job's token started, if a step before a crash started one."""
        project = job.configuration["ProjectName"]
        build_id = idempotent_build_id(
            job.ctx.account_id, job.ctx.region, project, self._token(job)
        )
        return self._get(platform, job, build_id)

    def _get(self, platform: Any, job: ActionJob, build_id: str) -> dict[str, Any] | None:
        found = call(platform, job.ctx, "codebuild", "BatchGetBuilds", {"ids": [build_id]})
        builds: list[dict[str, Any]] = found.get("builds") or []
        return builds[0] if builds else None

    def _start(self, platform: Any, job: ActionJob) -> dict[str, Any]:
        params = start_build_input(job, self._token(job))
        build: dict[str, Any] = call(platform, job.ctx, "codebuild", "StartBuild", params)["build"]
        return build

    def _call_failure(self, job: ActionJob, error: ServiceError) -> str:
        project = job.configuration.get("ProjectName", "")
        if error.code in _DENIED:
            return (
                "The service role or action role doesn't have the permissions required to "
                f"start or follow a build of the AWS CodeBuild project {project}. Update the "
                f"IAM role permissions, and then try again. Error: {error.message}"
            )
        return f"CodeBuild refused the build of project {project}: {error.code}: {error.message}"


api.pipeline_action(CodeBuildAction("Build"))
api.pipeline_action(CodeBuildAction("Test"))
