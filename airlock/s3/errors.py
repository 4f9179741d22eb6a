"""S3 errors, as S3 names and words them."""

from __future__ import annotations

from airlock.core.errors import ClientFault


class S3Error(ClientFault):
    """Base of S3's client errors: S3's message unless one is given."""

    default_message = "The request failed."

    def __init__(self, message: str | None = None, **fields: str) -> None:
        super().__init__(message or self.default_message, fields=fields or None)


class NoSuchBucket(S3Error):
    """`NoSuchBucket` (404)."""

    code, http_status = "NoSuchBucket", 404
    default_message = "The specified bucket does not exist"


class BucketAlreadyExists(S3Error):
    """`BucketAlreadyExists` (409): another account owns the name."""

    code, http_status = "BucketAlreadyExists", 409
    default_message = (
        "The requested bucket name is not available. The bucket namespace is shared by all "
        "users of the system. Please select a different name and try again."
    )


class BucketAlreadyOwnedByYou(S3Error):
    """`BucketAlreadyOwnedByYou` (409)."""

    code, http_status = "BucketAlreadyOwnedByYou", 409
    default_message = (
        "Your previous request to create the named bucket succeeded and you already own it."
    )


class InvalidBucketName(S3Error):
    """`InvalidBucketName` (400)."""

    code = "InvalidBucketName"
    default_message = "The specified bucket is not valid."


class BucketNotEmpty(S3Error):
    """`BucketNotEmpty` (409)."""

    code, http_status = "BucketNotEmpty", 409
    default_message = "The bucket you tried to delete is not empty"


class NoSuchBucketPolicy(S3Error):
    """`NoSuchBucketPolicy` (404)."""

    code, http_status = "NoSuchBucketPolicy", 404
    default_message = "The bucket policy does not exist"


class MalformedPolicy(S3Error):
    """`MalformedPolicy` (400)."""

    code = "MalformedPolicy"
    default_message = "Policies must be valid JSON and the first byte must be '{'"


class NoSuchTagSet(S3Error):
    """`NoSuchTagSet` (404)."""

    code, http_status = "NoSuchTagSet", 404
    default_message = "The TagSet does not exist"


class IllegalLocationConstraint(S3Error):
    """`IllegalLocationConstraintException` (400)."""

    code = "IllegalLocationConstraintException"
    default_message = (
        "The unspecified location constraint is incompatible for the region specific "
        "endpoint this request was sent to."
    )
