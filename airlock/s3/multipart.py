"""S3 multipart uploads: parts staged as blobs, completed into one object without copying."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, select

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext
from airlock.platform.blobs import discard_after_commit

from . import errors
from .conditions import parse_range
from .models import Bucket, MultipartUpload, UploadPart
from .object_operations import (
    DEFAULT_CONTENT_TYPE,
    STAGED,
    _bucket_or_missing,
    _object,
    check_key,
    checksum_out,
    read_source,
    stored_headers,
    version_out,
)
from .objects import Staged, multipart_etag, object_bytes, stage
from .operations import _bucket_resource, api
from .service import S3Service

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000
MAX_LISTED = 1000


def _upload(svc: S3Service, p: Params) -> tuple[Bucket, MultipartUpload]:
    bucket = svc.bucket(p["Bucket"])
    upload = svc.session.get(MultipartUpload, p["UploadId"])
    if upload is None or upload.bucket != bucket.name or upload.key != p["Key"]:
        raise errors.NoSuchUpload(UploadId=p["UploadId"])
    return bucket, upload


def _owner(bucket: Bucket) -> Output:
    return {"ID": bucket.account_id, "DisplayName": bucket.account_id}


@api.operation("s3:PutObject", name="CreateMultipartUpload", resources=_object)
def create_multipart_upload(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Start an upload whose parts come in separate calls."""
    check_key(p["Key"])
    bucket = svc.bucket(p["Bucket"])
    upload = MultipartUpload(
        upload_id=secrets.token_urlsafe(48),
        bucket=bucket.name,
        key=p["Key"],
        content_type=p.get("ContentType") or DEFAULT_CONTENT_TYPE,
        headers=stored_headers(p),
        metadata_=dict(p.get("Metadata") or {}),
        checksum_algorithm=p.get("ChecksumAlgorithm"),
        initiator_arn=ctx.principal.arn,
        initiated=svc.clock.now(),
    )
    svc.session.add(upload)
    out: Output = {"Bucket": bucket.name, "Key": p["Key"], "UploadId": upload.upload_id}
    if upload.checksum_algorithm:
        out["ChecksumAlgorithm"] = upload.checksum_algorithm
    return out


def _check_part(platform: Any, p: Params) -> None:
    number = p["PartNumber"]
    if not 1 <= number <= MAX_PART_NUMBER:
        raise errors.InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=str(number),
        )
    _bucket_or_missing(platform, p["Bucket"])
    with platform.db.read() as session:
        _upload(S3Service(session, platform.clock, platform.blobs), p)


def _stage_part(platform: Any, ctx: RequestContext, p: Params) -> Any:
    _check_part(platform, p)
    staged = stage(platform.blobs, p.pop("Body", None))
    p[STAGED] = staged
    return lambda: platform.blobs.delete(staged.blob.blob_id)


def _record_part(svc: S3Service, p: Params, staged: Staged) -> UploadPart:
    _, upload = _upload(svc, p)
    previous = svc.session.get(UploadPart, (upload.upload_id, p["PartNumber"]))
    if previous is not None:
        discard_after_commit(svc.session, [previous.blob_id])
        svc.session.delete(previous)
        svc.session.flush()
    part = UploadPart(
        upload_id=upload.upload_id,
        part_number=p["PartNumber"],
        blob_id=staged.blob.blob_id,
        size=staged.blob.size,
        sha256=staged.blob.sha256,
        etag=staged.etag,
        checksums=staged.checksums,
        last_modified=svc.clock.now(),
    )
    svc.session.add(part)
    svc.session.flush()
    return part


