"""`iam:PassRole` where a call hands a role to a service; a pipeline role decides its steps."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sagemaker.test_registry import ARTIFACT, IMAGE, error, spec
from tests.sagemaker.test_training import TRUST, job_request
from tests.support import LiveServer, policy_document, policy_user, wait_for

PASS_TO_SAGEMAKER = {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def user_client(server: LiveServer, name: str, *statements: dict[str, Any]) -> tuple[Any, str]:
    """A SageMaker client of a new user allowed `statements`; and the user's ARN."""
    return policy_user(server, name, "sagemaker", *statements)


def role(server: LiveServer, name: str, *statements: dict[str, Any]) -> str:
    iam = server.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(
            RoleName=name, PolicyName="p", PolicyDocument=policy_document(*statements)
        )
    return str(arn)


ALL_SAGEMAKER = {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}


def pipeline_definition(role_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2020-12-01",
            "Steps": [
                {
                    "Name": "Train",
                    "Type": "Training",
                    "Arguments": {
                        k: v
                        for k, v in job_request("x", role_arn).items()
                        if k != "TrainingJobName"
                    },
                }
            ],
        }
    )


def denial(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error(caught)


def test_roles_handed_to_sagemaker_need_pass_role(server: LiveServer, account_id: str) -> None:
    job_role = role(server, "JobRole")
    sm, user = user_client(server, "builder", ALL_SAGEMAKER)
    requests: list[tuple[str, dict[str, Any]]] = [
        ("create_training_job", job_request("t1", job_role)),
        (
            "create_processing_job",
            {
                "ProcessingJobName": "p1",
                "RoleArn": job_role,
                "AppSpecification": {"ImageUri": IMAGE},
                "ProcessingResources": {
                    "ClusterConfig": {
                        "InstanceCount": 1,
                        "InstanceType": "ml.m5.large",
                        "VolumeSizeInGB": 1,
                    }
                },
            },
        ),
        (
            "create_model",
            {
                "ModelName": "m1",
                "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": ARTIFACT},
                "ExecutionRoleArn": job_role,
            },
        ),
        (
            "create_pipeline",
            {
                "PipelineName": "p1",
                "PipelineDefinition": pipeline_definition(job_role),
                "RoleArn": job_role,
            },
        ),
    ]
    expected = (
        f"User: {user} is not authorized to perform: iam:PassRole on resource: {job_role} "
        "because no identity-based policy allows the iam:PassRole action"
    )
    for method, request in requests:
        with pytest.raises(ClientError) as caught:
            getattr(sm, method)(**request)
        assert denial(caught) == ("AccessDeniedException", expected), method
    root = server.client("sagemaker")
    # Refused calls changed nothing.
    assert root.list_training_jobs()["TrainingJobSummaries"] == []
    assert root.list_processing_jobs()["ProcessingJobSummaries"] == []
    assert root.list_models()["Models"] == []
    assert root.list_pipelines()["PipelineSummaries"] == []
    # UpdatePipeline passes its new role too.
    root.create_pipeline(
        PipelineName="p2", PipelineDefinition=pipeline_definition(job_role), RoleArn=job_role
    )
    with pytest.raises(ClientError) as caught:
        sm.update_pipeline(PipelineName="p2", RoleArn=job_role)
    assert denial(caught) == ("AccessDeniedException", expected)
    trail = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UpdatePipeline"}]
    )["Events"]
    assert json.loads(trail[0]["CloudTrailEvent"])["errorCode"] == "AccessDeniedException"


def test_pass_role_is_for_the_service_it_names(server: LiveServer) -> None:
    job_role = role(server, "JobRole")
    only_events = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": job_role,
        "Condition": {"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}},
    }
    sm, user = user_client(server, "builder", ALL_SAGEMAKER, only_events)
    with pytest.raises(ClientError) as caught:
        sm.create_training_job(**job_request("t1", job_role))
    assert denial(caught) == (
        "AccessDeniedException",
        f"User: {user} is not authorized to perform: iam:PassRole on resource: {job_role} "
        "because no identity-based policy allows the iam:PassRole action",
    )
    other = role(server, "OtherRole")
    to_sagemaker = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": job_role,
        "Condition": PASS_TO_SAGEMAKER,
    }
    server.client("iam").put_user_policy(
        UserName="builder",
        PolicyName="p",
        PolicyDocument=policy_document(ALL_SAGEMAKER, to_sagemaker),
    )
    arn = sm.create_training_job(**job_request("t2", job_role))["TrainingJobArn"]
    assert arn.endswith(":training-job/t2")
    # Passing is granted per role.
    with pytest.raises(ClientError) as caught:
        sm.create_training_job(**job_request("t3", other))
    assert denial(caught)[0] == "AccessDeniedException"
    assert f"iam:PassRole on resource: {other}" in denial(caught)[1]


def _run(sm: Any, name: str) -> dict[str, Any]:
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]

    def done() -> dict[str, Any] | None:
        execution = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        return execution if execution["PipelineExecutionStatus"] != "Executing" else None

    return wait_for(done, timeout=60, interval=0.2, what=f"execution of {name}")


def _steps(sm: Any, execution: dict[str, Any]) -> list[dict[str, Any]]:
    return list(
        sm.list_pipeline_execution_steps(PipelineExecutionArn=execution["PipelineExecutionArn"])[
            "PipelineExecutionSteps"
        ]
    )


