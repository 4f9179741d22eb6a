"""S3 object operations: put, get, head, delete, copy, versioning."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from airlock.core.api import Output, Params, Resource
from airlock.core.context import RequestContext
from airlock.iam.enforce import authorize
from airlock.protocol.rest import HTTP_STATUS

from . import errors
from .conditions import check_conditions, parse_range
from .models import Bucket, ObjectVersion
from .objects import STORED_HEADERS, Staged, object_bytes, stage
from .operations import _bucket_resource, api
from .service import S3Service, bucket_arn, effective_policy

DEFAULT_CONTENT_TYPE = "binary/octet-stream"
STAGED = "@staged"  # the params key a staging step leaves its work under


def object_arn(bucket: str, key: str) -> str:
    """`arn:aws:s3:::BUCKET/KEY`."""
    return f"arn:aws:s3:::{bucket}/{key}"


def object_resource(svc: S3Service, bucket_name: str, key: str) -> Resource:
    """An object, owned by its bucket's account (bucket owner enforced) under the bucket policy."""
    bucket = svc.find(bucket_name)
    arn = object_arn(bucket_name, key)
    if bucket is None:
        return Resource(arn)
    return Resource(arn, bucket.account_id, policy=effective_policy(bucket))


def _object(svc: S3Service, ctx: RequestContext, p: Params) -> list[Resource]:
    return [object_resource(svc, str(p.get("Bucket", "")), str(p.get("Key", "")))]


def version_out(bucket: Bucket, version_id: str | None) -> dict[str, str]:
    """`VersionId` as S3 answers it: only for buckets that have had versioning turned on."""
    return {"VersionId": version_id} if bucket.versioning and version_id else {}


def checksum_out(checksums: dict[str, str]) -> dict[str, str]:
    """`ChecksumCRC32` and friends."""
    return {f"Checksum{algorithm}": value for algorithm, value in checksums.items()}


def stored_headers(p: Params) -> dict[str, str]:
    """The system headers an upload sets that reads send back."""
    kept = {name: str(p[name]) for name in STORED_HEADERS if p.get(name) is not None}
    encodings = [
        e.strip()
        for e in kept.pop("ContentEncoding", "").split(",")
        if e.strip() and e.strip().lower() != "aws-chunked"
    ]
    if encodings:
        kept["ContentEncoding"] = ",".join(encodings)
    return kept


MAX_KEY_BYTES = 1024


def check_key(key: str) -> None:
    """KeyTooLongError for keys over S3's 1024 bytes."""
    size = len(key.encode())
    if size > MAX_KEY_BYTES:
        raise errors.KeyTooLong(MaxSizeAllowed=str(MAX_KEY_BYTES), Size=str(size))


def _bucket_or_missing(platform: Any, name: str, key: str | None = None) -> None:
    """Refuse an upload before reading its body: the key is too long or the bucket missing."""
    if key is not None:
        check_key(key)
    with platform.db.read() as session:
        if S3Service(session, platform.clock, platform.blobs).find(name) is None:
            raise errors.NoSuchBucket(BucketName=name)


def _stage_body(platform: Any, ctx: RequestContext, p: Params) -> Any:
    """Stream the upload into the blob store before the transaction that records it."""
    _bucket_or_missing(platform, p["Bucket"], p["Key"])
    staged = stage(platform.blobs, p.pop("Body", None))
    p[STAGED] = staged
    return lambda: platform.blobs.delete(staged.blob.blob_id)


