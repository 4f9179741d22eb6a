"""S3 listings: ListObjectsV2, ListObjects and ListObjectVersions."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from . import errors
from .listing import Listing, list_current, list_versions
from .models import Bucket, ObjectVersion
from .operations import _bucket_resource, api
from .service import S3Service

MAX_KEYS = 1000


def _max_keys(p: Params, name: str = "MaxKeys") -> int:
    value = p.get(name, MAX_KEYS)
    if value < 0:
        raise errors.InvalidArgument(
            f"Argument {name.lower()} must be an integer between 0 and 2147483647",
            ArgumentName=name.lower(),
        )
    return int(min(value, MAX_KEYS))


def _encoder(p: Params) -> Any:
    if p.get("EncodingType") == "url":
        return lambda text: quote(text, safe="/")
    return lambda text: text


def _owner(bucket: Bucket) -> Output:
    return {"ID": bucket.account_id, "DisplayName": bucket.account_id}


def _entry(bucket: Bucket, row: ObjectVersion, encode: Any, owner: bool) -> Output:
    entry: Output = {
        "Key": encode(row.key),
        "LastModified": row.last_modified,
        "ETag": row.etag,
        "Size": row.size,
        "StorageClass": "STANDARD",
    }
    if row.checksums:
        entry["ChecksumAlgorithm"] = sorted(row.checksums)
    if owner:
        entry["Owner"] = _owner(bucket)
    return entry


def _common(p: Params, listing: Listing, encode: Any) -> Output:
    out: Output = {
        "Name": p["Bucket"],
        "Prefix": encode(p.get("Prefix") or ""),
        "IsTruncated": listing.truncated,
        "CommonPrefixes": [{"Prefix": encode(prefix)} for prefix in listing.prefixes],
    }
    if p.get("Delimiter"):
        out["Delimiter"] = encode(p["Delimiter"])
    if p.get("EncodingType"):
        out["EncodingType"] = p["EncodingType"]
    return out


def _current(svc: S3Service, p: Params, after: str | None) -> tuple[Bucket, Listing, Any, int]:
    """The bucket, a page of its current keys after `after`, the key encoder, the page size."""
    bucket = svc.bucket(p["Bucket"])
    max_keys = _max_keys(p)
    listing = list_current(
        svc.session,
        bucket.name,
        prefix=p.get("Prefix") or "",
        delimiter=p.get("Delimiter"),
        after=after or "",
        max_keys=max_keys,
    )
    return bucket, listing, _encoder(p), max_keys


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _untoken(token: str) -> str:
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise errors.InvalidArgument(
            "The continuation token provided is incorrect", ArgumentName="continuation-token"
        ) from error


@api.operation(
    "s3:ListBucket",
    name="ListObjectsV2",
    resources=_bucket_resource,
    condition_keys={"s3:prefix": "Prefix", "s3:delimiter": "Delimiter", "s3:max-keys": "MaxKeys"},
)
def list_objects_v2(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Current keys, a page at a time, with continuation tokens."""
    after = _untoken(p["ContinuationToken"]) if p.get("ContinuationToken") else p.get("StartAfter")
    bucket, listing, encode, max_keys = _current(svc, p, after)
    owner = bool(p.get("FetchOwner"))
    out = _common(p, listing, encode)
    out.update(
        Contents=[_entry(bucket, row, encode, owner) for row in listing.rows],
        MaxKeys=max_keys,
        KeyCount=len(listing.rows) + len(listing.prefixes),
    )
    if p.get("ContinuationToken"):
        out["ContinuationToken"] = p["ContinuationToken"]
    if p.get("StartAfter"):
        out["StartAfter"] = encode(p["StartAfter"])
    if listing.truncated and listing.last is not None:
        out["NextContinuationToken"] = _token(listing.last)
    return out


@api.operation(
    "s3:ListBucket",
    name="ListObjects",
    resources=_bucket_resource,
    condition_keys={"s3:prefix": "Prefix", "s3:delimiter": "Delimiter", "s3:max-keys": "MaxKeys"},
)
def list_objects(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Current keys, a page at a time, with markers (version 1 of the listing)."""
    bucket, listing, encode, max_keys = _current(svc, p, p.get("Marker"))
    out = _common(p, listing, encode)
    out.update(
        Contents=[_entry(bucket, row, encode, True) for row in listing.rows],
        MaxKeys=max_keys,
        Marker=encode(p.get("Marker") or ""),
    )
    if listing.truncated and listing.last is not None:
        out["NextMarker"] = encode(listing.last)
    return out


@api.operation(
    "s3:ListBucketVersions",
    name="ListObjectVersions",
    resources=_bucket_resource,
    condition_keys={"s3:prefix": "Prefix", "s3:delimiter": "Delimiter", "s3:max-keys": "MaxKeys"},
)
def list_object_versions(svc: S3Service, ctx: RequestContext, p: Params) -> Output:
    """Every version and delete marker, keys in order and newest first."""
    bucket = svc.bucket(p["Bucket"])
    encode = _encoder(p)
    max_keys = _max_keys(p)
    listing = list_versions(
        svc.session,
        bucket.name,
        prefix=p.get("Prefix") or "",
        delimiter=p.get("Delimiter"),
        key_marker=p.get("KeyMarker") or "",
        version_marker=p.get("VersionIdMarker"),
        max_keys=max_keys,
    )
    versions, markers = [], []
    for row in listing.rows:
        common = {
            "Key": encode(row.key),
            "VersionId": row.version_id,
            "IsLatest": row.is_latest,
            "LastModified": row.last_modified,
            "Owner": _owner(bucket),
        }
        if row.delete_marker:
            markers.append(common)
        else:
            versions.append(
                {**common, "ETag": row.etag, "Size": row.size, "StorageClass": "STANDARD"}
            )
    out = _common(p, listing, encode)
    out.update(
        Versions=versions,
        DeleteMarkers=markers,
        MaxKeys=max_keys,
        KeyMarker=encode(p.get("KeyMarker") or ""),
        VersionIdMarker=p.get("VersionIdMarker") or "",
    )
    if listing.truncated and listing.last is not None:
        out["NextKeyMarker"] = encode(listing.last)
        if listing.last_version is not None:
            out["NextVersionIdMarker"] = listing.last_version
    return out
