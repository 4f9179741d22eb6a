"""What the benchmarks share."""

from __future__ import annotations

import json
from typing import Any

from tests.sagemaker.test_training import PIPELINE_ROLE, TRUST


def sagemaker_role(iam: Any, name: str) -> str:
    """A role SageMaker may assume, allowed everything on S3 and a pipeline's steps; its ARN."""
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName=name,
        PolicyName="all-s3",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    *PIPELINE_ROLE,
                ],
            }
        ),
    )
    return str(role["Role"]["Arn"])
