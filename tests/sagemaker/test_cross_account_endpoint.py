"""A model package of the data science account, deployed and served in a staging account."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.sagemaker.test_endpoints import booster_archive, variant, wait_in_service
from tests.sagemaker.test_models import sagemaker_role
from tests.sagemaker.test_registry import error, spec
from tests.support import LiveServer


def test_staging_serves_the_approved_package(server: LiveServer) -> None:
    data_science = server.first_account_id()
    staging_id = server.create_account("staging")
    s3, sm = server.client("s3"), server.client("sagemaker")
    s3.create_bucket(Bucket="ds-models")
    s3.put_object(Bucket="ds-models", Key="iris/model.tar.gz", Body=booster_archive()[1])
    sm.create_model_package_group(ModelPackageGroupName="iris")
    package = sm.create_model_package(
        ModelPackageGroupName="iris",
        InferenceSpecification=spec("s3://ds-models/iris/model.tar.gz"),
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    group_arn = sm.describe_model_package_group(ModelPackageGroupName="iris")[
        "ModelPackageGroupArn"
    ]
    staging_root = f"arn:aws:iam::{staging_id}:root"
    sm.put_model_package_group_policy(
        ModelPackageGroupName="iris",
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": staging_root},
                        "Action": "sagemaker:CreateModel",
                        "Resource": group_arn.replace("-group/", "/") + "/*",
                    }
                ],
            }
        ),
    )
    s3.put_bucket_policy(
        Bucket="ds-models",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": staging_root},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::ds-models/*",
                    }
                ],
            }
        ),
    )
    role = sagemaker_role(server, staging_id, "StagingModelRole", ["ds-models"])
    staging = server.client("sagemaker", staging_id)
    staging.create_model(
        ModelName="iris",
        PrimaryContainer={"ModelPackageName": package},
        ExecutionRoleArn=role,
    )
    staging.create_endpoint_config(
        EndpointConfigName="iris",
        ProductionVariants=[variant("iris")],
    )
    arn = staging.create_endpoint(EndpointName="iris-staging", EndpointConfigName="iris")[
        "EndpointArn"
    ]
    assert arn == f"arn:aws:sagemaker:us-east-1:{staging_id}:endpoint/iris-staging"
    wait_in_service(staging, "iris-staging")
    answer = server.client("sagemaker-runtime", staging_id).invoke_endpoint(
        EndpointName="iris-staging", ContentType="text/csv", Body="5.0,3.4,1.5,0.2"
    )
    assert answer["Body"].read().decode() in ("0.0", "1.0", "2.0")
    # The data science account's credentials reach their own account's endpoints only.
    with pytest.raises(ClientError) as caught:
        server.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="iris-staging", ContentType="text/csv", Body="5.0,3.4,1.5,0.2"
        )
    assert error(caught) == (
        "ValidationError",
        f"Endpoint iris-staging of account {data_science} not found.",
    )
