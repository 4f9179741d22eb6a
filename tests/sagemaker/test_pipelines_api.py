"""Pipelines through boto3: definitions checked at CreatePipeline, then kept and listed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sagemaker.test_pipeline_definition import CHECK, ROUNDS, TRAIN, definition
from tests.support import LiveServer

ROLE = "arn:aws:iam::{}:role/Pipelines"


def test_pipeline_lifecycle(server: LiveServer) -> None:
    sm, s3 = server.client("sagemaker"), server.client("s3")
    account = server.first_account_id()
    role = ROLE.format(account)
    body = definition([TRAIN, CHECK], ROUNDS)
    arn = sm.create_pipeline(
        PipelineName="iris-train",
        PipelineDefinition=body,
        RoleArn=role,
        PipelineDescription="train and register",
        ClientRequestToken="token-0001-abcdefghijklmnopqrstuvwxyz",
    )["PipelineArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:{account}:pipeline/iris-train"
    again = sm.create_pipeline(
        PipelineName="iris-train",
        PipelineDefinition=body,
        RoleArn=role,
        ClientRequestToken="token-0001-abcdefghijklmnopqrstuvwxyz",
    )
    assert again["PipelineArn"] == arn
    described = sm.describe_pipeline(PipelineName="iris-train")
    assert json.loads(described["PipelineDefinition"]) == json.loads(body)
    assert (described["PipelineStatus"], described["PipelineDescription"]) == (
        "Active",
        "train and register",
    )
    s3.create_bucket(Bucket="definitions")
    s3.put_object(Bucket="definitions", Key="p.json", Body=body.encode())
    from_s3 = sm.create_pipeline(
        PipelineName="from-s3",
        PipelineDefinitionS3Location={"Bucket": "definitions", "ObjectKey": "p.json"},
        RoleArn=role,
        Tags=[{"Key": "team", "Value": "ds"}],
    )["PipelineArn"]
    assert sm.list_tags(ResourceArn=from_s3)["Tags"] == [{"Key": "team", "Value": "ds"}]
    names = [p["PipelineName"] for p in sm.list_pipelines(SortBy="Name")["PipelineSummaries"]]
    assert names == ["from-s3", "iris-train"]
    updated = sm.update_pipeline(PipelineName="iris-train", PipelineDisplayName="Iris")
    assert updated["PipelineVersionId"] == 2
    assert sm.describe_pipeline(PipelineName="iris-train")["PipelineDisplayName"] == "Iris"
    sm.delete_pipeline(
        PipelineName="from-s3", ClientRequestToken="token-0002-abcdefghijklmnopqrstuvwxyz"
    )
    with pytest.raises(ClientError) as caught:
        sm.describe_pipeline(PipelineName="from-s3")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"
    # Made again under the name, it does not inherit the deleted one's tags.
    sm.create_pipeline(PipelineName="from-s3", PipelineDefinition=body, RoleArn=role)
    assert sm.list_tags(ResourceArn=from_s3)["Tags"] == []


@pytest.mark.parametrize(
    ("steps", "reason"),
    [
        ([{"Name": "A", "Type": "Lambda"}], "Step A: type Lambda is not supported."),
        ([TRAIN], "refers to parameter Rounds, which is not defined."),
        (
            [
                {"Name": "A", "Type": "Fail", "DependsOn": ["B"]},
                {"Name": "B", "Type": "Fail", "DependsOn": ["A"]},
            ],
            "The pipeline has a cycle among its steps: A -> B -> A.",
        ),
    ],
)
def test_invalid_definitions_are_refused(
    server: LiveServer, steps: list[dict[str, Any]], reason: str
) -> None:
    sm = server.client("sagemaker")
    with pytest.raises(ClientError) as caught:
        sm.create_pipeline(
            PipelineName="bad",
            PipelineDefinition=definition(steps),
            RoleArn=ROLE.format(server.first_account_id()),
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("Invalid pipeline definition: ")
    assert reason in error["Message"]
    assert sm.list_pipelines()["PipelineSummaries"] == []


def test_execution_steps_need_an_execution(server: LiveServer) -> None:
    # Optional in botocore's model, required by SageMaker (the call once failed with a 500).
    sm = server.client("sagemaker")
    with pytest.raises(ClientError) as caught:
        sm.list_pipeline_execution_steps(SortOrder="Ascending")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value null at 'pipelineExecutionArn' failed to satisfy "
        "constraint: Member must not be null"
    )
