"""S3 errors, as S3 names and words them."""

from __future__ import annotations

from airlock.core.errors import ClientFault


class S3Error(ClientFault):
    """Base of S3's client errors: S3's message unless one is given."""

    default_message = "The request failed."

    def __init__(
        self, message: str | None = None, *, headers: dict[str, str] | None = None, **fields: str
    ) -> None:
        super().__init__(message or self.default_message, fields=fields or None, headers=headers)


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


class NoSuchKey(S3Error):
    """`NoSuchKey` (404)."""

    code, http_status = "NoSuchKey", 404
    default_message = "The specified key does not exist."


class NoSuchVersion(S3Error):
    """`NoSuchVersion` (404)."""

    code, http_status = "NoSuchVersion", 404
    default_message = "The specified version does not exist."


class MethodNotAllowed(S3Error):
    """`MethodNotAllowed` (405): e.g. reading a delete marker."""

    code, http_status = "MethodNotAllowed", 405
    default_message = "The specified method is not allowed against this resource."


class InvalidRange(S3Error):
    """`InvalidRange` (416)."""

    code, http_status = "InvalidRange", 416
    default_message = "The requested range is not satisfiable"


class PreconditionFailed(S3Error):
    """`PreconditionFailed` (412)."""

    code, http_status = "PreconditionFailed", 412
    default_message = "At least one of the pre-conditions you specified did not hold"


class NotModified(S3Error):
    """304 Not Modified: sent without a body, as S3 does."""

    code, http_status = "NotModified", 304
    default_message = "Not Modified"


class NoSuchUpload(S3Error):
    """`NoSuchUpload` (404)."""

    code, http_status = "NoSuchUpload", 404
    default_message = (
        "The specified upload does not exist. The upload ID may be invalid, or the upload "
        "may have been aborted or completed."
    )


class InvalidPart(S3Error):
    """`InvalidPart` (400)."""

    code = "InvalidPart"
    default_message = (
        "One or more of the specified parts could not be found.  The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag."
    )


class InvalidPartOrder(S3Error):
    """`InvalidPartOrder` (400)."""

    code = "InvalidPartOrder"
    default_message = (
        "The list of parts was not in ascending order. Parts must be ordered by part number."
    )


class EntityTooSmall(S3Error):
    """`EntityTooSmall` (400)."""

    code = "EntityTooSmall"
    default_message = "Your proposed upload is smaller than the minimum allowed object size."


class EntityTooLarge(S3Error):
    """`EntityTooLarge` (400)."""

    code = "EntityTooLarge"
    default_message = "Your proposed upload exceeds the maximum allowed size"


class InvalidArgument(S3Error):
    """`InvalidArgument` (400)."""

    code = "InvalidArgument"
    default_message = "Invalid Argument"


class MalformedXML(S3Error):
    """`MalformedXML` (400)."""

    code = "MalformedXML"
    default_message = (
        "The XML you provided was not well-formed or did not validate against our published schema"
    )


class InvalidRequest(S3Error):
    """`InvalidRequest` (400)."""

    code = "InvalidRequest"


class KeyTooLong(S3Error):
    """`KeyTooLongError` (400): keys are at most 1024 bytes of UTF-8."""

    code = "KeyTooLongError"
    default_message = "Your key is too long"


class AccessDenied(S3Error):
    """`AccessDenied` (403) that S3 itself decides, e.g. a policy Block Public Access refuses."""

    code, http_status = "AccessDenied", 403
    default_message = "Access Denied"


class NoSuchPublicAccessBlockConfiguration(S3Error):
    """`NoSuchPublicAccessBlockConfiguration` (404)."""

    code, http_status = "NoSuchPublicAccessBlockConfiguration", 404
    default_message = "The public access block configuration was not found"


class OwnershipControlsNotFoundError(S3Error):
    """`OwnershipControlsNotFoundError` (404)."""

    code, http_status = "OwnershipControlsNotFoundError", 404
    default_message = "The bucket ownership controls were not found"
