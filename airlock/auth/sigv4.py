"""AWS Signature Version 4, checked on the server side.

The server recomputes the canonical request from the bytes it received, so
paths and query strings are taken raw (still percent-encoded) from the wire.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

from airlock.core.http import HttpRequest

from .errors import AuthError, AuthFailure
from .sigv2 import expires_at, is_v2_query, verify_v2

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SignatureInfo:
    """What a signed request claims: who signed it, for which scope, when and how."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    request_time: datetime
    session_token: str | None
    presigned: bool
    expires_seconds: int | None
    payload_hash: str
    # 2 for S3's presigned URLs of signature version 2 (auth.sigv2).
    version: int = 4

    @property
    def scope(self) -> str:
        """The credential scope: date/region/service/aws4_request."""
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def _parse_time(value: str) -> datetime:
    try:
        return datetime.strptime(value, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError) as error:
        raise AuthError(AuthFailure.MALFORMED, f"Invalid date {value!r}.") from error
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _credential(value: str) -> tuple[str, str, str, str]:
    parts = value.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AuthError(
            AuthFailure.MALFORMED,
            f"Credential should be scoped correctly: "
            f"'<access key>/<date>/<region>/<service>/aws4_request', got {value!r}.",
        )
    return parts[0], parts[1], parts[2], parts[3]


def parse_signature(request: HttpRequest) -> SignatureInfo | None:
    """The signature a request carries, or None when it carries none (anonymous)."""
    header = request.headers.get("authorization")
    query = dict(request.query_params())
    if header is not None:
        return _from_header(request, header)
    if "X-Amz-Signature" in query or "X-Amz-Credential" in query:
        return _from_query(request, query)
    if is_v2_query(query):
        return SignatureInfo(
            access_key_id=query["AWSAccessKeyId"],
            date="",
            region="",
            service="s3",
            signed_headers=(),
            signature=query["Signature"],
            request_time=expires_at(query),
            session_token=query.get("x-amz-security-token")
            or request.headers.get("x-amz-security-token"),
            presigned=True,
            expires_seconds=None,
            payload_hash=UNSIGNED_PAYLOAD,
            version=2,
        )
    return None


def _from_header(request: HttpRequest, header: str) -> SignatureInfo:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise AuthError(
            AuthFailure.MALFORMED,
            f"Unsupported Authorization scheme {algorithm!r}; sign requests with {ALGORITHM}.",
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if k not in fields]
    if missing:
        raise AuthError(
            AuthFailure.MALFORMED,
            f"Authorization header requires {', '.join(missing)} parameter(s). "
            f"Authorization={header}",
        )
    access_key, date, region, service = _credential(fields["Credential"])
    amz_date = request.headers.get("x-amz-date") or request.headers.get("date")
    if not amz_date:
        raise AuthError(
            AuthFailure.MALFORMED,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    content_hash = request.headers.get("x-amz-content-sha256")
    return SignatureInfo(
        access_key_id=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=tuple(fields["SignedHeaders"].lower().split(";")),
        signature=fields["Signature"],
        request_time=_parse_time(amz_date),
        session_token=request.headers.get("x-amz-security-token"),
        presigned=False,
        expires_seconds=None,
        payload_hash=content_hash or hashlib.sha256(request.body).hexdigest(),
    )


def _from_query(request: HttpRequest, query: dict[str, str]) -> SignatureInfo:
    required = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    ]
    missing = [k for k in required if k not in query]
    if missing:
        raise AuthError(
            AuthFailure.MALFORMED,
            f"Query-string authentication requires the {', '.join(missing)} parameter(s).",
        )
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise AuthError(AuthFailure.MALFORMED, f"X-Amz-Algorithm only supports {ALGORITHM}.")
    expires_raw = query.get("X-Amz-Expires", "")
    expires: int | None = None
    if expires_raw:
        if not expires_raw.isdigit() or not 1 <= int(expires_raw) <= MAX_PRESIGN_SECONDS:
            raise AuthError(
                AuthFailure.MALFORMED,
                "X-Amz-Expires must be a number of seconds between 1 and 604800 (seven days).",
            )
        expires = int(expires_raw)
    access_key, date, region, service = _credential(query["X-Amz-Credential"])
    content_hash = request.headers.get("x-amz-content-sha256") or query.get("X-Amz-Content-Sha256")
    if content_hash is None:
        # botocore presigns S3 URLs with UNSIGNED-PAYLOAD and other services with
        # the body's hash; a server cannot tell which, so both are tried in verify().
        content_hash = UNSIGNED_PAYLOAD
    return SignatureInfo(
        access_key_id=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=tuple(query["X-Amz-SignedHeaders"].lower().split(";")),
        signature=query["X-Amz-Signature"],
        request_time=_parse_time(query["X-Amz-Date"]),
        session_token=query.get("X-Amz-Security-Token")
        or request.headers.get("x-amz-security-token"),
        presigned=True,
        expires_seconds=expires,
        payload_hash=content_hash,
    )


def _uri_encode(value: str, safe: str = "") -> str:
    return quote(value, safe="-_.~" + safe)


def _normalize_path(path: str) -> str:
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    normalized = "/" + "/".join(segments)
    if path.endswith("/") and segments:
        normalized += "/"
    return normalized


