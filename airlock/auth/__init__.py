"""Authentication: SigV4 signatures, presigned URLs, aws-chunked bodies and git passwords."""

from .chunked import AwsChunkedDecoder, BadDigest, CheckedBody
from .errors import AuthError, AuthFailure, Family, auth_error
from .git_credentials import GitRefusal, GitSigner, verify_git_password
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
    "GitRefusal",
    "GitSigner",
    "SignatureInfo",
    "auth_error",
    "canonical_request",
    "parse_signature",
    "signing_key",
    "string_to_sign",
    "verify",
    "verify_git_password",
]
