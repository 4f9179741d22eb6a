"""Models through boto3: containers checked at creation, same- and cross-account packages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sagemaker.test_registry import ARTIFACT, IMAGE, error, spec
from tests.sagemaker.test_training import TRUST
from tests.support import LiveServer


def sagemaker_role(server: LiveServer, account: str, name: str, buckets: list[str]) -> str:
    """A role SageMaker may assume that may read the given buckets."""
    iam = server.client("iam", account)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    resources = [f"arn:aws:s3:::{b}/*" for b in buckets]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="read-models",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}],
            }
        ),
    )
    return str(role["Role"]["Arn"])


@pytest.fixture
def setup(server: LiveServer) -> dict[str, Any]:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="ds-artifacts")
    s3.put_object(Bucket="ds-artifacts", Key="iris/model.tar.gz", Body=b"xgboost model bytes")
    account = server.first_account_id()
    role = sagemaker_role(server, account, "ModelRole", ["ds-artifacts"])
    return {"sm": server.client("sagemaker"), "s3": s3, "role": role, "account": account}


def test_create_describe_list_delete(setup: dict[str, Any], server: LiveServer) -> None:
    sm, role = setup["sm"], setup["role"]
    container = {"Image": IMAGE, "ModelDataUrl": ARTIFACT, "Environment": {"K": "V"}}
    arn = sm.create_model(
        ModelName="Iris-1",
        PrimaryContainer=container,
        ExecutionRoleArn=role,
        Tags=[{"Key": "team", "Value": "ds"}],
    )["ModelArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:{setup['account']}:model/iris-1"
    described = sm.describe_model(ModelName="Iris-1")
    assert described["ModelName"] == "Iris-1"
    assert described["PrimaryContainer"] == container
    assert described["ExecutionRoleArn"] == role
    assert described["EnableNetworkIsolation"] is False
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ds"}]

    with pytest.raises(ClientError) as caught:
        sm.create_model(ModelName="Iris-1", PrimaryContainer=container, ExecutionRoleArn=role)
    assert error(caught) == (
        "ValidationException",
        f'Cannot create already existing model "{arn}".',
    )
    assert sm.describe_model(ModelName="IRIS-1")["ModelArn"] == arn, "names ignore case"
    with pytest.raises(ClientError) as caught:
        sm.create_model(ModelName="iris-1", PrimaryContainer=container, ExecutionRoleArn=role)
    assert error(caught)[0] == "ValidationException"
    sm.create_model(ModelName="iris-2", PrimaryContainer=container, ExecutionRoleArn=role)
    sm.create_model(ModelName="other", Containers=[container], ExecutionRoleArn=role)
    names = [m["ModelName"] for m in sm.list_models()["Models"]]
    assert names == ["other", "iris-2", "Iris-1"], "newest first unless told"
    listed = sm.list_models(NameContains="IRIS", SortBy="Name", SortOrder="Ascending")
    assert [m["ModelName"] for m in listed["Models"]] == ["Iris-1", "iris-2"]
    first = sm.list_models(MaxResults=2)
    rest = sm.list_models(MaxResults=2, NextToken=first["NextToken"])
    assert [m["ModelName"] for m in first["Models"] + rest["Models"]] == names

    sm.delete_model(ModelName="Iris-1")
    with pytest.raises(ClientError) as caught:
        sm.describe_model(ModelName="Iris-1")
    assert error(caught) == ("ValidationException", f'Could not find model "{arn}".')
    with pytest.raises(ClientError) as caught:
        sm.delete_model(ModelName="Iris-1")
    assert error(caught)[0] == "ValidationException"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"PrimaryContainer": {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1"}},
            "Airlock has no local runtime for the image "
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1. Supported images: ",
        ),
        (
            {"ExecutionRoleArn": "arn:aws:iam::{account}:role/Nobody"},
            "Could not assume role arn:aws:iam::{account}:role/Nobody. Please ensure that the "
            "role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.",
        ),
        (
            {"PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://ds-artifacts/missing"}},
            "Could not access model data at s3://ds-artifacts/missing with the role ",
        ),
        (
            {"PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://elsewhere/m.tar.gz"}},
            "Could not access model data at s3://elsewhere/m.tar.gz with the role ",
        ),
        ({"PrimaryContainer": {"ModelDataUrl": ARTIFACT}}, "Containers[0]: Image is required"),
        ({"PrimaryContainer": None}, "Either PrimaryContainer or Containers must be specified."),
        (
            {"ExecutionRoleArn": None},
            f"ExecutionRoleArn is required: SageMaker reads the model data at {ARTIFACT}",
        ),
    ],
)
def test_bad_models_are_refused_and_nothing_is_recorded(
    setup: dict[str, Any], server: LiveServer, change: dict[str, Any], message: str
) -> None:
    sm, account = setup["sm"], setup["account"]
    server.client("s3").create_bucket(Bucket="elsewhere")
    server.client("s3").put_object(Bucket="elsewhere", Key="m.tar.gz", Body=b"x")
    request: dict[str, Any] = {
        "ModelName": "bad",
        "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": ARTIFACT},
        "ExecutionRoleArn": setup["role"],
    }
    for key, value in change.items():
        if isinstance(value, str):
            value = value.format(account=account)
        if value is None:
            request.pop(key)
        else:
            request[key] = value
    with pytest.raises(ClientError) as caught:
        sm.create_model(**request)
    code, text = error(caught)
    assert code == "ValidationException"
    assert text.startswith(message.format(account=account)), text
    assert sm.list_models()["Models"] == []


def test_model_from_a_package_checks_the_registered_bytes(setup: dict[str, Any]) -> None:
    sm, s3 = setup["sm"], setup["s3"]
    sm.create_model_package_group(ModelPackageGroupName="iris")
    package = sm.create_model_package(
        ModelPackageGroupName="iris", InferenceSpecification=spec(ARTIFACT)
    )["ModelPackageArn"]
    sm.create_model(
        ModelName="from-package",
        PrimaryContainer={"ModelPackageName": package},
        ExecutionRoleArn=setup["role"],
    )
    assert sm.describe_model(ModelName="from-package")["PrimaryContainer"] == {
        "ModelPackageName": package
    }
    # Someone overwrites the approved artifact: a model of that package is refused.
    s3.put_object(Bucket="ds-artifacts", Key="iris/model.tar.gz", Body=b"other bytes")
    with pytest.raises(ClientError) as caught:
        sm.create_model(
            ModelName="tampered",
            PrimaryContainer={"ModelPackageName": package},
            ExecutionRoleArn=setup["role"],
        )
    code, text = error(caught)
    assert code == "ValidationException"
    assert text.startswith(
        f"The model data at {ARTIFACT} is no longer what model package {package} registered"
    )
    with pytest.raises(ClientError) as caught:
        sm.create_model(
            ModelName="nothing",
            PrimaryContainer={"ModelPackageName": package + "9"},
            ExecutionRoleArn=setup["role"],
        )
    assert error(caught) == ("ValidationException", f"ModelPackage {package}9 does not exist.")


def test_cross_account_model_needs_group_policy_and_bucket_policy(
    setup: dict[str, Any], server: LiveServer
) -> None:
    sm, s3 = setup["sm"], setup["s3"]
    sm.create_model_package_group(ModelPackageGroupName="iris")
    package = sm.create_model_package(
        ModelPackageGroupName="iris", InferenceSpecification=spec(ARTIFACT)
    )["ModelPackageArn"]
    staging_id = server.create_account("staging")
    staging = server.client("sagemaker", staging_id)
    role = sagemaker_role(server, staging_id, "StagingModelRole", ["ds-artifacts"])
    request = {
        "ModelName": "iris-staging",
        "PrimaryContainer": {"ModelPackageName": package},
        "ExecutionRoleArn": role,
    }
    with pytest.raises(ClientError) as caught:
        staging.create_model(**request)
    assert error(caught)[0] == "AccessDeniedException"
    assert (
        f"is not authorized to perform: sagemaker:CreateModel on resource: {package}"
        in (error(caught)[1])
    )

    group_arn = sm.describe_model_package_group(ModelPackageGroupName="iris")[
        "ModelPackageGroupArn"
    ]

    def share(*actions: str) -> None:
        # The SageMaker project templates' setup shares the group with exactly this.
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{staging_id}:root"]},
            "Action": list(actions),
            "Resource": group_arn.replace("-group/", "/") + "/*",
        }
        sm.put_model_package_group_policy(
            ModelPackageGroupName="iris",
            ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        )

    # Describing the package is not using it in a model.
    share("sagemaker:DescribeModelPackage")
    with pytest.raises(ClientError) as caught:
        staging.create_model(**request)
    assert error(caught)[0] == "AccessDeniedException"
    assert "sagemaker:CreateModel" in error(caught)[1]
    share("sagemaker:CreateModel")
    # CreateModel is all the model needs; describing the package is a grant of its own.
    with pytest.raises(ClientError) as caught:
        staging.describe_model_package(ModelPackageName=package)
    assert error(caught)[0] == "AccessDeniedException"
    assert "sagemaker:DescribeModelPackage" in error(caught)[1]
    # The package is shared now, but the data science bucket does not let staging read.
    with pytest.raises(ClientError) as caught:
        staging.create_model(**request)
    code, text = error(caught)
    assert code == "ValidationException"
    assert text.startswith(f"Could not access model data at {ARTIFACT} with the role {role}")
    assert "AccessDenied" in text
    assert staging.list_models()["Models"] == []

    s3.put_bucket_policy(
        Bucket="ds-artifacts",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{staging_id}:root"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::ds-artifacts/*",
                    }
                ],
            }
        ),
    )
    arn = staging.create_model(**request)["ModelArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:{staging_id}:model/iris-staging"
    assert sm.list_models()["Models"] == [], "the model lives in the staging account"
