"""S3 bucket settings: default encryption, Block Public Access and object ownership.

Each has a Put, Get and Delete operation; S3 authorizes the Delete as the Put
(`s3:PutEncryptionConfiguration`, `s3:PutBucketPublicAccessBlock`,
`s3:PutBucketOwnershipControls`).
"""

from __future__ import annotations

from typing import Any

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from . import errors
from .operations import _bucket_resource, api
from .public import FLAGS
from .service import S3Service

# Every bucket is encrypted with SSE-S3 unless told otherwise (S3's default since 2023).
DEFAULT_ENCRYPTION: list[dict[str, Any]] = [
    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
]
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
OBJECT_OWNERSHIP = ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced")


def _encryption_rule(rule: dict[str, Any]) -> dict[str, Any]:
    default = dict(rule.get("ApplyServerSideEncryptionByDefault") or {})
    algorithm = default.get("SSEAlgorithm")
    if algorithm not in SSE_ALGORITHMS:
        raise errors.MalformedXML()
    if default.get("KMSMasterKeyID") and algorithm == "AES256":
        raise errors.InvalidArgument(
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms "
            "or aws:kms:dsse"
        )
    out: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
    out["BucketKeyEnabled"] = bool(rule.get("BucketKeyEnabled", False))
    return out


@api.operation(
    "s3:PutEncryptionConfiguration", name="PutBucketEncryption", resources=_bucket_resource
)
def put_bucket_encryption(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Set the bucket's default encryption (one rule)."""
    bucket = svc.bucket(p["Bucket"])
    rules = (p.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    if len(rules) != 1:
        raise errors.MalformedXML()
    bucket.encryption = [_encryption_rule(rules[0])]
    return {}


@api.operation(
    "s3:GetEncryptionConfiguration", name="GetBucketEncryption", resources=_bucket_resource
)
def get_bucket_encryption(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """The bucket's default encryption (SSE-S3 when none was set)."""
    bucket = svc.bucket(p["Bucket"])
    return {"ServerSideEncryptionConfiguration": {"Rules": bucket.encryption or DEFAULT_ENCRYPTION}}


@api.operation(
    "s3:PutEncryptionConfiguration", name="DeleteBucketEncryption", resources=_bucket_resource
)
def delete_bucket_encryption(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Go back to the default encryption (SSE-S3)."""
    svc.bucket(p["Bucket"]).encryption = None
    return {}


@api.operation(
    "s3:PutBucketPublicAccessBlock", name="PutPublicAccessBlock", resources=_bucket_resource
)
def put_public_access_block(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Set the bucket's Block Public Access flags (an absent flag is false)."""
    bucket = svc.bucket(p["Bucket"])
    given = p.get("PublicAccessBlockConfiguration") or {}
    bucket.public_access_block = {flag: bool(given.get(flag, False)) for flag in FLAGS}
    return {}


@api.operation(
    "s3:GetBucketPublicAccessBlock", name="GetPublicAccessBlock", resources=_bucket_resource
)
def get_public_access_block(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """The bucket's Block Public Access flags."""
    bucket = svc.bucket(p["Bucket"])
    if bucket.public_access_block is None:
        raise errors.NoSuchPublicAccessBlockConfiguration(BucketName=bucket.name)
    return {"PublicAccessBlockConfiguration": dict(bucket.public_access_block)}


@api.operation(
    "s3:PutBucketPublicAccessBlock", name="DeletePublicAccessBlock", resources=_bucket_resource
)
def delete_public_access_block(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Remove the bucket's Block Public Access configuration."""
    svc.bucket(p["Bucket"]).public_access_block = None
    return {}


@api.operation("s3:PutBucketOwnershipControls", resources=_bucket_resource)
def put_bucket_ownership_controls(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Set the bucket's object ownership (one rule)."""
    bucket = svc.bucket(p["Bucket"])
    rules = (p.get("OwnershipControls") or {}).get("Rules") or []
    if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OBJECT_OWNERSHIP:
        raise errors.MalformedXML()
    bucket.ownership = rules[0]["ObjectOwnership"]
    return {}


@api.operation("s3:GetBucketOwnershipControls", resources=_bucket_resource)
def get_bucket_ownership_controls(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """The bucket's object ownership."""
    bucket = svc.bucket(p["Bucket"])
    if bucket.ownership is None:
        raise errors.OwnershipControlsNotFoundError(BucketName=bucket.name)
    return {"OwnershipControls": {"Rules": [{"ObjectOwnership": bucket.ownership}]}}


@api.operation(
    "s3:PutBucketOwnershipControls",
    name="DeleteBucketOwnershipControls",
    resources=_bucket_resource,
)
def delete_bucket_ownership_controls(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Remove the bucket's object ownership setting."""
    svc.bucket(p["Bucket"]).ownership = None
    return {}
