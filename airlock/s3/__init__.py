"""S3: buckets in one namespace across accounts, shared only by bucket policy; objects."""

from . import (
    bucket_settings,
    list_operations,
    multipart,
    object_operations,
    pipeline_action,
    resources,
)
from .operations import api
from .service import S3Service, bucket_arn

__all__ = [
    "S3Service",
    "api",
    "bucket_arn",
    "bucket_settings",
    "list_operations",
    "multipart",
    "object_operations",
    "pipeline_action",
    "resources",
]