def canonical_uri(raw_path: str, *, s3: bool) -> str:
    """The canonical URI of a raw request path.

    S3 signs the path exactly as sent. Other services sign a normalized path
    encoded once more, which is what botocore produces by quoting the wire path.
    """
    path = raw_path or "/"
    if s3:
        return path
    return _uri_encode(_normalize_path(path), safe="/")


def canonical_query(raw_query: str, *, presigned: bool) -> str:
    """Sorted, re-encoded query parameters (without the signature itself)."""
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        key, value = unquote(key), unquote(value)
        if presigned and key == "X-Amz-Signature":
            continue
        pairs.append((_uri_encode(key), _uri_encode(value)))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_headers(request: HttpRequest, names: tuple[str, ...]) -> str:
    """`name:value` lines for the signed headers, values trimmed and folded."""
    lines = []
    for name in names:
        values = [_WHITESPACE.sub(" ", v).strip() for v in request.headers.get_all(name)]
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)


def canonical_request(
    request: HttpRequest, info: SignatureInfo, *, s3: bool, payload_hash: str | None = None
) -> str:
    """The canonical request string the signature covers."""
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.path, s3=s3),
            canonical_query(request.query_string, presigned=info.presigned),
            canonical_headers(request, info.signed_headers),
            ";".join(info.signed_headers),
            payload_hash or info.payload_hash,
        ]
    )


def string_to_sign(info: SignatureInfo, canonical: str) -> str:
    """The string whose HMAC is the signature."""
    return scoped_string_to_sign(_stamp(info.request_time), info.scope, canonical)


def scoped_string_to_sign(stamp: str, scope: str, canonical: str) -> str:
    """The string to sign for a canonical request signed at `stamp` within `scope`."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return "\n".join([ALGORITHM, stamp, scope, digest])


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key for one day, region and service."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sign(key: bytes, text: str) -> str:
    """Hex HMAC-SHA256 of `text`."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_AMZ_DATE)


def check_time(info: SignatureInfo, now: datetime) -> None:
    """Reject requests signed too far from `now`, and expired presigned URLs."""
    signed = info.request_time
    if info.presigned:
        if info.expires_seconds is not None and now > signed + timedelta(
            seconds=info.expires_seconds
        ):
            raise AuthError(
                AuthFailure.PRESIGN_EXPIRED,
                f"Signature expired: {_stamp(signed)} + {info.expires_seconds}s is now "
                f"earlier than {_stamp(now)}.",
            )
        if signed > now + MAX_SKEW:
            raise AuthError(
                AuthFailure.SKEWED,
                f"Signature not yet current: {_stamp(signed)} is still later than "
                f"{_stamp(now + MAX_SKEW)} ({_stamp(now)} + 15 min.)",
            )
        return
    check_skew(signed, now)


def check_skew(signed: datetime, now: datetime) -> None:
    """Reject a signature made more than 15 minutes before or after `now`."""
    if signed < now - MAX_SKEW:
        raise AuthError(
            AuthFailure.SKEWED,
            f"Signature expired: {_stamp(signed)} is now earlier than "
            f"{_stamp(now - MAX_SKEW)} ({_stamp(now)} - 15 min.)",
        )
    if signed > now + MAX_SKEW:
        raise AuthError(
            AuthFailure.SKEWED,
            f"Signature not yet current: {_stamp(signed)} is still later than "
            f"{_stamp(now + MAX_SKEW)} ({_stamp(now)} + 15 min.)",
        )


def verify(
    request: HttpRequest, info: SignatureInfo, secret: str, *, now: datetime, s3: bool
) -> None:
    """Raise AuthError unless `info` is a valid, current signature of `request` by `secret`."""
    if info.version == 2:
        verify_v2(request, dict(request.query_params()), secret, now)
        return
    if info.date != info.request_time.strftime("%Y%m%d"):
        raise AuthError(
            AuthFailure.MALFORMED,
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
            f"date from HTTP: '{info.date}' != '{info.request_time.strftime('%Y%m%d')}'",
        )
    if "host" not in info.signed_headers:
        raise AuthError(AuthFailure.MALFORMED, "The host header must be signed.")
    check_time(info, now)
    # A streamed body is checked against its hash as it passes (auth.chunked.CheckedBody).
    body_hash = None if request.streaming else hashlib.sha256(request.body).hexdigest()
    if (
        body_hash is not None
        and _HEX64.fullmatch(info.payload_hash)
        and not info.presigned
        and not hmac.compare_digest(info.payload_hash, body_hash)
    ):
        raise AuthError(AuthFailure.PAYLOAD_HASH_MISMATCH, "body does not match its hash")
    key = signing_key(secret, info.date, info.region, info.service)
    candidates = [info.payload_hash]
    if info.presigned and info.payload_hash == UNSIGNED_PAYLOAD and body_hash is not None:
        candidates.append(body_hash)
    for payload in candidates:
        canonical = canonical_request(request, info, s3=s3, payload_hash=payload)
        expected = sign(key, string_to_sign(info, canonical))
        if hmac.compare_digest(expected, info.signature.lower()):
            return
    canonical = canonical_request(request, info, s3=s3)
    raise AuthError(
        AuthFailure.SIGNATURE_MISMATCH,
        f"canonical request:\n{canonical}\nstring to sign:\n{string_to_sign(info, canonical)}",
    )
