"""Authentication: SigV4 signatures, presigned URLs and aws-chunked bodies."""

from .chunked import AwsChunkedDecoder, BadDigest, CheckedBody
from .errors import AuthError, AuthFailure, Family, auth_error
from .sigv4 import (
    SignatureInfo,
    canonical_request,
    parse_signature,
    signing_key,
    string_to_sign,
    verify,
)

__all__ = [
    "AuthError",
    "AuthFailure",
    "AwsChunkedDecoder",
    "BadDigest",
    "CheckedBody",
    "Family",
    "SignatureInfo",
    "auth_error",
    "canonical_request",
    "parse_signature",
    "signing_key",
    "string_to_sign",
    "verify",
]
