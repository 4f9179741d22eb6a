"""Listing keys (v1, v2, versions) and versioned buckets through boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer

KEYS = [
    "a.txt",
    "data/2026/01/x.csv",
    "data/2026/01/y.csv",
    "data/2026/02/z.csv",
    "data/readme",
    "models/m1/model.tar.gz",
    "models/m2/model.tar.gz",
    "z/ü-unicode key",
]


@pytest.fixture
def s3(server: LiveServer, account_id: str) -> Any:
    client = server.client("s3", account_id)
    client.create_bucket(Bucket="lake")
    for key in KEYS:
        client.put_object(Bucket="lake", Key=key, Body=key.encode())
    return client


def test_list_v2_prefix_delimiter(s3: Any) -> None:
    everything = s3.list_objects_v2(Bucket="lake")
    assert [o["Key"] for o in everything["Contents"]] == KEYS
    assert everything["KeyCount"] == len(KEYS)
    assert everything["IsTruncated"] is False
    assert everything["Contents"][0]["Size"] == len(KEYS[0])
    assert "Owner" not in everything["Contents"][0]
    top = s3.list_objects_v2(Bucket="lake", Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["a.txt"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["data/", "models/", "z/"]
    data = s3.list_objects_v2(Bucket="lake", Prefix="data/", Delimiter="/")
    assert [o["Key"] for o in data["Contents"]] == ["data/readme"]
    assert [p["Prefix"] for p in data["CommonPrefixes"]] == ["data/2026/"]
    owners = s3.list_objects_v2(Bucket="lake", Prefix="models/", FetchOwner=True)
    assert all(o["Owner"]["ID"] for o in owners["Contents"])
    after = s3.list_objects_v2(Bucket="lake", StartAfter="data/readme")
    assert [o["Key"] for o in after["Contents"]] == KEYS[5:]


def test_list_v2_pages(s3: Any) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"Bucket": "lake", "MaxKeys": 3}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        pages += 1
        seen += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == KEYS
    assert pages == 3
    # Pages of common prefixes and keys together, through the paginator.
    paginator = s3.get_paginator("list_objects_v2")
    prefixes, keys = [], []
    for page in paginator.paginate(Bucket="lake", Delimiter="/", PaginationConfig={"PageSize": 1}):
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert (keys, prefixes) == (["a.txt"], ["data/", "models/", "z/"])
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket="lake", ContinuationToken="!!!")
    assert caught.value.response["Error"]["Code"] == "InvalidArgument"


def test_list_v1(s3: Any) -> None:
    paginator = s3.get_paginator("list_objects")
    keys = [
        o["Key"]
        for page in paginator.paginate(Bucket="lake", PaginationConfig={"PageSize": 2})
        for o in page.get("Contents", [])
    ]
    assert keys == KEYS
    first = s3.list_objects(Bucket="lake", MaxKeys=2, Delimiter="/")
    assert first["IsTruncated"] is True
    assert first["NextMarker"] == "data/"
    rest = s3.list_objects(Bucket="lake", Marker=first["NextMarker"], Delimiter="/")
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["models/", "z/"]


def test_versioned_overwrite_keeps_old_versions(s3: Any) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket="lake")
    s3.put_bucket_versioning(Bucket="lake", VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket="lake")["Status"] == "Enabled"
    v1 = s3.put_object(Bucket="lake", Key="model.tar.gz", Body=b"approved bytes")["VersionId"]
    v2 = s3.put_object(Bucket="lake", Key="model.tar.gz", Body=b"new bytes")["VersionId"]
    assert v1 != v2
    assert s3.get_object(Bucket="lake", Key="model.tar.gz")["Body"].read() == b"new bytes"
    old = s3.get_object(Bucket="lake", Key="model.tar.gz", VersionId=v1)
    assert (old["Body"].read(), old["VersionId"]) == (b"approved bytes", v1)
    deleted = s3.delete_object(Bucket="lake", Key="model.tar.gz")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="lake", Key="model.tar.gz")
    assert caught.value.response["Error"]["Code"] == "NoSuchKey"
    assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == (
        "true"
    )
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="lake", Key="model.tar.gz", VersionId=marker)
    assert caught.value.response["Error"]["Code"] == "MethodNotAllowed"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="lake", Key="model.tar.gz", VersionId="no-such-version")
    assert caught.value.response["Error"]["Code"] == "NoSuchVersion"
    assert s3.get_object(Bucket="lake", Key="model.tar.gz", VersionId=v1)["Body"].read() == (
        b"approved bytes"
    )
    listed = s3.list_object_versions(Bucket="lake", Prefix="model.tar.gz")
    assert [v["VersionId"] for v in listed["Versions"]] == [v2, v1]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker, True)]
    assert not any(v["IsLatest"] for v in listed["Versions"])
    # The key is gone from plain listings, not from the bucket.
    assert "model.tar.gz" not in [
        o["Key"] for o in s3.list_objects_v2(Bucket="lake").get("Contents", [])
    ]
    # Removing the marker (a versioned delete) brings the newest version back.
    s3.delete_object(Bucket="lake", Key="model.tar.gz", VersionId=marker)
    assert s3.get_object(Bucket="lake", Key="model.tar.gz")["Body"].read() == b"new bytes"
    s3.delete_object(Bucket="lake", Key="model.tar.gz", VersionId=v2)
    assert s3.get_object(Bucket="lake", Key="model.tar.gz")["Body"].read() == (b"approved bytes")
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_versioning(Bucket="lake", VersioningConfiguration={"Status": "Off"})
    assert caught.value.response["Error"]["Code"] == "MalformedXML"


def test_version_listing_pages_and_suspension(s3: Any) -> None:
    s3.put_bucket_versioning(Bucket="lake", VersioningConfiguration={"Status": "Enabled"})
    ids = [
        s3.put_object(Bucket="lake", Key="k", Body=str(i).encode())["VersionId"] for i in range(5)
    ]
    paginator = s3.get_paginator("list_object_versions")
    seen = [
        v["VersionId"]
        for page in paginator.paginate(Bucket="lake", Prefix="k", PaginationConfig={"PageSize": 2})
        for v in page.get("Versions", [])
    ]
    assert seen == list(reversed(ids))
    s3.put_bucket_versioning(Bucket="lake", VersioningConfiguration={"Status": "Suspended"})
    put = s3.put_object(Bucket="lake", Key="k", Body=b"null version")
    assert put["VersionId"] == "null"
    s3.put_object(Bucket="lake", Key="k", Body=b"null again")  # replaces the null version
    versions = s3.list_object_versions(Bucket="lake", Prefix="k")["Versions"]
    assert [v["VersionId"] for v in versions] == ["null", *reversed(ids)]
    assert s3.get_object(Bucket="lake", Key="k")["Body"].read() == b"null again"
