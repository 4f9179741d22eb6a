"""Authentication: SigV4 signatures, presigned URLs and aws-chunked bodies."""

from .chunked import decode_aws_chunked, verify_checksum
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
    "Family",
    "SignatureInfo",
    "auth_error",
    "canonical_request",
    "decode_aws_chunked",
    "parse_signature",
    "signing_key",
    "string_to_sign",
    "verify",
    "verify_checksum",
]
