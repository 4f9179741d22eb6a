"""Objects read and written by Airlock's own services, as a principal, through IAM.

A training job downloads its channels with the job's role; a deployment reads
the model artifact with the model's execution role. Every call here is decided
by the same policies as a call through the API (identity policies, the bucket
policy, SCPs) and recorded in the audit trail as made by the calling service.
A refusal is an `ObjectAccessError` whose message is a failure reason fit for
the calling resource (`FailureReason` of a job).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from airlock.audit import record
from airlock.core.calls import acting_context
from airlock.core.context import Principal, RequestContext
from airlock.core.errors import ServiceError
from airlock.iam.enforce import authorize

from .listing import list_current
from .object_operations import object_resource, store
from .objects import object_bytes, stage
from .service import S3Service


class ObjectAccessError(Exception):
    """A read or write a service could not make; the message says which and why."""


@dataclass(frozen=True)
class S3Url:
    """`s3://bucket/key`; the key may be a prefix."""

    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def child(self, key: str) -> S3Url:
        """Another key of the same bucket."""
        return S3Url(self.bucket, key)


def parse_s3_url(url: str) -> S3Url:
    """The bucket and key of an `s3://bucket/key` URL (ValueError if it is none)."""
    if not url.startswith("s3://"):
        raise ValueError(f"{url!r} is not an S3 URL: expected s3://bucket/key")
    bucket, _, key = url[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"{url!r} names no bucket: expected s3://bucket/key")
    return S3Url(bucket, key)


@dataclass(frozen=True)
class ObjectInfo:
    """What a service needs to know about an object it read."""

    url: S3Url
    size: int
    etag: str
    version_id: str
    # The SHA-256 of each stored segment: what the bytes were when they were written.
    sha256s: tuple[str, ...]


class ObjectAccess:
    """Object reads and writes by one principal (`ctx`), e.g. a job's role session."""

    def __init__(self, platform: Any, ctx: RequestContext) -> None:
        self.platform = platform
        self.ctx = ctx

    @classmethod
    def as_principal(cls, platform: Any, principal: Principal, invoked_by: str) -> ObjectAccess:
        """Access for a principal a service acts as (`invoked_by`: `sagemaker.amazonaws.com`)."""
        return cls(platform, acting_context(platform, principal, via=invoked_by, service="s3"))

    def _check(self, session: Any, svc: S3Service, action: str, url: S3Url, write: bool) -> None:
        resource = object_resource(svc, url.bucket, url.key)
        try:
            authorize(session, self.platform.clock, self.ctx, action, [resource], "s3")
        except ServiceError as error:
            self._audit(action, url, write, error=error)
            raise ObjectAccessError(f"{error.code} on {url}: {error.message}") from error

    def _audit(
        self, action: str, url: S3Url, write: bool, error: ServiceError | None = None
    ) -> None:
        with self.platform.db.write() as session:
            record(
                session,
                self.ctx,
                event_source="s3.amazonaws.com",
                operation=action.split(":", 1)[1],
                read_only=not write,
                params={"bucketName": url.bucket, "key": url.key},
                output=None,
                error=error,
                resources=[],
            )

    def head(self, url: S3Url) -> ObjectInfo:
        """The current version of an object, if the principal may read it."""
        with self.platform.db.read() as session:
            svc = S3Service(session, self.platform.clock, self.platform.blobs)
            self._check(session, svc, "s3:GetObject", url, write=False)
            row = self._current(svc, url)
            return ObjectInfo(
                url,
                row.size,
                row.etag,
                row.version_id,
                tuple(segment[2] for segment in row.segments),
            )

    def _current(self, svc: S3Service, url: S3Url) -> Any:
        try:
            return svc.objects.get(svc.bucket(url.bucket), url.key, None, "GET")
        except ServiceError as error:
            raise ObjectAccessError(f"{error.code} on {url}: {error.message}") from error

    def read(self, url: S3Url) -> Iterator[bytes]:
        """The object's bytes, if the principal may read it."""
        with self.platform.db.read() as session:
            svc = S3Service(session, self.platform.clock, self.platform.blobs)
            self._check(session, svc, "s3:GetObject", url, write=False)
            chunks = object_bytes(self.platform.blobs, self._current(svc, url))
        self._audit("s3:GetObject", url, write=False)
        return chunks

    def download(self, url: S3Url, target: Path) -> int:
        """Copy an object to a file; its size."""
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        with target.open("wb") as handle:
            for chunk in self.read(url):
                handle.write(chunk)
                size += len(chunk)
        return size

    def keys(self, prefix: S3Url) -> list[str]:
        """Every current key under a prefix (needs s3:ListBucket on the bucket)."""
        with self.platform.db.read() as session:
            svc = S3Service(session, self.platform.clock, self.platform.blobs)
            bucket_url = S3Url(prefix.bucket, "")
            resource = replace(
                object_resource(svc, prefix.bucket, ""), arn=f"arn:aws:s3:::{prefix.bucket}"
            )
            try:
                authorize(
                    session,
                    self.platform.clock,
                    self.ctx,
                    "s3:ListBucket",
                    [resource],
                    "s3",
                    {"s3:prefix": [prefix.key]},
                )
            except ServiceError as error:
                raise ObjectAccessError(f"{error.code} on {bucket_url}: {error.message}") from error
            if svc.find(prefix.bucket) is None:
                raise ObjectAccessError(f"NoSuchBucket: {bucket_url} does not exist")
            keys: list[str] = []
            after = ""
            while True:
                page = list_current(session, prefix.bucket, prefix=prefix.key, after=after)
                keys += [row.key for row in page.rows]
                if not page.truncated or page.last is None:
                    return keys
                after = page.last

    def download_prefix(
        self, prefix: S3Url, target: Path, shard: tuple[int, int] | None = None
    ) -> list[Path]:
        """Every object under a prefix into a folder, keeping the key's path below the prefix.

        `shard` (index, count) takes every count-th key from the index-th on, in key order.
        """
        written = []
        base = prefix.key if prefix.key.endswith("/") or not prefix.key else prefix.key + "/"
        keys = sorted(self.keys(prefix))
        for key in keys[shard[0] :: shard[1]] if shard else keys:
            relative = key[len(base) :] if key.startswith(base) else Path(key).name
            if not relative or relative.endswith("/"):
                continue
            path = target / relative
            self.download(prefix.child(key), path)
            written.append(path)
        return written

    def write(self, url: S3Url, chunks: Iterable[bytes], content_type: str | None = None) -> str:
        """Store bytes as the object's new current version; its ETag."""
        with self.platform.db.read() as session:
            svc = S3Service(session, self.platform.clock, self.platform.blobs)
            self._check(session, svc, "s3:PutObject", url, write=True)
        staged = stage(self.platform.blobs, chunks)
        try:
            with self.platform.db.write() as session:
                svc = S3Service(session, self.platform.clock, self.platform.blobs)
                try:  # decided again: the policy may have changed while the bytes streamed
                    resource = object_resource(svc, url.bucket, url.key)
                    authorize(
                        session, self.platform.clock, self.ctx, "s3:PutObject", [resource], "s3"
                    )
                except ServiceError as error:
                    raise ObjectAccessError(f"{error.code} on {url}: {error.message}") from error
                params = {"Bucket": url.bucket, "Key": url.key, "ContentType": content_type}
                try:
                    _, row = store(svc, params, staged)
                except ServiceError as error:
                    raise ObjectAccessError(f"{error.code} on {url}: {error.message}") from error
                record(
                    session,
                    self.ctx,
                    event_source="s3.amazonaws.com",
                    operation="PutObject",
                    read_only=False,
                    params={"bucketName": url.bucket, "key": url.key},
                    output=None,
                    error=None,
                    resources=[],
                )
                return row.etag
        except BaseException:
            self.platform.blobs.delete(staged.blob.blob_id)
            raise

    def upload(self, path: Path, url: S3Url, content_type: str | None = None) -> str:
        """Store a file as an object; its ETag."""
        with path.open("rb") as handle:
            return self.write(url, iter(lambda: handle.read(1024 * 1024), b""), content_type)
