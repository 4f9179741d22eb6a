"""Reading what a CloudFormation action's configuration points at in its input artifacts.

`TemplatePath`, `TemplateConfiguration`, a stack set's `Parameters` or
`DeploymentTargets` file: each is `ArtifactName::path/in/zip`, a file of an input
artifact's zip. `ParameterOverrides` may use `Fn::GetParam` (a key of a JSON file in an
artifact) and `Fn::GetArtifactAtt` (where an artifact is), as CodePipeline resolves them.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from airlock.core.pipeline_actions import ActionJob


class ConfigurationError(Exception):
    """The action's configuration names something that is not there, or is malformed."""


def split_path(value: str, what: str) -> tuple[str, str]:
    """`ArtifactName::path` as (artifact, path)."""
    artifact, sep, path = value.partition("::")
    if not sep or not artifact or not path:
        raise ConfigurationError(
            f"{what} '{value}' is not valid: use the form ArtifactName::path/to/file"
        )
    return artifact, path


def artifact_file(job: ActionJob, artifact: str, path: str) -> bytes:
    """One file of an input artifact's zip."""
    if artifact not in {location.name for location in job.inputs}:
        raise ConfigurationError(
            f"The input artifact {artifact} is not an input artifact of this action"
        )
    data = job.read_artifact(artifact)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read(path)
    except KeyError:
        raise ConfigurationError(f"File {path} does not exist in artifact [{artifact}]") from None
    except zipfile.BadZipFile:
        raise ConfigurationError(f"Artifact [{artifact}] is not a zip file") from None


def file_at(job: ActionJob, value: str, what: str) -> str:
    """The text of the file `ArtifactName::path` names."""
    artifact, path = split_path(value, what)
    return artifact_file(job, artifact, path).decode("utf-8")


def json_file(job: ActionJob, value: str, what: str) -> Any:
    """The JSON document of the file `ArtifactName::path` names."""
    artifact, path = split_path(value, what)
    return json_of(artifact_file(job, artifact, path), f"{what} {value}")


def json_of(data: bytes | str, what: str) -> Any:
    """A JSON document, or ConfigurationError naming where it came from."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{what} is not valid JSON: {error}") from None


def artifact_url(endpoint: str, bucket: str, key: str) -> str:
    """An artifact's object URL (path style, on this server's address)."""
    return f"{endpoint.rstrip('/')}/{bucket}/{key}"


def resolve_value(job: ActionJob, endpoint: str, value: Any, where: str) -> str:
    """One ParameterOverrides value: a string, `Fn::GetParam` or `Fn::GetArtifactAtt`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, dict) and len(value) == 1:
        [(name, args)] = value.items()
        if name == "Fn::GetParam":
            return _get_param(job, args, where)
        if name == "Fn::GetArtifactAtt":
            return _get_artifact_att(job, endpoint, args, where)
    raise ConfigurationError(
        f"ParameterOverrides: the value of {where} must be a string, Fn::GetParam or "
        "Fn::GetArtifactAtt"
    )


def _get_param(job: ActionJob, args: Any, where: str) -> str:
    if not (isinstance(args, list) and len(args) == 3 and all(isinstance(a, str) for a in args)):
        raise ConfigurationError(
            f"ParameterOverrides: Fn::GetParam of {where} takes [artifact, file, key]"
        )
    artifact, path, key = args
    document = json_of(artifact_file(job, artifact, path), f"File {path} of artifact {artifact}")
    if not isinstance(document, dict) or key not in document:
        raise ConfigurationError(
            f"ParameterOverrides: key {key} does not exist in file {path} of artifact {artifact}"
        )
    found = document[key]
    return found if isinstance(found, str) else json.dumps(found)


def _get_artifact_att(job: ActionJob, endpoint: str, args: Any, where: str) -> str:
    if not (isinstance(args, list) and len(args) == 2 and all(isinstance(a, str) for a in args)):
        raise ConfigurationError(
            f"ParameterOverrides: Fn::GetArtifactAtt of {where} takes [artifact, attribute]"
        )
    artifact, attribute = args
    location = next((i for i in job.inputs if i.name == artifact), None)
    if location is None:
        raise ConfigurationError(
            f"The input artifact {artifact} is not an input artifact of this action"
        )
    if attribute == "BucketName":
        return location.bucket
    if attribute == "ObjectKey":
        return location.key
    if attribute == "URL":
        return artifact_url(endpoint, location.bucket, location.key)
    raise ConfigurationError(
        f"ParameterOverrides: Fn::GetArtifactAtt attribute {attribute} is not one of "
        "BucketName, ObjectKey, URL"
    )


def parameter_overrides(job: ActionJob, endpoint: str, text: str) -> dict[str, str]:
    """ParameterOverrides (a JSON object) with its functions resolved."""
    document = json_of(text, "ParameterOverrides")
    if not isinstance(document, dict):
        raise ConfigurationError("ParameterOverrides must be a JSON object")
    return {str(k): resolve_value(job, endpoint, v, str(k)) for k, v in document.items()}


def comma_list(value: str | None) -> list[str]:
    """A comma-separated configuration value as a list (blanks dropped)."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]