@api.operation("s3:PutObject", name="UploadPart", resources=_object, stage=_stage_part)
def upload_part(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Store one part (again: a part number uploaded twice keeps the later bytes)."""
    part = _record_part(svc, p, p[STAGED])
    return {"ETag": part.etag, **checksum_out(part.checksums)}


def _stage_part_copy(platform: Any, ctx: RequestContext, p: Params) -> Any:
    _check_part(platform, p)
    source, _ = read_source(platform, ctx, p["CopySource"], p)
    byte_range = None
    if p.get("CopySourceRange"):
        byte_range = parse_range(p["CopySourceRange"], source.size)
        if byte_range is None:
            raise errors.InvalidArgument(
                "The x-amz-copy-source-range value must be of the form bytes=first-last where "
                "first and last are the zero-based offsets of the first and last bytes to copy",
                ArgumentName="x-amz-copy-source-range",
                ArgumentValue=p["CopySourceRange"],
            )
    staged = stage(platform.blobs, object_bytes(platform.blobs, source, byte_range))
    p[STAGED] = (staged, source)
    return lambda: platform.blobs.delete(staged.blob.blob_id)


@api.operation("s3:PutObject", name="UploadPartCopy", resources=_object, stage=_stage_part_copy)
def upload_part_copy(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """A part copied from (a range of) another object."""
    staged, source = p[STAGED]
    part = _record_part(svc, p, staged)
    out: Output = {"CopyPartResult": {"ETag": part.etag, "LastModified": part.last_modified}}
    if source.version_id != "null":
        out["CopySourceVersionId"] = source.version_id
    return out


def _parts(svc: S3Service, upload_id: str) -> list[UploadPart]:
    return list(
        svc.session.scalars(
            select(UploadPart)
            .where(UploadPart.upload_id == upload_id)
            .order_by(UploadPart.part_number)
        )
    )


def _drop(svc: S3Service, upload: MultipartUpload) -> None:
    svc.session.execute(delete(UploadPart).where(UploadPart.upload_id == upload.upload_id))
    svc.session.delete(upload)
    svc.session.flush()


@api.operation("s3:PutObject", name="CompleteMultipartUpload", resources=_object)
def complete_multipart_upload(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Join the listed parts, in order, into the object."""
    bucket, upload = _upload(svc, p)
    listed = (p.get("MultipartUpload") or {}).get("Parts") or []
    if not listed:
        raise errors.MalformedXML()
    stored = {part.part_number: part for part in _parts(svc, upload.upload_id)}
    chosen: list[UploadPart] = []
    for entry in listed:
        number = entry.get("PartNumber")
        if chosen and number is not None and number <= chosen[-1].part_number:
            raise errors.InvalidPartOrder(UploadId=upload.upload_id)
        part = stored.get(number) if number is not None else None
        if part is None or (entry.get("ETag") or "").strip('"') != part.etag.strip('"'):
            raise errors.InvalidPart(
                UploadId=upload.upload_id, PartNumber=str(number), ETag=str(entry.get("ETag"))
            )
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_SIZE:
            raise errors.EntityTooSmall(
                ProposedSize=str(part.size),
                MinSizeAllowed=str(MIN_PART_SIZE),
                PartNumber=str(part.part_number),
                ETag=part.etag,
            )
    used = {part.part_number for part in chosen}
    discard_after_commit(svc.session, [part.blob_id for n, part in stored.items() if n not in used])
    row = svc.objects.put(
        bucket,
        upload.key,
        size=sum(part.size for part in chosen),
        etag=multipart_etag([part.etag for part in chosen]),
        segments=[[part.blob_id, part.size, part.sha256] for part in chosen],
        content_type=upload.content_type,
        headers=dict(upload.headers or {}),
        metadata=dict(upload.metadata_ or {}),
        checksums={},
        parts_count=len(chosen),
    )
    _drop(svc, upload)
    return {
        "Location": f"/{bucket.name}/{upload.key}",
        "Bucket": bucket.name,
        "Key": upload.key,
        "ETag": row.etag,
        **version_out(bucket, row.version_id),
    }


@api.operation("s3:AbortMultipartUpload", resources=_object)
def abort_multipart_upload(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Drop an upload and its parts."""
    _, upload = _upload(svc, p)
    discard_after_commit(svc.session, [part.blob_id for part in _parts(svc, upload.upload_id)])
    _drop(svc, upload)
    return {}


@api.operation("s3:ListMultipartUploadParts", name="ListParts", resources=_object)
def list_parts(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """The parts uploaded so far, by number."""
    bucket, upload = _upload(svc, p)
    marker = p.get("PartNumberMarker") or 0
    limit = min(p.get("MaxParts", MAX_LISTED), MAX_LISTED)
    after = [part for part in _parts(svc, upload.upload_id) if part.part_number > marker]
    page = after[:limit]
    out: Output = {
        "Bucket": bucket.name,
        "Key": upload.key,
        "UploadId": upload.upload_id,
        "PartNumberMarker": marker,
        "MaxParts": limit,
        "IsTruncated": len(after) > limit,
        "Parts": [
            {
                "PartNumber": part.part_number,
                "LastModified": part.last_modified,
                "ETag": part.etag,
                "Size": part.size,
                **checksum_out(part.checksums),
            }
            for part in page
        ],
        "Initiator": {"ID": upload.initiator_arn, "DisplayName": upload.initiator_arn},
        "Owner": _owner(bucket),
        "StorageClass": "STANDARD",
    }
    if page:
        out["NextPartNumberMarker"] = page[-1].part_number
    return out


@api.operation(
    "s3:ListBucketMultipartUploads", name="ListMultipartUploads", resources=_bucket_resource
)
def list_multipart_uploads(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Uploads in progress, by key and then by when they started."""
    bucket = svc.bucket(p["Bucket"])
    prefix = p.get("Prefix") or ""
    key_marker = p.get("KeyMarker") or ""
    id_marker = p.get("UploadIdMarker") or ""
    limit = min(p.get("MaxUploads", MAX_LISTED), MAX_LISTED)
    rows = svc.session.scalars(
        select(MultipartUpload)
        .where(MultipartUpload.bucket == bucket.name, MultipartUpload.key >= key_marker)
        .order_by(MultipartUpload.key, MultipartUpload.initiated, MultipartUpload.upload_id)
    ).all()
    uploads = [
        u
        for u in rows
        if u.key.startswith(prefix)
        and (u.key > key_marker or (id_marker and u.key == key_marker and u.upload_id > id_marker))
    ]
    page = uploads[:limit]
    out: Output = {
        "Bucket": bucket.name,
        "KeyMarker": key_marker,
        "UploadIdMarker": id_marker,
        "Prefix": prefix,
        "MaxUploads": limit,
        "IsTruncated": len(uploads) > limit,
        "Uploads": [
            {
                "UploadId": u.upload_id,
                "Key": u.key,
                "Initiated": u.initiated,
                "StorageClass": "STANDARD",
                "Owner": _owner(bucket),
                "Initiator": {"ID": u.initiator_arn, "DisplayName": u.initiator_arn},
            }
            for u in page
        ],
    }
    if len(uploads) > limit and page:
        out["NextKeyMarker"] = page[-1].key
        out["NextUploadIdMarker"] = page[-1].upload_id
    return out