def register_definition(group: str) -> str:
    arguments = {
        "ModelPackageGroupName": group,
        "InferenceSpecification": spec(ARTIFACT),
        "ModelApprovalStatus": "PendingManualApproval",
    }
    step = {"Name": "Register", "Type": "RegisterModel", "Arguments": arguments}
    return json.dumps({"Version": "2020-12-01", "Steps": [step]})


@pytest.fixture
def artifact(server: LiveServer) -> None:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="ds-artifacts")
    s3.put_object(Bucket="ds-artifacts", Key="iris/model.tar.gz", Body=b"model bytes")


READ_ARTIFACTS = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}


def test_a_pipelines_role_decides_what_its_steps_do(
    server: LiveServer, account_id: str, artifact: None
) -> None:
    sm = server.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="iris")
    # The role may read the model data but not register a package.
    weak = role(server, "WeakPipelineRole", READ_ARTIFACTS)
    sm.create_pipeline(
        PipelineName="reg", PipelineDefinition=register_definition("iris"), RoleArn=weak
    )
    execution = _run(sm, "reg")
    assert execution["PipelineExecutionStatus"] == "Failed"
    session = execution["PipelineExecutionArn"].rsplit("/", 1)[1]
    caller = f"arn:aws:sts::{account_id}:assumed-role/WeakPipelineRole/SageMaker-{session}"
    group_arn = f"arn:aws:sagemaker:us-east-1:{account_id}:model-package-group/iris"
    reason = (
        f"AccessDeniedException: User: {caller} is not authorized to perform: "
        f"sagemaker:CreateModelPackage on resource: {group_arn} because no identity-based "
        "policy allows the sagemaker:CreateModelPackage action"
    )
    [step] = _steps(sm, execution)
    assert (step["StepStatus"], step["FailureReason"]) == ("Failed", reason)
    assert sm.list_model_packages(ModelPackageGroupName="iris")["ModelPackageSummaryList"] == []
    # The refusal is in the trail, made by the role, invoked by SageMaker.
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateModelPackage"}]
    )["Events"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["errorCode"] == "AccessDeniedException"
    assert record["userIdentity"]["arn"] == caller
    assert record["userIdentity"]["invokedBy"] == "sagemaker.amazonaws.com"
    assert record["sourceIPAddress"] == "sagemaker.amazonaws.com"

    register = {"Effect": "Allow", "Action": "sagemaker:CreateModelPackage", "Resource": "*"}
    server.client("iam").put_role_policy(
        RoleName="WeakPipelineRole",
        PolicyName="p",
        PolicyDocument=policy_document(READ_ARTIFACTS, register),
    )
    execution = _run(sm, "reg")
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution.get("FailureReason")
    [step] = _steps(sm, execution)
    package = step["Metadata"]["RegisterModel"]["Arn"]
    assert sm.describe_model_package(ModelPackageName=package)["ModelPackageGroupName"] == "iris"
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateModelPackage"}]
    )["Events"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert "errorCode" not in record
    assert record["responseElements"] == {"modelPackageArn": package}
    assert record["userIdentity"]["invokedBy"] == "sagemaker.amazonaws.com"


def test_a_missing_group_is_created_as_the_pipelines_role(
    server: LiveServer, artifact: None
) -> None:
    sm = server.client("sagemaker")
    register = {"Effect": "Allow", "Action": "sagemaker:CreateModelPackage", "Resource": "*"}
    pipeline_role = role(server, "PipelineRole", READ_ARTIFACTS, register)
    sm.create_pipeline(
        PipelineName="reg",
        PipelineDefinition=register_definition("new-group"),
        RoleArn=pipeline_role,
    )
    execution = _run(sm, "reg")
    [step] = _steps(sm, execution)
    assert step["StepStatus"] == "Failed"
    assert step["FailureReason"].startswith("AccessDeniedException: User: ")
    assert "sagemaker:CreateModelPackageGroup on resource: " in step["FailureReason"]
    with pytest.raises(ClientError):
        sm.describe_model_package_group(ModelPackageGroupName="new-group")
    create_group = {
        "Effect": "Allow",
        "Action": "sagemaker:CreateModelPackageGroup",
        "Resource": "*",
    }
    server.client("iam").put_role_policy(
        RoleName="PipelineRole",
        PolicyName="p",
        PolicyDocument=policy_document(READ_ARTIFACTS, register, create_group),
    )
    execution = _run(sm, "reg")
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution.get("FailureReason")
    assert (
        len(sm.list_model_packages(ModelPackageGroupName="new-group")["ModelPackageSummaryList"])
        == 1
    )


def test_a_training_step_needs_pass_role_for_its_job_role(server: LiveServer) -> None:
    sm = server.client("sagemaker")
    job_role = role(server, "JobRole")
    train = {"Effect": "Allow", "Action": "sagemaker:CreateTrainingJob", "Resource": "*"}
    pipeline_role = role(server, "PipelineRole", train)
    sm.create_pipeline(
        PipelineName="train",
        PipelineDefinition=pipeline_definition(job_role),
        RoleArn=pipeline_role,
    )
    execution = _run(sm, "train")
    [step] = _steps(sm, execution)
    assert step["StepStatus"] == "Failed"
    assert step["FailureReason"].startswith("AccessDeniedException: User: arn:aws:sts::")
    assert f"iam:PassRole on resource: {job_role}" in step["FailureReason"]
    assert sm.list_training_jobs()["TrainingJobSummaries"] == []
