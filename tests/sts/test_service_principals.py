"""Services assume roles only where trust policies let them (with source conditions)."""

from __future__ import annotations

import json

import pytest

from airlock.sts import ServiceAccessDenied, assume_role_for_service
from tests.support import LiveServer


def test_service_principal_assumes_a_trusting_role(server: LiveServer, account_id: str) -> None:
    iam = server.client("iam", account_id)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }
    role = iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    platform = server.airlock.platform
    with platform.db.read() as session:
        principal = assume_role_for_service(
            session,
            platform.clock,
            service_principal="sagemaker.amazonaws.com",
            role_arn=role["Arn"],
            session_name="training-job-1",
            source_account=account_id,
        )
        assert principal.arn == f"arn:aws:sts::{account_id}:assumed-role/exec/training-job-1"
        assert principal.source_arn == role["Arn"]
        with pytest.raises(ServiceAccessDenied) as caught:
            assume_role_for_service(
                session,
                platform.clock,
                service_principal="codebuild.amazonaws.com",
                role_arn=role["Arn"],
                session_name="build",
                source_account=account_id,
            )
        assert (
            "because no resource-based policy allows the sts:AssumeRole action"
            in caught.value.message
        )
        with pytest.raises(ServiceAccessDenied):  # the confused deputy: another source account
            assume_role_for_service(
                session,
                platform.clock,
                service_principal="sagemaker.amazonaws.com",
                role_arn=role["Arn"],
                session_name="job",
                source_account="999999999999",
            )
