"""S3 bucket operations (REST-XML)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError, ValidationError

from . import errors
from .models import ObjectVersion, UploadPart
from .service import S3Service, bucket_arn, effective_policy

log = logging.getLogger("airlock.s3")


def _factory(platform: Any, session: Session) -> S3Service:
    return S3Service(session, platform.clock, platform.blobs)


def _invalid_input(error: ValidationError) -> ServiceError:
    """S3 has no ValidationException: a bad document is MalformedXML, a bad header or
    query value InvalidArgument."""
    if any("." in problem.member for problem in error.problems):
        return errors.MalformedXML()
    return errors.InvalidArgument(error.message)


def _sweep_orphans(platform: Any) -> None:
    """At start-up, delete blobs no row refers to (left by a crash mid-upload or mid-delete)."""
    listing = getattr(platform.blobs, "blob_ids", None)
    if listing is None:
        return
    platform.blobs.clear_unfinished()
    with platform.db.read() as session:
        referenced = set(session.scalars(select(UploadPart.blob_id)))
        for segments in session.scalars(select(ObjectVersion.segments)):
            referenced.update(segment[0] for segment in segments)
    orphans = [blob_id for blob_id in listing() if blob_id not in referenced]
    for blob_id in orphans:
        platform.blobs.delete(blob_id)
    if orphans:
        log.info("deleted %d blobs no object refers to", len(orphans))


api: ServiceApi[S3Service] = ServiceApi(
    "s3", _factory, validation_error=_invalid_input, on_start=_sweep_orphans
)


def _bucket_resource(svc: S3Service, ctx: RequestContext, p: Params) -> list[Resource]:
    """The bucket, owned by its account and governed by its policy."""
    name = str(p.get("Bucket", ""))
    bucket = svc.find(name)
    if bucket is None:
        return [Resource(bucket_arn(name))]
    return [Resource(bucket_arn(name), bucket.account_id, policy=effective_policy(bucket))]


def _policy_resource(svc: S3Service, ctx: RequestContext, p: Params) -> list[Resource]:
    """The bucket, for its policy's own operations: the root user of the owning account is
    not bound by the bucket policy there, so that a policy cannot lock the owner out (AWS
    documents this for GetBucketPolicy, PutBucketPolicy and DeleteBucketPolicy)."""
    resources = _bucket_resource(svc, ctx, p)
    bucket = resources[0]
    if ctx.principal.is_root and bucket.account_id == ctx.principal.account_id:
        return [Resource(bucket.arn, bucket.account_id)]
    return resources


def _owner(ctx: RequestContext) -> Output:
    return {"ID": ctx.account_id, "DisplayName": ctx.account_id}


@api.operation(
    "s3:CreateBucket",
    resources=lambda svc, ctx, p: [Resource(bucket_arn(str(p.get("Bucket", ""))))],
)
def create_bucket(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Create a bucket in the caller's region (us-east-1 takes no LocationConstraint)."""
    wanted = (p.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
    region = wanted or "us-east-1"
    if (wanted is None and ctx.region != "us-east-1") or (
        wanted is not None and wanted != ctx.region
    ):
        raise errors.IllegalLocationConstraint(
            f"The {wanted or 'unspecified'} location constraint is incompatible for the region "
            f"specific endpoint this request was sent to ({ctx.region})."
        )
    ownership = p.get("ObjectOwnership") or "BucketOwnerEnforced"
    svc.create(ctx.account_id, region, p["Bucket"], ownership)
    return {"Location": f"/{p['Bucket']}", "BucketArn": bucket_arn(p["Bucket"])}


@api.operation("s3:ListBucket", name="HeadBucket", resources=_bucket_resource)
def head_bucket(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Whether the bucket exists and the caller may use it (S3 authorizes it as ListBucket)."""
    bucket = svc.bucket(p["Bucket"])
    return {"BucketRegion": bucket.region, "BucketArn": bucket_arn(bucket.name)}


@api.operation("s3:DeleteBucket", resources=_bucket_resource)
def delete_bucket(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Delete an empty bucket."""
    svc.delete(p["Bucket"])
    return {}


@api.operation("s3:ListAllMyBuckets", name="ListBuckets")
def list_buckets(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """The caller's buckets."""
    buckets = [
        {"Name": b.name, "CreationDate": b.created_at, "BucketRegion": b.region}
        for b in svc.owned(ctx.account_id)
    ]
    return {"Buckets": buckets, "Owner": _owner(ctx)}


@api.operation("s3:GetBucketLocation", resources=_bucket_resource)
def get_bucket_location(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """The bucket's region (empty for us-east-1, as S3 answers)."""
    bucket = svc.bucket(p["Bucket"])
    return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}


@api.operation("s3:PutBucketPolicy", resources=_policy_resource)
def put_bucket_policy(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Set the bucket policy (a public one is refused while BlockPublicPolicy is on)."""
    policy = p["Policy"]
    text = policy.decode() if isinstance(policy, bytes) else policy
    svc.put_policy(p["Bucket"], text, caller_arn=ctx.principal.arn)
    return {}


@api.operation("s3:GetBucketPolicy", resources=_policy_resource)
def get_bucket_policy(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """The bucket policy."""
    bucket = svc.bucket(p["Bucket"])
    if bucket.policy is None:
        raise errors.NoSuchBucketPolicy(BucketName=bucket.name)
    return {"Policy": bucket.policy}


@api.operation("s3:DeleteBucketPolicy", resources=_policy_resource)
def delete_bucket_policy(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Remove the bucket policy."""
    svc.bucket(p["Bucket"]).policy = None
    return {}


@api.operation("s3:PutBucketTagging", resources=_bucket_resource)
def put_bucket_tagging(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Replace the bucket's tags."""
    svc.set_tags(p["Bucket"], p["Tagging"]["TagSet"])
    return {}


@api.operation("s3:GetBucketTagging", resources=_bucket_resource)
def get_bucket_tagging(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """The bucket's tags."""
    svc.bucket(p["Bucket"])
    tags = svc.tags(p["Bucket"])
    if not tags:
        raise errors.NoSuchTagSet(BucketName=p["Bucket"])
    return {"TagSet": tags}


@api.operation("s3:PutBucketTagging", name="DeleteBucketTagging", resources=_bucket_resource)
def delete_bucket_tagging(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Remove the bucket's tags (S3 authorizes it as PutBucketTagging)."""
    svc.set_tags(p["Bucket"], [])
    return {}
