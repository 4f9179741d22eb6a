"""S3's query-string authentication of signature version 2 (presigned URLs).

boto3 still presigns S3 URLs this way unless the client is configured for `s3v4`,
so the URLs people paste into a browser or `curl` are usually of this form:
`?AWSAccessKeyId=…&Expires=<epoch seconds>&Signature=<base64 HMAC-SHA1>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from airlock.core.http import HttpRequest

from .errors import AuthError, AuthFailure

# Query parameters that are part of the signed resource, as S3 lists them.
SUBRESOURCES = frozenset(
    {
        "acl",
        "cors",
        "delete",
        "lifecycle",
        "location",
        "logging",
        "notification",
        "partNumber",
        "policy",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    }
)


def is_v2_query(query: dict[str, str]) -> bool:
    """Whether a query string carries a version 2 signature."""
    return "AWSAccessKeyId" in query and "Signature" in query


def expires_at(query: dict[str, str]) -> datetime:
    """When the URL stops working."""
    raw = query.get("Expires", "")
    if not raw.isdigit():
        raise AuthError(AuthFailure.MALFORMED, "Expires must be a number of epoch seconds.")
    return datetime.fromtimestamp(int(raw), UTC)


def _resource(path: str, query_string: str) -> str:
    signed = sorted(
        (k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k in SUBRESOURCES
    )
    if not signed:
        return path
    return path + "?" + "&".join(f"{k}={v}" if v else k for k, v in signed)


def string_to_sign(request: HttpRequest, path: str, expires: str) -> str:
    """What the client signed."""
    amz = sorted(
        (k.lower(), v.strip()) for k, v in request.headers if k.lower().startswith("x-amz-")
    )
    return "\n".join(
        [
            request.method,
            request.headers.get("content-md5", "") or "",
            request.headers.get("content-type", "") or "",
            expires,
            *(f"{k}:{v}" for k, v in amz),
            _resource(path, request.query_string),
        ]
    )


def verify_v2(request: HttpRequest, query: dict[str, str], secret: str, now: datetime) -> None:
    """Raise AuthError unless the URL is signed by `secret` and not expired."""
    deadline = expires_at(query)
    if now > deadline:
        raise AuthError(
            AuthFailure.PRESIGN_EXPIRED,
            f"Request has expired: it expired at {deadline:%Y-%m-%dT%H:%M:%SZ}.",
        )
    paths = [request.path or "/"]
    host = request.host.rsplit(":", 1)[0]
    label = host.split(".", 1)[0]
    if "." in host and not label.isdigit():  # virtual-hosted style: the bucket is in the host
        paths.append(f"/{label}{paths[0]}")
    key = secret.encode()
    for path in paths:
        text = string_to_sign(request, path, query["Expires"])
        expected = base64.b64encode(hmac.new(key, text.encode(), hashlib.sha1).digest()).decode()
        if hmac.compare_digest(expected, query["Signature"]):
            return
    raise AuthError(
        AuthFailure.SIGNATURE_MISMATCH,
        f"string to sign:\n{string_to_sign(request, paths[-1], query['Expires'])}",
    )
