"""The SageMaker Python SDK, pointed at a live server the way a user points it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support import LiveServer

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
# Telemetry off, as the SDK's own configuration file says it.
SDK_CONFIG = """SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
"""


@pytest.fixture
def sdk_env(server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """AWS_ENDPOINT_URL and the root keys in the environment, the SDK's telemetry off."""
    access_key, secret = server.root_keys(server.first_account_id())
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text(SDK_CONFIG)
    for name, value in {
        "AWS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": server.settings.region,
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(config),
        "SAGEMAKER_ADMIN_CONFIG_OVERRIDE": str(config),
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    # boto3's default session keeps the credentials it first found: start each test afresh.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    yield


@pytest.fixture
def pipeline_role(server: LiveServer, sdk_env: None) -> str:
    """A role SageMaker may assume, with the managed SageMaker policy."""
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="PipelineRole", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(
        RoleName="PipelineRole",
        PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
    )
    return str(role["Role"]["Arn"])


def sdk_session(bucket: str) -> Any:
    """A PipelineSession whose clients use the endpoint in the environment."""
    from sagemaker.workflow.pipeline_context import PipelineSession

    boto_session = boto3.Session()
    boto_session.client("s3").create_bucket(Bucket=bucket)
    # The SDK asks STS at its fixed regional address for the default bucket's name;
    # naming the bucket keeps every call on AWS_ENDPOINT_URL.
    return PipelineSession(
        boto_session=boto_session,
        sagemaker_client=boto_session.client("sagemaker"),
        default_bucket=bucket,
    )
