"""SageMaker's resource types through their providers, as a stack acts: the registry's
groups, models, endpoint configs, endpoints that deploy and serve, and pipelines."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.core.errors import ServiceError
from airlock.core.resources import ResourceFailed
from airlock.protocol.models import load_service_model
from airlock.sagemaker.resources.common import typed
from airlock.sagemaker.resources.registry import instant
from tests.cloudformation.providers import Provisioned, provision
from tests.cloudformation.test_events_resources import stack_role
from tests.cloudformation.test_stacks import settled
from tests.sagemaker.test_endpoints import booster_archive
from tests.sagemaker.test_models import sagemaker_role
from tests.sagemaker.test_pipeline_definition import CHECK, ROUNDS, TRAIN, definition
from tests.sagemaker.test_registry import IMAGE, error
from tests.support import LiveServer

ROW = "5.0,3.4,1.5,0.2"


def trail(server: LiveServer, operation: str) -> list[dict[str, Any]]:
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": operation}]
    )["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in events]


@pytest.mark.parametrize(
    ("operation", "given", "expected"),
    [
        (
            "CreateEndpointConfig",
            {
                "ProductionVariants": [{"InitialInstanceCount": "2", "InitialVariantWeight": "1"}],
                "DataCaptureConfig": {"EnableCapture": "false", "InitialSamplingPercentage": "5"},
            },
            {
                "ProductionVariants": [{"InitialInstanceCount": 2, "InitialVariantWeight": 1.0}],
                "DataCaptureConfig": {"EnableCapture": False, "InitialSamplingPercentage": 5},
            },
        ),
        (
            "CreateModel",
            {"PrimaryContainer": {"Environment": {"WORKERS": 2, "DEBUG": True}}},
            {"PrimaryContainer": {"Environment": {"WORKERS": "2", "DEBUG": "true"}}},
        ),
        (
            "CreateEndpointConfig",  # what cannot be converted is left for validation to name
            {"ProductionVariants": [{"InitialInstanceCount": "two"}], "Unknown": "1"},
            {"ProductionVariants": [{"InitialInstanceCount": "two"}], "Unknown": "1"},
        ),
    ],
)
def test_template_values_take_the_api_types(
    operation: str, given: dict[str, Any], expected: dict[str, Any]
) -> None:
    shape = load_service_model("sagemaker").operation_model(operation).input_shape
    assert typed(shape, given) == expected


def test_model_package_group_lifecycle(server: LiveServer, account_id: str, region: str) -> None:
    sm = server.client("sagemaker")
    other = server.create_account("staging")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "staging-reads",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
                "Action": ["sagemaker:DescribeModelPackageGroup"],
                "Resource": f"arn:aws:sagemaker:{region}:{account_id}:model-package-group/iris",
            }
        ],
    }
    props: dict[str, Any] = {
        "ModelPackageGroupName": "Iris",
        "ModelPackageGroupDescription": "iris classifiers",
        "ModelPackageGroupPolicy": policy,
        "Tags": [{"Key": "team", "Value": "ml"}],
    }
    made = provision(
        server, account_id, "AWS::SageMaker::ModelPackageGroup", props, tags={"stack": "s1"}
    )
    arn = f"arn:aws:sagemaker:{region}:{account_id}:model-package-group/iris"
    described = sm.describe_model_package_group(ModelPackageGroupName="Iris")
    assert made.physical_id == arn
    assert made.attributes == {
        "Ref": arn,
        "ModelPackageGroupArn": arn,
        "CreationTime": instant(described["CreationTime"]),
        "ModelPackageGroupStatus": "Completed",
    }
    assert described["ModelPackageGroupDescription"] == "iris classifiers"
    shared = sm.get_model_package_group_policy(ModelPackageGroupName="Iris")["ResourcePolicy"]
    assert json.loads(shared) == policy
    staging = server.client("sagemaker", other)
    assert staging.describe_model_package_group(ModelPackageGroupName=arn)["ModelPackageGroupArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [
        {"Key": "stack", "Value": "s1"},
        {"Key": "team", "Value": "ml"},
    ]
    assert [
        e["userIdentity"]["invokedBy"] for e in trail(server, "PutModelPackageGroupPolicy")
    ] == ["cloudformation.amazonaws.com"]

    unshared = {k: v for k, v in props.items() if k != "ModelPackageGroupPolicy"}
    made.update({**unshared, "Tags": [{"Key": "owner", "Value": "a"}]})
    with pytest.raises(ClientError) as caught:
        sm.get_model_package_group_policy(ModelPackageGroupName="Iris")
    assert error(caught) == (
        "ValidationException",
        f"Cannot find resource policy for ModelPackageGroup {arn}.",
    )
    with pytest.raises(ClientError) as caught:
        staging.describe_model_package_group(ModelPackageGroupName=arn)
    assert error(caught)[0] == "AccessDeniedException"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [
        {"Key": "owner", "Value": "a"},
        {"Key": "stack", "Value": "s1"},
    ]

    made.delete()
    with pytest.raises(ClientError) as caught:
        sm.describe_model_package_group(ModelPackageGroupName="Iris")
    assert error(caught) == ("ValidationException", f"ModelPackageGroup {arn} does not exist.")
    made.delete()  # already gone: still deleted
    sm.create_model_package_group(ModelPackageGroupName="Taken")
    with pytest.raises(ServiceError) as taken:
        provision(
            server,
            account_id,
            "AWS::SageMaker::ModelPackageGroup",
            {"ModelPackageGroupName": "Taken"},
        )
    assert (taken.value.code, taken.value.message) == (
        "ValidationException",
        "Model Package Group already exists: "
        f"arn:aws:sagemaker:{region}:{account_id}:model-package-group/taken",
    )


@pytest.fixture
def hosting(server: LiveServer, account_id: str) -> dict[str, Any]:
    """A real XGBoost model archive, a broken one, and a role SageMaker may read them as."""
    s3 = server.client("s3")
    booster, archive = booster_archive()
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="iris/model.tar.gz", Body=archive)
    s3.put_object(Bucket="models", Key="broken/model.tar.gz", Body=b"not a model archive")
    role = sagemaker_role(server, account_id, "ModelRole", ["models"])
    return {"role": role, "booster": booster}


def model_props(role: str, archive: str = "iris") -> dict[str, Any]:
    return {
        "ExecutionRoleArn": role,
        "PrimaryContainer": {
            "Image": IMAGE,
            "ModelDataUrl": f"s3://models/{archive}/model.tar.gz",
            "Environment": {"SAGEMAKER_MODEL_SERVER_WORKERS": 1},
        },
    }


def hosted_model(
    server: LiveServer, account_id: str, role: str, archive: str = "iris"
) -> Provisioned:
    """A model of one of the `hosting` archives, named by the stack (`…-IrisModel-…`)."""
    props = model_props(role, archive)
    logical_id = f"{archive.title()}Model"
    return provision(server, account_id, "AWS::SageMaker::Model", props, logical_id=logical_id)


def endpoint_config(
    server: LiveServer, account_id: str, model: Provisioned, variant: str
) -> Provisioned:
    """A config with one variant of `model`, named by the stack (`…-<variant>Config-…`)."""
    # Numbers as text, as a template's `!Ref` of a Number parameter gives them.
    production = {
        "VariantName": variant,
        "ModelName": model.attributes["ModelName"],
        "InitialInstanceCount": "1",
        "InitialVariantWeight": "1.0",
        "InstanceType": "ml.m5.large",
    }
    return provision(
        server,
        account_id,
        "AWS::SageMaker::EndpointConfig",
        {"ProductionVariants": [production]},
        logical_id=f"{variant}Config",
    )


def served_by(server: LiveServer, endpoint: str) -> str:
    answer = server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, ContentType="text/csv", Body=ROW
    )
    return str(answer["InvokedProductionVariant"])


def test_model_config_and_endpoint_deploy_update_and_delete(
    server: LiveServer, account_id: str, region: str, hosting: dict[str, Any]
) -> None:
    sm = server.client("sagemaker")
    model = hosted_model(server, account_id, hosting["role"])
    name = model.attributes["ModelName"]
    prefix = "test-stack-IrisModel-"
    assert name.startswith(prefix) and len(name) == len(prefix) + 13
    model_arn = f"arn:aws:sagemaker:{region}:{account_id}:model/{name.lower()}"
    assert model.attributes == {"Ref": model_arn, "ModelName": name}
    described = sm.describe_model(ModelName=name)
    assert described["ExecutionRoleArn"] == hosting["role"]
    assert described["PrimaryContainer"]["Environment"] == {"SAGEMAKER_MODEL_SERVER_WORKERS": "1"}

    blue = endpoint_config(server, account_id, model, "Blue")
    blue_name = blue.attributes["EndpointConfigName"]
    assert blue.attributes == {
        "Ref": f"arn:aws:sagemaker:{region}:{account_id}:endpoint-config/{blue_name.lower()}",
        "EndpointConfigName": blue_name,
    }
    (variant,) = sm.describe_endpoint_config(EndpointConfigName=blue_name)["ProductionVariants"]
    assert (variant["InitialInstanceCount"], variant["InitialVariantWeight"]) == (1, 1.0)

    endpoint = provision(
        server,
        account_id,
        "AWS::SageMaker::Endpoint",
        {"EndpointName": "iris", "EndpointConfigName": blue_name},
        timeout=120,
    )
    endpoint_arn = f"arn:aws:sagemaker:{region}:{account_id}:endpoint/iris"
    assert endpoint.attributes == {"Ref": endpoint_arn, "EndpointName": "iris"}
    assert sm.describe_endpoint(EndpointName="iris")["EndpointStatus"] == "InService"
    assert served_by(server, "iris") == "Blue"

    # A new config is an UpdateEndpoint: blue/green, the new fleet serves once healthy.
    green = endpoint_config(server, account_id, model, "Green")
    green_name = green.attributes["EndpointConfigName"]
    updated = {"EndpointName": "iris", "EndpointConfigName": green_name}
    endpoint.provider.configure(endpoint.pc, endpoint.physical_id, updated, endpoint.props)
    updating = sm.describe_endpoint(EndpointName="iris")
    assert updating["EndpointStatus"] == "Updating"
    assert updating["PendingDeploymentSummary"]["EndpointConfigName"] == green_name
    assert served_by(server, "iris") == "Blue"  # until the green fleet is healthy
    endpoint.update(updated, timeout=120)  # configure again finds the update under way
    assert len(trail(server, "UpdateEndpoint")) == 1
    described = sm.describe_endpoint(EndpointName="iris")
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == (
        "InService",
        green_name,
    )
    assert served_by(server, "iris") == "Green"

    # Names are the stack's: a second endpoint or model by the same name is refused.
    with pytest.raises(ServiceError) as caught:
        provision(
            server,
            account_id,
            "AWS::SageMaker::Endpoint",
            {"EndpointName": "iris", "EndpointConfigName": blue_name},
        )
    assert (caught.value.code, caught.value.message) == (
        "ValidationException",
        f'Cannot create already existing endpoint "{endpoint_arn}".',
    )
    with pytest.raises(ServiceError) as caught:
        provision(
            server,
            account_id,
            "AWS::SageMaker::Model",
            {"ModelName": name, **model_props(hosting["role"])},
        )
    assert (caught.value.code, caught.value.message) == (
        "ValidationException",
        f'Cannot create already existing model "{model_arn}".',
    )

    endpoint.delete()  # waits until the endpoint is gone
    with pytest.raises(ClientError) as gone:
        sm.describe_endpoint(EndpointName="iris")
    assert error(gone) == ("ValidationException", f'Could not find endpoint "{endpoint_arn}".')
    endpoint.delete()
    for config in (blue, green):
        config.delete()
        config.delete()
    model.delete()
    model.delete()
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []
    assert sm.list_models()["Models"] == []
    assert {e["userIdentity"]["invokedBy"] for e in trail(server, "DeleteEndpoint")} == {
        "cloudformation.amazonaws.com"
    }


def test_an_endpoint_that_cannot_serve_fails_with_its_reason(
    server: LiveServer, account_id: str, hosting: dict[str, Any]
) -> None:
    sm = server.client("sagemaker")
    broken = hosted_model(server, account_id, hosting["role"], "broken")
    config = endpoint_config(server, account_id, broken, "Broken")
    props = {
        "EndpointName": "broken",
        "EndpointConfigName": config.attributes["EndpointConfigName"],
    }
    with pytest.raises(ResourceFailed) as caught:
        provision(server, account_id, "AWS::SageMaker::Endpoint", props, timeout=120)
    described = sm.describe_endpoint(EndpointName="broken")
    assert described["EndpointStatus"] == "Failed"
    assert str(caught.value) == described["FailureReason"]
    assert str(caught.value).startswith("Could not fetch the model")


def test_a_failed_update_fails_and_the_endpoint_keeps_serving(
    server: LiveServer, account_id: str, hosting: dict[str, Any]
) -> None:
    sm = server.client("sagemaker")
    good = hosted_model(server, account_id, hosting["role"])
    broken = hosted_model(server, account_id, hosting["role"], "broken")
    serving = endpoint_config(server, account_id, good, "Good")
    failing = endpoint_config(server, account_id, broken, "Broken")
    props = {"EndpointConfigName": serving.attributes["EndpointConfigName"]}
    endpoint = provision(server, account_id, "AWS::SageMaker::Endpoint", props, timeout=120)
    name = endpoint.attributes["EndpointName"]
    with pytest.raises(ResourceFailed) as caught:
        endpoint.update({"EndpointConfigName": failing.attributes["EndpointConfigName"]})
    described = sm.describe_endpoint(EndpointName=name)
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == (
        "InService",
        serving.attributes["EndpointConfigName"],
    )
    assert str(caught.value) == described["FailureReason"]
    assert str(caught.value).startswith("Update rolled back: Could not fetch the model")
    assert served_by(server, name) == "Good"
    # The stack's rollback asks for the config the endpoint kept: nothing to do.
    endpoint.update(props)
    assert len(trail(server, "UpdateEndpoint")) == 1
    endpoint.delete()


def test_pipeline_lifecycle(server: LiveServer, account_id: str, region: str) -> None:
    sm, s3 = server.client("sagemaker"), server.client("s3")
    role = f"arn:aws:iam::{account_id}:role/Pipelines"
    body = definition([TRAIN, CHECK], ROUNDS)
    props: dict[str, Any] = {
        "PipelineName": "iris-train",
        "PipelineDisplayName": "Iris-training",
        "PipelineDescription": "train and register",
        "RoleArn": role,
        "PipelineDefinition": {"PipelineDefinitionBody": body},
        "ParallelismConfiguration": {"MaxParallelExecutionSteps": "2"},
        "Tags": [{"Key": "sagemaker:project-name", "Value": "iris"}],
    }
    made = provision(server, account_id, "AWS::SageMaker::Pipeline", props)
    arn = f"arn:aws:sagemaker:{region}:{account_id}:pipeline/iris-train"
    assert made.attributes == {"Ref": "iris-train"}
    described = sm.describe_pipeline(PipelineName="iris-train")
    assert json.loads(described["PipelineDefinition"]) == json.loads(body)
    assert (described["PipelineDisplayName"], described["PipelineDescription"]) == (
        "Iris-training",
        "train and register",
    )
    assert described["ParallelismConfiguration"] == {"MaxParallelExecutionSteps": 2}
    assert sm.list_tags(ResourceArn=arn)["Tags"] == props["Tags"]

    # In place: a definition read from S3, a new display name, other tags.
    changed = definition([TRAIN], ROUNDS)
    s3.create_bucket(Bucket="definitions")
    s3.put_object(Bucket="definitions", Key="iris.json", Body=changed.encode())
    location = {"Bucket": "definitions", "Key": "iris.json"}
    update = {
        **props,
        "PipelineDisplayName": "Iris",
        "PipelineDefinition": {"PipelineDefinitionS3Location": location},
        "Tags": [{"Key": "owner", "Value": "ml"}],
    }
    made.update(update)
    described = sm.describe_pipeline(PipelineName="iris-train")
    assert json.loads(described["PipelineDefinition"]) == json.loads(changed)
    assert described["PipelineDisplayName"] == "Iris"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "ml"}]
    assert [e["userIdentity"]["invokedBy"] for e in trail(server, "UpdatePipeline")] == [
        "cloudformation.amazonaws.com"
    ]

    # Created from S3 too; a name in use is refused.
    from_s3 = provision(
        server,
        account_id,
        "AWS::SageMaker::Pipeline",
        {**update, "PipelineName": "from-s3"},
        logical_id="FromS3",
    )
    assert json.loads(sm.describe_pipeline(PipelineName="from-s3")["PipelineDefinition"]) == (
        json.loads(changed)
    )
    with pytest.raises(ServiceError) as caught:
        provision(server, account_id, "AWS::SageMaker::Pipeline", props, logical_id="Again")
    assert (caught.value.code, caught.value.message) == (
        "ValidationException",
        "Pipeline names must be unique within an AWS account and region. Pipeline with name "
        "(iris-train) already exists.",
    )

    for pipeline in (made, from_s3):
        pipeline.delete()
        pipeline.delete()
    assert sm.list_pipelines()["PipelineSummaries"] == []


def test_a_principal_without_permission_is_refused(
    server: LiveServer, account_id: str, region: str
) -> None:
    principal = stack_role(server, account_id)
    with pytest.raises(ServiceError) as caught:
        provision(
            server,
            account_id,
            "AWS::SageMaker::ModelPackageGroup",
            {"ModelPackageGroupName": "Iris"},
            principal=principal,
        )
    assert (caught.value.code, caught.value.message) == (
        "AccessDeniedException",
        f"User: {principal.arn} is not authorized to perform: "
        "sagemaker:CreateModelPackageGroup on resource: "
        f"arn:aws:sagemaker:{region}:{account_id}:model-package-group/iris because no "
        "identity-based policy allows the sagemaker:CreateModelPackageGroup action",
    )
    groups = server.client("sagemaker").list_model_package_groups()
    assert groups["ModelPackageGroupSummaryList"] == []


def test_a_stack_update_retags_an_endpoint_config_and_an_endpoint_in_place(
    server: LiveServer, hosting: dict[str, Any]
) -> None:
    sm, cfn = server.client("sagemaker"), server.client("cloudformation")

    def template(config_tags: list[dict[str, str]], endpoint_tags: list[dict[str, str]]) -> str:
        return json.dumps(
            {
                "Resources": {
                    "Model": {
                        "Type": "AWS::SageMaker::Model",
                        "Properties": model_props(hosting["role"]),
                    },
                    "Config": {
                        "Type": "AWS::SageMaker::EndpointConfig",
                        "Properties": {
                            "ProductionVariants": [
                                {
                                    "VariantName": "AllTraffic",
                                    "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
                                    "InitialInstanceCount": 1,
                                    "InstanceType": "ml.m5.large",
                                }
                            ],
                            "Tags": config_tags,
                        },
                    },
                    "Endpoint": {
                        "Type": "AWS::SageMaker::Endpoint",
                        "Properties": {
                            "EndpointName": "tagged",
                            "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
                            "Tags": endpoint_tags,
                        },
                    },
                },
                "Outputs": {"Config": {"Value": {"Ref": "Config"}}},
            }
        )

    first = [{"Key": "team", "Value": "ds"}, {"Key": "stage", "Value": "dev"}]
    cfn.create_stack(
        StackName="tags", TemplateBody=template(first, first), Tags=[{"Key": "app", "Value": "x"}]
    )
    stack = settled(cfn, "tags", timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    config_arn = stack["Outputs"][0]["OutputValue"]
    endpoint_arn = sm.describe_endpoint(EndpointName="tagged")["EndpointArn"]
    for arn in (config_arn, endpoint_arn):
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [
            {"Key": "app", "Value": "x"},
            {"Key": "stage", "Value": "dev"},
            {"Key": "team", "Value": "ds"},
        ]

    # The config's tags change (one dropped, one changed, one added) and so do the
    # endpoint's: both in place, the config keeps its ARN and the endpoint its config.
    config_tags = [{"Key": "stage", "Value": "prod"}, {"Key": "owner", "Value": "ml"}]
    endpoint_tags = [{"Key": "team", "Value": "ops"}]
    cfn.update_stack(
        StackName="tags",
        TemplateBody=template(config_tags, endpoint_tags),
        Tags=[{"Key": "app", "Value": "x"}],
    )
    stack = settled(cfn, "tags", timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert stack["Outputs"][0]["OutputValue"] == config_arn
    assert sm.list_tags(ResourceArn=config_arn)["Tags"] == [
        {"Key": "app", "Value": "x"},
        {"Key": "owner", "Value": "ml"},
        {"Key": "stage", "Value": "prod"},
    ]
    assert sm.list_tags(ResourceArn=endpoint_arn)["Tags"] == [
        {"Key": "app", "Value": "x"},
        {"Key": "team", "Value": "ops"},
    ]
    described = sm.describe_endpoint(EndpointName="tagged")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"].lower() == config_arn.rsplit("/", 1)[-1]
    assert trail(server, "UpdateEndpoint") == []
    assert {e["userIdentity"]["invokedBy"] for e in trail(server, "AddTags")} == {
        "cloudformation.amazonaws.com"
    }
    cfn.delete_stack(StackName="tags")
    cfn.get_waiter("stack_delete_complete").wait(
        StackName=stack["StackId"], WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []
