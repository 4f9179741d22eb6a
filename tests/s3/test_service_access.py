"""Airlock's services reading and writing objects as a role, through the same authorization."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airlock.s3.access import ObjectAccess, ObjectAccessError, parse_s3_url
from airlock.sts import assume_role_for_service
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
PERMISSIONS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::training-data", "arn:aws:s3:::training-data/*"],
        },
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::job-output/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-models/*"},
    ],
}


def job_access(server: LiveServer, account_id: str) -> ObjectAccess:
    iam = server.client("iam", account_id)
    role = iam.create_role(RoleName="TrainingRole", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="TrainingRole", PolicyName="data", PolicyDocument=json.dumps(PERMISSIONS)
    )
    platform = server.airlock.platform
    with platform.db.read() as session:
        principal = assume_role_for_service(
            session,
            platform.clock,
            service_principal="sagemaker.amazonaws.com",
            role_arn=role["Role"]["Arn"],
            session_name="SageMaker",
            source_account=account_id,
        )
    return ObjectAccess.as_principal(platform, principal, "sagemaker.amazonaws.com")


def test_parse_s3_url() -> None:
    url = parse_s3_url("s3://bucket/some/key.csv")
    assert (url.bucket, url.key, str(url)) == ("bucket", "some/key.csv", "s3://bucket/some/key.csv")
    assert parse_s3_url("s3://bucket").key == ""
    for bad in ("http://bucket/key", "s3:///key", "bucket/key"):
        with pytest.raises(ValueError, match="expected s3://bucket/key"):
            parse_s3_url(bad)


def test_job_role_reads_channels_and_writes_output(
    server: LiveServer, account_id: str, tmp_path: Path
) -> None:
    s3 = server.client("s3", account_id)
    for bucket in ("training-data", "job-output", "secrets"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="training-data", Key="iris/train/part-0.csv", Body=b"1,2\n")
    s3.put_object(Bucket="training-data", Key="iris/train/sub/part-1.csv", Body=b"3,4\n")
    s3.put_object(Bucket="training-data", Key="iris/validation/v.csv", Body=b"5,6\n")
    s3.put_object(Bucket="secrets", Key="key.pem", Body=b"secret")
    access = job_access(server, account_id)

    files = access.download_prefix(
        parse_s3_url("s3://training-data/iris/train"), tmp_path / "train"
    )
    assert sorted(p.relative_to(tmp_path / "train").as_posix() for p in files) == [
        "part-0.csv",
        "sub/part-1.csv",
    ]
    assert (tmp_path / "train" / "sub" / "part-1.csv").read_bytes() == b"3,4\n"

    with pytest.raises(ObjectAccessError) as caught:
        access.download(parse_s3_url("s3://secrets/key.pem"), tmp_path / "stolen")
    message = str(caught.value)
    assert message.startswith("AccessDenied on s3://secrets/key.pem: ")
    assert "assumed-role/TrainingRole/SageMaker is not authorized to perform: s3:GetObject" in (
        message
    )
    with pytest.raises(ObjectAccessError) as caught:
        access.download(parse_s3_url("s3://training-data/iris/missing.csv"), tmp_path / "x")
    assert str(caught.value).startswith("NoSuchKey on s3://training-data/iris/missing.csv")

    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"trained weights")
    etag = access.upload(model, parse_s3_url("s3://job-output/job-1/output/model.tar.gz"))
    got = s3.get_object(Bucket="job-output", Key="job-1/output/model.tar.gz")
    assert (got["Body"].read(), got["ETag"]) == (b"trained weights", etag)
    with pytest.raises(ObjectAccessError) as caught:
        access.write(parse_s3_url("s3://training-data/overwrite.csv"), [b"x"])
    assert "s3:PutObject" in str(caught.value)
    assert "Contents" not in s3.list_objects_v2(Bucket="training-data", Prefix="overwrite")

    info = access.head(parse_s3_url("s3://training-data/iris/validation/v.csv"))
    assert (info.size, len(info.sha256s)) == (4, 1)

    trail = server.client("cloudtrail", account_id).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetObject"}]
    )["Events"]
    assert any(
        "assumed-role/TrainingRole/SageMaker"
        in json.loads(e["CloudTrailEvent"])["userIdentity"]["arn"]
        for e in trail
    )


def test_cross_account_read_needs_the_bucket_policy(server: LiveServer, account_id: str) -> None:
    owner_id = server.create_account("data-science")
    owner = server.client("s3", owner_id)
    owner.create_bucket(Bucket="shared-models")
    owner.put_object(Bucket="shared-models", Key="model.tar.gz", Body=b"approved")
    access = job_access(server, account_id)
    url = parse_s3_url("s3://shared-models/model.tar.gz")
    with pytest.raises(ObjectAccessError) as caught:
        b"".join(access.read(url))
    assert "no resource-based policy allows the s3:GetObject action" in str(caught.value)
    policy: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:role/TrainingRole"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shared-models/*",
            }
        ],
    }
    owner.put_bucket_policy(Bucket="shared-models", Policy=json.dumps(policy))
    assert b"".join(access.read(url)) == b"approved"
