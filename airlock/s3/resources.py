"""CloudFormation resource types of S3: `AWS::S3::Bucket` and `AWS::S3::BucketPolicy`.

A bucket property Airlock's S3 does not implement is refused, never accepted and
ignored: a template that asks for replication or a lifecycle gets a failure that
says so.
"""

from __future__ import annotations

import json
from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import (
    BaseResource,
    Properties,
    ProviderContext,
    ResourceFailed,
    ResourceSpec,
    gone,
)

from .operations import api
from .public import FLAGS
from .service import bucket_arn

# Properties of AWS::S3::Bucket that need S3 features Airlock does not have yet.
UNSUPPORTED = (
    "AccelerateConfiguration",
    "AnalyticsConfigurations",
    "CorsConfiguration",
    "IntelligentTieringConfigurations",
    "InventoryConfigurations",
    "LifecycleConfiguration",
    "LoggingConfiguration",
    "MetadataConfiguration",
    "MetadataTableConfiguration",
    "MetricsConfigurations",
    "NotificationConfiguration",
    "ObjectLockConfiguration",
    "ReplicationConfiguration",
    "WebsiteConfiguration",
)
# Regions whose website endpoint joins the region with a dash (`s3-website-us-east-1`);
# the newer ones use a dot (`s3-website.eu-central-1`).
_DASHED_WEBSITE_REGIONS = frozenset(
    {
        "us-east-1",
        "us-west-1",
        "us-west-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "eu-west-1",
        "sa-east-1",
        "us-gov-west-1",
    }
)


def _true(value: Any) -> bool:
    """A template boolean: YAML gives True, a parameter gives the text "true"."""
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _unsupported(name: str) -> ResourceFailed:
    return ResourceFailed(f"Airlock does not support {name} on AWS::S3::Bucket yet")


def _check_supported(props: Properties) -> None:
    for name in UNSUPPORTED:
        if props.get(name) is not None:
            raise _unsupported(name)
    if _true(props.get("ObjectLockEnabled", False)):
        raise _unsupported("ObjectLockEnabled")
    # Buckets have no ACLs in Airlock: every one is private, which is all Private asks.
    acl = props.get("AccessControl")
    if acl not in (None, "Private"):
        raise ResourceFailed(
            f"Airlock does not support AccessControl {acl} on AWS::S3::Bucket yet "
            "(buckets have no ACLs: only Private)"
        )


def _encryption(props: Properties) -> dict[str, Any]:
    """`BucketEncryption` in the template's words → PutBucketEncryption's rules."""
    rules = []
    for rule in props["BucketEncryption"].get("ServerSideEncryptionConfiguration") or []:
        out: dict[str, Any] = {}
        if rule.get("ServerSideEncryptionByDefault") is not None:
            out["ApplyServerSideEncryptionByDefault"] = dict(rule["ServerSideEncryptionByDefault"])
        if rule.get("BucketKeyEnabled") is not None:
            out["BucketKeyEnabled"] = _true(rule["BucketKeyEnabled"])
        rules.append(out)
    return {"Rules": rules}


# Settings that are each a Put of a template property, or a Delete once it is removed:
# (property, Put operation, its parameter, Delete operation, property → parameter value).
_SETTINGS: tuple[tuple[str, str, str, str, Any], ...] = (
    (
        "BucketEncryption",
        "PutBucketEncryption",
        "ServerSideEncryptionConfiguration",
        "DeleteBucketEncryption",
        _encryption,
    ),
    (
        "PublicAccessBlockConfiguration",
        "PutPublicAccessBlock",
        "PublicAccessBlockConfiguration",
        "DeletePublicAccessBlock",
        lambda props: {
            flag: _true(props["PublicAccessBlockConfiguration"].get(flag, False)) for flag in FLAGS
        },
    ),
    (
        "OwnershipControls",
        "PutBucketOwnershipControls",
        "OwnershipControls",
        "DeleteBucketOwnershipControls",
        lambda props: {"Rules": list(props["OwnershipControls"].get("Rules") or [])},
    ),
)


