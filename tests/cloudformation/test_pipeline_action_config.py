"""The pure parts of the CloudFormation action types: configuration parsing, planning
of missing instances, idempotency keys and CreatePipeline's checks."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from typing import cast

import pytest

from airlock.cloudformation.pipeline_actions import StackInstancesAction, StackSetAction
from airlock.cloudformation.pipeline_actions.artifacts import (
    ConfigurationError,
    parameter_overrides,
    split_path,
)
from airlock.cloudformation.pipeline_actions.common import key
from airlock.cloudformation.pipeline_actions.set_config import (
    missing_groups,
    parameters,
    preferences,
    targets,
)
from airlock.core.context import RequestContext
from airlock.core.pipeline_actions import ActionJob, ArtifactLocation


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def job(configuration: dict[str, str], files: dict[str, str] | None = None) -> ActionJob:
    """A job with one input artifact `Source` holding `files`."""
    # The pure parts never call: no principal is needed.
    ctx = cast(RequestContext, None)
    data = zipped(files or {})
    return ActionJob(
        job_id="job-1",
        pipeline_name="p",
        pipeline_execution_id="e",
        stage_name="s",
        action_name="a",
        account_id="111122223333",
        region="us-east-1",
        configuration=configuration,
        inputs=(ArtifactLocation("Source", "bucket", "p/Source/abc"),),
        outputs=(),
        ctx=ctx,
        state={},
        source_revision=None,
        read_artifact=lambda name: data,
        write_artifact=lambda name, data: None,
    )


def test_keys_are_stable_per_job_and_fit_cloudformation() -> None:
    one = job({})
    assert key(one, "Create") == key(one, "Create")
    assert key(one, "Create") != key(replace(one, job_id="job-2"), "Create")
    assert key(one, "Create").startswith("Create-") and len(key(one, "Create")) < 128


def test_artifact_paths_and_overrides() -> None:
    assert split_path("Source::dir/t.yml", "TemplatePath") == ("Source", "dir/t.yml")
    with pytest.raises(ConfigurationError) as caught:
        split_path("t.yml", "TemplatePath")
    assert str(caught.value) == (
        "TemplatePath 't.yml' is not valid: use the form ArtifactName::path/to/file"
    )
    found = parameter_overrides(
        job({}, {"c.json": '{"n": 3, "s": "x"}'}),
        "http://127.0.0.1:1",
        '{"A": "plain", "B": {"Fn::GetParam": ["Source", "c.json", "n"]},'
        ' "C": {"Fn::GetArtifactAtt": ["Source", "URL"]}}',
    )
    assert found == {"A": "plain", "B": "3", "C": "http://127.0.0.1:1/bucket/p/Source/abc"}
    with pytest.raises(ConfigurationError) as caught:
        parameter_overrides(job({}), "", '{"A": {"Fn::GetArtifactAtt": ["Other", "URL"]}}')
    assert str(caught.value) == "The input artifact Other is not an input artifact of this action"


def test_stack_set_parameters_shorthand_and_file() -> None:
    given = job(
        {"Parameters": "ParameterKey=A,ParameterValue=1 ParameterKey=B,UsePreviousValue=true"}
    )
    assert parameters(given, "Parameters") == [
        {"ParameterKey": "A", "ParameterValue": "1"},
        {"ParameterKey": "B", "UsePreviousValue": True},
    ]
    from_file = job(
        {"Parameters": "Source::p.json"},
        {"p.json": '[{"ParameterKey": "A", "ParameterValue": "2"}]'},
    )
    assert parameters(from_file, "Parameters") == [{"ParameterKey": "A", "ParameterValue": "2"}]
    with pytest.raises(ConfigurationError) as caught:
        parameters(job({"Parameters": "A=1"}), "Parameters")
    assert str(caught.value) == (
        "Parameters 'A=1' is not valid: use ParameterKey=key,ParameterValue=value"
    )


def test_targets_preferences_and_missing_instances() -> None:
    assert targets(job({"DeploymentTargets": "ou-a, ou-b,ou-a"})) == ["ou-a", "ou-b"]
    assert targets(job({"DeploymentTargets": "Source::t.json"}, {"t.json": '["1", "2"]'})) == [
        "1",
        "2",
    ]
    assert preferences(job({"MaxConcurrentCount": "2", "FailureTolerancePercentage": "10"})) == {
        "FailureTolerancePercentage": 10,
        "MaxConcurrentCount": 2,
    }
    with pytest.raises(ConfigurationError) as caught:
        preferences(job({"MaxConcurrentCount": "2", "MaxConcurrentPercentage": "10"}))
    assert (
        str(caught.value)
        == "Specify either MaxConcurrentPercentage or MaxConcurrentCount, not both"
    )
    have = [
        {"Account": "1", "Region": "us-east-1", "OrganizationalUnitId": "ou-a"},
        {"Account": "2", "Region": "us-east-1", "OrganizationalUnitId": "ou-b"},
    ]
    assert missing_groups("SELF_MANAGED", ["1", "2", "3"], ["us-east-1", "eu-west-1"], have) == [
        (["1", "2"], ["eu-west-1"]),
        (["3"], ["us-east-1", "eu-west-1"]),
    ]
    assert missing_groups("SERVICE_MANAGED", ["ou-a", "ou-c"], ["us-east-1"], have) == [
        (["ou-c"], ["us-east-1"])
    ]


def test_stack_set_checks() -> None:
    check = StackSetAction().check
    base = {"StackSetName": "s", "TemplatePath": "A::t", "DeploymentTargets": "1", "Regions": "r"}
    assert check(base) is None
    assert check({**base, "PermissionModel": "MANAGED"}) == (
        "PermissionModel MANAGED is not valid: use SELF_MANAGED or SERVICE_MANAGED"
    )
    assert check({**base, "OrganizationsAutoDeployment": "Enabled"}) == (
        "OrganizationsAutoDeployment is only valid with PermissionModel SERVICE_MANAGED"
    )
    assert check({**base, "Regions": ""}) == (
        "Action configuration is missing the required key Regions"
    )
    assert StackInstancesAction().check({"StackSetName": "s", "Regions": "r"}) == (
        "Action configuration is missing the required key DeploymentTargets"
    )
