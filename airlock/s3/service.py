"""S3 buckets: one global namespace, owned by accounts, shared only by bucket policy."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from airlock.iam.policy import MalformedPolicyDocument, PolicyKind, parse_policy
from airlock.platform.blobs import BlobStore
from airlock.platform.clock import Clock

from . import errors
from .models import Bucket, BucketTag, MultipartUpload
from .objects import S3Objects
from .public import is_public, restricted

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
BUCKET_POLICY_LIMIT = 20 * 1024


def check_bucket_name(name: str) -> None:
    """S3's naming rules; InvalidBucketName otherwise."""
    if (
        not _NAME.match(name)
        or ".." in name
        or _IP.match(name)
        or name.startswith("xn--")
        or name.endswith("-s3alias")
    ):
        raise errors.InvalidBucketName(BucketName=name)


def bucket_arn(name: str) -> str:
    """`arn:aws:s3:::NAME`."""
    return f"arn:aws:s3:::{name}"


def effective_policy(bucket: Bucket) -> str | None:
    """The bucket policy IAM evaluates: RestrictPublicBuckets confines its public grants."""
    block = bucket.public_access_block or {}
    if bucket.policy and block.get("RestrictPublicBuckets") and is_public(bucket.policy):
        return restricted(bucket.policy, bucket.account_id)
    return bucket.policy


class S3Service:
    """Buckets for callers in one transaction."""

    def __init__(self, session: Session, clock: Clock, blobs: BlobStore) -> None:
        self.session = session
        self.clock = clock
        self.blobs = blobs
        self.objects = S3Objects(session, clock)

    def find(self, name: str) -> Bucket | None:
        """A bucket of any account."""
        return self.session.get(Bucket, name)

    def bucket(self, name: str) -> Bucket:
        """A bucket, or NoSuchBucket."""
        bucket = self.find(name)
        if bucket is None:
            raise errors.NoSuchBucket(BucketName=name)
        return bucket

    def create(
        self, account_id: str, region: str, name: str, ownership: str = "BucketOwnerEnforced"
    ) -> Bucket:
        """A new bucket in the shared namespace (ACLs disabled unless `ownership` says)."""
        check_bucket_name(name)
        existing = self.find(name)
        if existing is not None:
            if existing.account_id == account_id:
                raise errors.BucketAlreadyOwnedByYou(BucketName=name)
            raise errors.BucketAlreadyExists(BucketName=name)
        bucket = Bucket(
            name=name,
            account_id=account_id,
            region=region,
            ownership=ownership,
            created_at=self.clock.now(),
        )
        self.session.add(bucket)
        self.session.flush()
        return bucket

    def owned(self, account_id: str) -> Sequence[Bucket]:
        """The account's buckets, by name."""
        return self.session.scalars(
            select(Bucket).where(Bucket.account_id == account_id).order_by(Bucket.name)
        ).all()

    def delete(self, name: str) -> None:
        """Delete an empty bucket (no versions, no delete markers, no uploads in progress)."""
        bucket = self.bucket(name)
        uploads = self.session.scalar(
            select(func.count()).select_from(MultipartUpload).where(MultipartUpload.bucket == name)
        )
        if self.objects.count(name) or uploads:
            raise errors.BucketNotEmpty(BucketName=name)
        self.session.execute(delete(BucketTag).where(BucketTag.bucket == name))
        self.session.delete(bucket)
        self.session.flush()

    def put_policy(self, name: str, policy: str, *, caller_arn: str) -> None:
        """Validate and set the bucket policy (its resource-based policy).

        A public policy is refused while the bucket's BlockPublicPolicy is on, with the
        AccessDenied S3 answers `caller_arn` with.
        """
        bucket = self.bucket(name)
        try:
            parse_policy(policy, PolicyKind.RESOURCE)
        except MalformedPolicyDocument as error:
            raise errors.MalformedPolicy(error.message) from error
        if len(policy.encode()) > BUCKET_POLICY_LIMIT:
            raise errors.MalformedPolicy("Policy exceeds the maximum allowed document size.")
        if (bucket.public_access_block or {}).get("BlockPublicPolicy") and is_public(policy):
            raise errors.AccessDenied(
                f"User: {caller_arn} is not authorized to perform: s3:PutBucketPolicy on "
                f"resource: {bucket_arn(name)} because public policies are blocked by the "
                "BlockPublicPolicy block public access setting."
            )
        bucket.policy = policy
        self.session.flush()

    def set_tags(self, name: str, tags: list[dict[str, str]]) -> None:
        """Replace the bucket's tag set."""
        self.bucket(name)
        self.session.execute(delete(BucketTag).where(BucketTag.bucket == name))
        for tag in tags:
            self.session.add(BucketTag(bucket=name, key=tag["Key"], value=tag["Value"]))
        self.session.flush()

    def tags(self, name: str) -> list[dict[str, str]]:
        """The bucket's tags, by key."""
        rows = self.session.scalars(
            select(BucketTag).where(BucketTag.bucket == name).order_by(BucketTag.key)
        )
        return [{"Key": r.key, "Value": r.value} for r in rows]