class Bucket(BaseResource):
    """A bucket; `Ref` is its name, the domain names are S3's for the stack's region."""

    type_name = "AWS::S3::Bucket"
    spec = ResourceSpec(
        properties=frozenset(
            {
                *UNSUPPORTED,
                "AccessControl",
                "BucketEncryption",
                "BucketName",
                "ObjectLockEnabled",
                "OwnershipControls",
                "PublicAccessBlockConfiguration",
                "Tags",
                "VersioningConfiguration",
            }
        ),
        create_only=frozenset({"BucketName", "ObjectLockEnabled"}),
        attributes=frozenset(
            {"Arn", "DomainName", "DualStackDomainName", "RegionalDomainName", "WebsiteURL"}
        ),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        _check_supported(props)
        # Stack names and logical ids are letters, digits and dashes: lower-cased,
        # `<stack>-<logicalid>-<suffix>` is a valid bucket name.
        name = str(props.get("BucketName") or pc.physical_name(63, lower=True))
        request: dict[str, Any] = {"Bucket": name}
        if pc.region != "us-east-1":
            request["CreateBucketConfiguration"] = {"LocationConstraint": pc.region}
        pc.call("s3", "CreateBucket", request, creates=lambda _: name)
        return name

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        _check_supported(props)
        bucket = {"Bucket": physical_id}
        before = old or {}
        status = (props.get("VersioningConfiguration") or {}).get("Status")
        if status is None and before.get("VersioningConfiguration"):
            status = "Suspended"  # a versioned bucket never goes back to unversioned
        if status is not None:
            request = {**bucket, "VersioningConfiguration": {"Status": status}}
            pc.call("s3", "PutBucketVersioning", request)
        tags = pc.resource_tags(props)
        if tags:
            pc.call("s3", "PutBucketTagging", {**bucket, "Tagging": {"TagSet": tags}})
        elif old is not None and pc.resource_tags(old):
            pc.call("s3", "DeleteBucketTagging", bucket)
        for prop, put, param, remove, value in _SETTINGS:
            if props.get(prop) is not None:
                pc.call("s3", put, {**bucket, param: value(props)})
            elif before.get(prop) is not None:
                pc.call("s3", remove, bucket)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        region = pc.region
        joiner = "-" if region in _DASHED_WEBSITE_REGIONS else "."
        return {
            "Ref": physical_id,
            "Arn": bucket_arn(physical_id),
            "DomainName": f"{physical_id}.s3.amazonaws.com",
            "RegionalDomainName": f"{physical_id}.s3.{region}.amazonaws.com",
            "DualStackDomainName": f"{physical_id}.s3.dualstack.{region}.amazonaws.com",
            "WebsiteURL": f"http://{physical_id}.s3-website{joiner}{region}.amazonaws.com",
        }

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        # A bucket with objects fails with BucketNotEmpty, as in CloudFormation.
        _delete(pc, "DeleteBucket", physical_id)


def _delete(pc: ProviderContext, operation: str, bucket: str) -> None:
    """A delete of the bucket or its policy; a bucket already gone has nothing to delete."""
    try:
        pc.call("s3", operation, {"Bucket": bucket})
    except ServiceError as error:
        if not gone(error):
            raise


def _policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


class BucketPolicy(BaseResource):
    """A bucket's policy, known (and `Ref`'d) by the bucket's name, as the registry type is.

    A bucket that already has a policy is refused rather than overwritten.
    """

    type_name = "AWS::S3::BucketPolicy"
    spec = ResourceSpec(
        properties=frozenset({"Bucket", "PolicyDocument"}),
        required=frozenset({"Bucket", "PolicyDocument"}),
        create_only=frozenset({"Bucket"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        bucket = str(props["Bucket"])
        try:
            pc.call("s3", "GetBucketPolicy", {"Bucket": bucket})
        except ServiceError as error:
            if error.code != "NoSuchBucketPolicy":
                raise
        else:
            raise ResourceFailed(
                f"Resource of type '{self.type_name}' with identifier '{bucket}' already exists."
            )
        request = {"Bucket": bucket, "Policy": _policy_text(props["PolicyDocument"])}
        pc.call("s3", "PutBucketPolicy", request, creates=lambda _: bucket)
        return bucket

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is not None and props["PolicyDocument"] != old["PolicyDocument"]:
            request = {"Bucket": physical_id, "Policy": _policy_text(props["PolicyDocument"])}
            pc.call("s3", "PutBucketPolicy", request)

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        _delete(pc, "DeleteBucketPolicy", physical_id)


api.resource_type(Bucket())
api.resource_type(BucketPolicy())