@api.operation("s3:PutObject", resources=_object, stage=_stage_body)
def put_object(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Store an object (a new version in a versioned bucket)."""
    bucket, row = store(svc, p, p[STAGED])
    return {"ETag": row.etag, **version_out(bucket, row.version_id), **checksum_out(row.checksums)}


def store(svc: S3Service, p: Params, staged: Staged) -> tuple[Bucket, ObjectVersion]:
    """Record staged bytes as the new current version of `p["Key"]` in `p["Bucket"]`."""
    bucket = svc.bucket(p["Bucket"])
    row = svc.objects.put(
        bucket,
        p["Key"],
        size=staged.blob.size,
        etag=staged.etag,
        segments=[staged.segment],
        content_type=p.get("ContentType") or DEFAULT_CONTENT_TYPE,
        headers=stored_headers(p),
        metadata=dict(p.get("Metadata") or {}),
        checksums=staged.checksums,
    )
    return bucket, row


def describe(bucket: Bucket, row: ObjectVersion, p: Params) -> Output:
    """The headers GetObject and HeadObject answer with."""
    out: Output = {
        "ContentLength": row.size,
        "ContentType": row.content_type or DEFAULT_CONTENT_TYPE,
        "ETag": row.etag,
        "LastModified": row.last_modified,
        "AcceptRanges": "bytes",
        "Metadata": dict(row.metadata_ or {}),
        **dict(row.headers or {}),
        **version_out(bucket, row.version_id),
    }
    if row.parts_count and p.get("PartNumber"):
        out["PartsCount"] = row.parts_count
    if p.get("ChecksumMode") == "ENABLED":
        out.update(checksum_out(row.checksums))
    for member in (
        "ContentType",
        "ContentLanguage",
        "Expires",
        "CacheControl",
        "ContentDisposition",
        "ContentEncoding",
    ):
        override = p.get(f"Response{member}")
        if override is not None:
            out[member] = override
    return out


def _conditions(row: ObjectVersion, p: Params, prefix: str) -> None:
    """The `If-*` conditions of a read (prefix "") or of a copy's source ("CopySource")."""
    check_conditions(
        row.etag,
        row.last_modified,
        if_match=p.get(f"{prefix}IfMatch"),
        if_none_match=p.get(f"{prefix}IfNoneMatch"),
        if_modified_since=p.get(f"{prefix}IfModifiedSince"),
        if_unmodified_since=p.get(f"{prefix}IfUnmodifiedSince"),
    )


def _read(svc: S3Service, p: Params, method: str, *, body: bool) -> Output:
    bucket = svc.bucket(p["Bucket"])
    row = svc.objects.get(bucket, p["Key"], p.get("VersionId"), method)
    _conditions(row, p, "")
    out = describe(bucket, row, p)
    byte_range = parse_range(p.get("Range"), row.size)
    if byte_range is not None:
        for algorithm in row.checksums or {}:  # a checksum is of the whole object only
            out.pop(f"Checksum{algorithm}", None)
        out.update(
            ContentLength=byte_range.length,
            ContentRange=byte_range.content_range,
            **{HTTP_STATUS: 206},
        )
    if body:
        out["Body"] = object_bytes(svc.blobs, row, byte_range)
    return out


@api.operation("s3:GetObject", resources=_object, version_action="s3:GetObjectVersion")
def get_object(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """An object's bytes (or a range), streamed from the blob store."""
    return _read(svc, p, "GET", body=True)


@api.operation(
    "s3:GetObject",
    name="HeadObject",
    resources=_object,
    readonly=True,
    version_action="s3:GetObjectVersion",
)
def head_object(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """An object's headers."""
    return _read(svc, p, "HEAD", body=False)


@api.operation("s3:DeleteObject", resources=_object, version_action="s3:DeleteObjectVersion")
def delete_object(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Delete an object, or add a delete marker in a versioned bucket."""
    bucket = svc.bucket(p["Bucket"])
    marker, version_id = svc.objects.delete(bucket, p["Key"], p.get("VersionId"))
    out: Output = {**version_out(bucket, version_id)}
    if marker:
        out["DeleteMarker"] = True
    return out


def _each_object(svc: S3Service, ctx: RequestContext, p: Params) -> list[Resource]:
    name = str(p.get("Bucket", ""))
    objects = (p.get("Delete") or {}).get("Objects") or []
    return [object_resource(svc, name, str(o.get("Key", ""))) for o in objects] or [
        Resource(bucket_arn(name))
    ]


@api.operation("s3:DeleteObject", name="DeleteObjects", resources=_each_object)
def delete_objects(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Delete up to 1000 keys (or versions) in one call."""
    bucket = svc.bucket(p["Bucket"])
    request = p["Delete"]
    objects = request.get("Objects") or []
    if len(objects) > 1000:
        raise errors.MalformedXML()
    deleted = []
    for entry in objects:
        marker, version_id = svc.objects.delete(bucket, entry["Key"], entry.get("VersionId"))
        result: dict[str, Any] = {"Key": entry["Key"]}
        if entry.get("VersionId"):
            result["VersionId"] = entry["VersionId"]
        if marker:
            result["DeleteMarker"] = True
            if not entry.get("VersionId") and version_id:
                result["DeleteMarkerVersionId"] = version_id
        deleted.append(result)
    return {"Deleted": [] if request.get("Quiet") else deleted}


def parse_copy_source(value: str) -> tuple[str, str, str | None]:
    """`bucket/key[?versionId=…]` (URL-encoded, optionally with a leading slash)."""
    text, _, query = value.partition("?")
    bucket, _, key = unquote(text).lstrip("/").partition("/")
    version = None
    if query.startswith("versionId="):
        version = unquote(query[len("versionId=") :])
    if not bucket or not key:
        raise errors.InvalidArgument(
            "Invalid copy source object key", ArgumentName="x-amz-copy-source"
        )
    return bucket, key, version


def read_source(
    platform: Any, ctx: RequestContext, copy_source: str, p: Params
) -> tuple[ObjectVersion, Bucket]:
    """The object a copy reads, once the caller may read it and its conditions hold."""
    bucket_name, key, version_id = parse_copy_source(copy_source)
    with platform.db.read() as session:
        svc = S3Service(session, platform.clock, platform.blobs)
        action = "s3:GetObjectVersion" if version_id else "s3:GetObject"
        authorize(
            session, platform.clock, ctx, action, [object_resource(svc, bucket_name, key)], "s3"
        )
        bucket = svc.bucket(bucket_name)
        row = svc.objects.get(bucket, key, version_id, "GET")
        try:
            _conditions(row, p, "CopySource")
        except errors.NotModified as error:  # a copy answers every failed condition with 412
            raise errors.PreconditionFailed(Condition="x-amz-copy-source-If-None-Match") from error
        session.expunge(row)
        session.expunge(bucket)
        return row, bucket


def _stage_copy(platform: Any, ctx: RequestContext, p: Params) -> Any:
    """Copy the source's bytes to a new blob (the caller may read it: checked here)."""
    _bucket_or_missing(platform, p["Bucket"], p["Key"])
    source, source_bucket = read_source(platform, ctx, p["CopySource"], p)
    same = (source_bucket.name, source.key) == (p["Bucket"], p["Key"])
    if same and p.get("MetadataDirective", "COPY") == "COPY" and not p.get("VersionId"):
        raise errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes."
        )
    staged = stage(platform.blobs, object_bytes(platform.blobs, source))
    p[STAGED] = (staged, source, source_bucket)
    return lambda: platform.blobs.delete(staged.blob.blob_id)


@api.operation("s3:PutObject", name="CopyObject", resources=_object, stage=_stage_copy)
def copy_object(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Copy an object (across buckets and accounts), keeping or replacing its metadata."""
    staged, source, source_bucket = p[STAGED]
    bucket = svc.bucket(p["Bucket"])
    replace = p.get("MetadataDirective", "COPY") == "REPLACE"
    row = svc.objects.put(
        bucket,
        p["Key"],
        size=staged.blob.size,
        etag=staged.etag,
        segments=[staged.segment],
        content_type=(p.get("ContentType") or DEFAULT_CONTENT_TYPE)
        if replace
        else source.content_type,
        headers=stored_headers(p) if replace else dict(source.headers or {}),
        metadata=dict(p.get("Metadata") or {}) if replace else dict(source.metadata_ or {}),
        checksums={} if source.parts_count else dict(source.checksums or {}),
    )
    out: Output = {
        "CopyObjectResult": {"ETag": row.etag, "LastModified": row.last_modified},
        **version_out(bucket, row.version_id),
    }
    if source_bucket.versioning:
        out["CopySourceVersionId"] = source.version_id
    return out


@api.operation("s3:PutBucketVersioning", resources=_bucket_resource)
def put_bucket_versioning(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Turn versioning on or suspend it (a bucket never goes back to unversioned)."""
    bucket = svc.bucket(p["Bucket"])
    status = (p.get("VersioningConfiguration") or {}).get("Status")
    if status not in ("Enabled", "Suspended"):
        raise errors.MalformedXML()
    bucket.versioning = status
    return {}


@api.operation("s3:GetBucketVersioning", resources=_bucket_resource)
def get_bucket_versioning(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """The bucket's versioning status (absent if it was never turned on)."""
    bucket = svc.bucket(p["Bucket"])
    return {"Status": bucket.versioning} if bucket.versioning else {}
