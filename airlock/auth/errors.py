"""Authentication failures and the AWS error each protocol family reports for them."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from airlock.core.errors import ServiceError

Family = Literal["json", "query", "s3"]


class AuthFailure(Enum):
    """Why a request was not authenticated."""

    MISSING = "missing"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    SIGNATURE_MISMATCH = "signature_mismatch"
    SKEWED = "skewed"
    PRESIGN_EXPIRED = "presign_expired"
    INVALID_TOKEN = "invalid_token"
    EXPIRED_TOKEN = "expired_token"
    PAYLOAD_HASH_MISMATCH = "payload_hash_mismatch"


class AuthError(Exception):
    """A request failed authentication; `detail` is for the server log (or the message)."""

    def __init__(self, failure: AuthFailure, detail: str = "") -> None:
        super().__init__(f"{failure.value}: {detail}")
        self.failure = failure
        self.detail = detail


_INVALID_TOKEN = "The security token included in the request is invalid."
_JSON_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_S3_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)

# (code, HTTP status, message or None for "use the error's detail")
_TABLE: dict[Family, dict[AuthFailure, tuple[str, int, str | None]]] = {
    "json": {
        AuthFailure.MISSING: (
            "MissingAuthenticationTokenException",
            403,
            "Missing Authentication Token",
        ),
        AuthFailure.MALFORMED: ("IncompleteSignatureException", 400, None),
        AuthFailure.UNKNOWN_KEY: ("UnrecognizedClientException", 400, _INVALID_TOKEN),
        AuthFailure.INVALID_TOKEN: ("UnrecognizedClientException", 400, _INVALID_TOKEN),
        AuthFailure.SIGNATURE_MISMATCH: ("InvalidSignatureException", 400, _JSON_MISMATCH),
        AuthFailure.PAYLOAD_HASH_MISMATCH: ("InvalidSignatureException", 400, _JSON_MISMATCH),
        AuthFailure.SKEWED: ("InvalidSignatureException", 400, None),
        AuthFailure.PRESIGN_EXPIRED: ("InvalidSignatureException", 400, None),
        AuthFailure.EXPIRED_TOKEN: (
            "ExpiredTokenException",
            400,
            "The security token included in the request is expired",
        ),
    },
    "query": {
        AuthFailure.MISSING: (
            "MissingAuthenticationToken",
            403,
            "Request is missing Authentication Token",
        ),
        AuthFailure.MALFORMED: ("IncompleteSignature", 400, None),
        AuthFailure.UNKNOWN_KEY: ("InvalidClientTokenId", 403, _INVALID_TOKEN),
        AuthFailure.INVALID_TOKEN: ("InvalidClientTokenId", 403, _INVALID_TOKEN),
        AuthFailure.SIGNATURE_MISMATCH: ("SignatureDoesNotMatch", 403, _JSON_MISMATCH),
        AuthFailure.PAYLOAD_HASH_MISMATCH: ("SignatureDoesNotMatch", 403, _JSON_MISMATCH),
        AuthFailure.SKEWED: ("SignatureDoesNotMatch", 403, None),
        AuthFailure.PRESIGN_EXPIRED: ("SignatureDoesNotMatch", 403, None),
        AuthFailure.EXPIRED_TOKEN: (
            "ExpiredToken",
            403,
            "The security token included in the request is expired",
        ),
    },
    "s3": {
        AuthFailure.MISSING: ("AccessDenied", 403, "Access Denied"),
        AuthFailure.MALFORMED: ("AuthorizationHeaderMalformed", 400, None),
        AuthFailure.UNKNOWN_KEY: (
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        AuthFailure.INVALID_TOKEN: (
            "InvalidToken",
            400,
            "The provided token is malformed or otherwise invalid.",
        ),
        AuthFailure.SIGNATURE_MISMATCH: ("SignatureDoesNotMatch", 403, _S3_MISMATCH),
        AuthFailure.PAYLOAD_HASH_MISMATCH: (
            "XAmzContentSHA256Mismatch",
            400,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
        AuthFailure.SKEWED: (
            "RequestTimeTooSkewed",
            403,
            "The difference between the request time and the current time is too large.",
        ),
        AuthFailure.PRESIGN_EXPIRED: ("AccessDenied", 403, "Request has expired"),
        AuthFailure.EXPIRED_TOKEN: ("ExpiredToken", 400, "The provided token has expired."),
    },
}


def auth_error(error: AuthError, family: Family) -> ServiceError:
    """The client error AWS services of `family` answer with for this failure."""
    code, status, message = _TABLE[family][error.failure]
    return ServiceError(message or error.detail, code=code, http_status=status, sender_fault=True)
