"""The model registry through boto3: groups, versions, approvals, policies, events."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.events.test_delivery import log_messages
from tests.support import LiveServer, wait_for

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def spec(url: str) -> dict[str, Any]:
    return {
        "Containers": [{"Image": IMAGE, "ModelDataUrl": url}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
    }


@pytest.fixture
def sm(server: LiveServer) -> Any:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="ds-artifacts")
    s3.put_object(Bucket="ds-artifacts", Key="iris/model.tar.gz", Body=b"xgboost model bytes")
    return server.client("sagemaker")


ARTIFACT = "s3://ds-artifacts/iris/model.tar.gz"


def test_groups(sm: Any, server: LiveServer) -> None:
    account = server.first_account_id()
    arn = sm.create_model_package_group(
        ModelPackageGroupName="Iris-Models",
        ModelPackageGroupDescription="iris classifiers",
        Tags=[{"Key": "team", "Value": "ds"}],
    )["ModelPackageGroupArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:{account}:model-package-group/iris-models"
    described = sm.describe_model_package_group(ModelPackageGroupName="Iris-Models")
    assert (described["ModelPackageGroupStatus"], described["ModelPackageGroupDescription"]) == (
        "Completed",
        "iris classifiers",
    )
    assert described["CreatedBy"]["IamIdentity"]["Arn"] == f"arn:aws:iam::{account}:root"
    assert sm.describe_model_package_group(ModelPackageGroupName=arn)["ModelPackageGroupName"] == (
        "Iris-Models"
    )
    with pytest.raises(ClientError) as caught:
        sm.create_model_package_group(ModelPackageGroupName="Iris-Models")
    assert error(caught) == ("ValidationException", f"Model Package Group already exists: {arn}")
    with pytest.raises(ClientError) as caught:
        sm.create_model_package_group(ModelPackageGroupName="bad_name!")
    assert error(caught)[0] == "ValidationException"
    assert "satisfy regular expression pattern" in error(caught)[1]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ds"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}])
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
    for name in ("b-group", "a-group"):
        sm.create_model_package_group(ModelPackageGroupName=name)
    names = [
        g["ModelPackageGroupName"]
        for g in sm.list_model_package_groups(SortBy="Name", SortOrder="Descending")[
            "ModelPackageGroupSummaryList"
        ]
    ]
    assert names == ["b-group", "a-group", "Iris-Models"]
    by_time = sm.list_model_package_groups(NameContains="group")["ModelPackageGroupSummaryList"]
    assert [g["ModelPackageGroupName"] for g in by_time] == ["b-group", "a-group"]
    paged = sm.get_paginator("list_model_package_groups").paginate(PaginationConfig={"PageSize": 1})
    assert sum(len(page["ModelPackageGroupSummaryList"]) for page in paged) == 3
    sm.delete_model_package_group(ModelPackageGroupName="a-group")
    with pytest.raises(ClientError) as caught:
        sm.describe_model_package_group(ModelPackageGroupName="a-group")
    assert error(caught)[0] == "ValidationException"
    assert "does not exist" in error(caught)[1]


def test_versions_approvals_and_history(sm: Any, server: LiveServer) -> None:
    account = server.first_account_id()
    sm.create_model_package_group(ModelPackageGroupName="iris")
    first = sm.create_model_package(
        ModelPackageGroupName="iris",
        InferenceSpecification=spec(ARTIFACT),
        MetadataProperties={"GeneratedBy": "arn:aws:sagemaker:us-east-1:1:pipeline/p/execution/x"},
        CustomerMetadataProperties={"dataset": "iris-v1"},
        Domain="MACHINE_LEARNING",
        Task="CLASSIFICATION",
        ClientToken="token-1",
    )["ModelPackageArn"]
    assert first == f"arn:aws:sagemaker:us-east-1:{account}:model-package/iris/1"
    again = sm.create_model_package(
        ModelPackageGroupName="iris", InferenceSpecification=spec(ARTIFACT), ClientToken="token-1"
    )
    assert again["ModelPackageArn"] == first, "the same ClientToken creates nothing new"
    second = sm.create_model_package(
        ModelPackageGroupName="iris", InferenceSpecification=spec(ARTIFACT)
    )["ModelPackageArn"]
    sm.delete_model_package(ModelPackageName=second)
    third = sm.create_model_package(
        ModelPackageGroupName="iris",
        InferenceSpecification=spec(ARTIFACT),
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    assert third.endswith("/iris/3"), "a deleted version's number is never given out again"
    described = sm.describe_model_package(ModelPackageName=first)
    assert (described["ModelPackageVersion"], described["ModelApprovalStatus"]) == (
        1,
        "PendingManualApproval",
    )
    assert described["ModelPackageStatus"] == "Completed"
    assert described["CreatedBy"]["IamIdentity"]["Arn"] == f"arn:aws:iam::{account}:root"
    assert described["CustomerMetadataProperties"] == {"dataset": "iris-v1"}
    assert described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == ARTIFACT

    sm.update_model_package(
        ModelPackageArn=first,
        ModelApprovalStatus="Approved",
        ApprovalDescription="accuracy 0.97 on holdout",
        CustomerMetadataProperties={"reviewer": "ana"},
        CustomerMetadataPropertiesToRemove=["dataset"],
    )
    approved = sm.describe_model_package(ModelPackageName=first)
    assert approved["ModelApprovalStatus"] == "Approved"
    assert approved["ApprovalDescription"] == "accuracy 0.97 on holdout"
    assert approved["CustomerMetadataProperties"] == {"reviewer": "ana"}
    with pytest.raises(ClientError) as caught:
        sm.update_model_package(ModelPackageArn=first, ModelApprovalStatus="PendingManualApproval")
    assert error(caught) == (
        "ValidationException",
        "Model package approval status cannot change from Approved to PendingManualApproval.",
    )
    sm.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Rejected")
    sm.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved")

    listed = sm.list_model_packages(ModelPackageGroupName="iris")["ModelPackageSummaryList"]
    assert [m["ModelPackageVersion"] for m in listed] == [1, 3]
    newest_first = sm.list_model_packages(
        ModelPackageGroupName="iris", SortBy="CreationTime", SortOrder="Descending"
    )["ModelPackageSummaryList"]
    assert [m["ModelPackageVersion"] for m in newest_first] == [3, 1]
    pending = sm.list_model_packages(
        ModelPackageGroupName="iris", ModelApprovalStatus="PendingManualApproval"
    )
    assert pending["ModelPackageSummaryList"] == []
    pages = sm.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName="iris", PaginationConfig={"PageSize": 1}
    )
    assert [m["ModelPackageVersion"] for p in pages for m in p["ModelPackageSummaryList"]] == [1, 3]
    batch = sm.batch_describe_model_package(ModelPackageArnList=[first, second])
    assert list(batch["ModelPackageSummaries"]) == [first]
    assert list(batch["BatchDescribeModelPackageErrorMap"]) == [second]
    with pytest.raises(ClientError) as caught:
        sm.delete_model_package_group(ModelPackageGroupName="iris")
    assert error(caught)[0] == "ConflictException"

    from airlock.sagemaker.models import ApprovalChange

    with server.airlock.platform.db.read() as session:
        changes = session.query(ApprovalChange).order_by(ApprovalChange.id).all()
        trail = [(c.from_status, c.to_status, c.description) for c in changes if c.package_id == 1]
    assert trail == [
        (None, "PendingManualApproval", None),
        ("PendingManualApproval", "Approved", "accuracy 0.97 on holdout"),
        ("Approved", "Rejected", None),
        ("Rejected", "Approved", None),
    ]


def test_artifacts_are_checked_at_registration(sm: Any, server: LiveServer) -> None:
    sm.create_model_package_group(ModelPackageGroupName="checked")
    with pytest.raises(ClientError) as caught:
        sm.create_model_package(
            ModelPackageGroupName="checked",
            InferenceSpecification=spec("s3://ds-artifacts/iris/missing.tar.gz"),
        )
    assert error(caught)[0] == "ValidationException"
    assert error(caught)[1].startswith(
        "Could not access model data at s3://ds-artifacts/iris/missing.tar.gz: NoSuchKey"
    )
    other = server.client("s3", server.create_account("elsewhere"))
    other.create_bucket(Bucket="not-yours")
    other.put_object(Bucket="not-yours", Key="m.tar.gz", Body=b"x")
    with pytest.raises(ClientError) as caught:
        sm.create_model_package(
            ModelPackageGroupName="checked",
            InferenceSpecification=spec("s3://not-yours/m.tar.gz"),
        )
    assert "AccessDenied on s3://not-yours/m.tar.gz" in error(caught)[1]
    assert sm.list_model_packages(ModelPackageGroupName="checked")["ModelPackageSummaryList"] == []


def test_state_change_events(sm: Any, server: LiveServer) -> None:
    account = server.first_account_id()
    logs, events = server.client("logs"), server.client("events")
    logs.create_log_group(logGroupName="/registry")
    events.put_rule(
        Name="approved-models",
        EventPattern=json.dumps(
            {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "detail": {"ModelApprovalStatus": ["Approved"]},
            }
        ),
    )
    events.put_targets(
        Rule="approved-models",
        Targets=[{"Id": "log", "Arn": f"arn:aws:logs:us-east-1:{account}:log-group:/registry"}],
    )
    sm.create_model_package_group(ModelPackageGroupName="iris")
    arn = sm.create_model_package(
        ModelPackageGroupName="iris",
        InferenceSpecification=spec(ARTIFACT),
        MetadataProperties={"GeneratedBy": "pipeline-execution-1"},
    )["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    messages = wait_for(lambda: log_messages(logs, "/registry"), what="the approval event")
    assert len(messages) == 1, "the pending registration does not match the rule"
    event = json.loads(messages[0])
    assert (event["source"], event["detail-type"], event["account"], event["region"]) == (
        "aws.sagemaker",
        "SageMaker Model Package State Change",
        account,
        "us-east-1",
    )
    assert event["resources"] == [arn]
    detail = event["detail"]
    assert (detail["ModelPackageGroupName"], detail["ModelPackageVersion"]) == ("iris", 1)
    assert (detail["ModelPackageArn"], detail["ModelApprovalStatus"]) == (arn, "Approved")
    assert detail["ModelPackageStatus"] == "Completed"
    assert detail["MetadataProperties"] == {"GeneratedBy": "pipeline-execution-1"}
    assert detail["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == ARTIFACT
    assert detail["CreationTime"].endswith("Z")


def test_cross_account_access_needs_the_group_policy(sm: Any, server: LiveServer) -> None:
    sm.create_model_package_group(ModelPackageGroupName="shared")
    arn = sm.create_model_package(
        ModelPackageGroupName="shared", InferenceSpecification=spec(ARTIFACT)
    )["ModelPackageArn"]
    group_arn = sm.describe_model_package_group(ModelPackageGroupName="shared")[
        "ModelPackageGroupArn"
    ]
    staging_id = server.create_account("staging")
    staging = server.client("sagemaker", staging_id)
    with pytest.raises(ClientError) as caught:
        staging.describe_model_package(ModelPackageName=arn)
    assert error(caught)[0] == "AccessDeniedException"
    assert (
        staging.list_model_package_groups(CrossAccountFilterOption="CrossAccount")[
            "ModelPackageGroupSummaryList"
        ]
        == []
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Staging",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{staging_id}:root"},
                "Action": [
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:ListModelPackages",
                ],
                "Resource": [group_arn, group_arn.replace("-group/", "/") + "/*"],
            }
        ],
    }
    sm.put_model_package_group_policy(
        ModelPackageGroupName="shared", ResourcePolicy=json.dumps(policy)
    )
    assert (
        json.loads(
            sm.get_model_package_group_policy(ModelPackageGroupName="shared")["ResourcePolicy"]
        )
        == policy
    )
    assert staging.describe_model_package(ModelPackageName=arn)["ModelPackageVersion"] == 1
    assert (
        staging.describe_model_package_group(ModelPackageGroupName=group_arn)[
            "ModelPackageGroupName"
        ]
        == "shared"
    )
    shared = staging.list_model_package_groups(CrossAccountFilterOption="CrossAccount")
    assert [g["ModelPackageGroupArn"] for g in shared["ModelPackageGroupSummaryList"]] == [
        group_arn
    ]
    listed = staging.list_model_packages(ModelPackageGroupName=group_arn)
    assert [m["ModelPackageArn"] for m in listed["ModelPackageSummaryList"]] == [arn]
    with pytest.raises(ClientError) as caught:
        staging.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert error(caught)[0] == "AccessDeniedException", "approving is not shared"
    sm.delete_model_package_group_policy(ModelPackageGroupName="shared")
    with pytest.raises(ClientError) as caught:
        staging.describe_model_package(ModelPackageName=arn)
    assert error(caught)[0] == "AccessDeniedException"
