"""Artifacts in the artifact store: AWS's key layout, read and written as the pipeline's role.

Every read and write is an s3 GetObject or PutObject through the call path, so the role's
policies and the bucket's decide, and the trail records CodePipeline as `invokedBy`.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from typing import Any

from airlock.core.calls import call
from airlock.core.context import RequestContext
from airlock.core.pipeline_actions import ArtifactLocation

_ALPHABET = string.ascii_letters + string.digits


def artifact_key(pipeline: str, artifact: str) -> str:
    """`<pipeline name, 20 characters>/<artifact name, 10 characters>/<7 random characters>`."""
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(7))
    return f"{pipeline[:20]}/{artifact[:10]}/{suffix}"


class ArtifactError(Exception):
    """An artifact could not be read or written; the message says which and why."""


def reader(
    platform: Any, ctx: RequestContext, inputs: tuple[ArtifactLocation, ...]
) -> Callable[[str], bytes]:
    """`ActionJob.read_artifact`: an input artifact's bytes, by name, as `ctx`."""
    by_name = {a.name: a for a in inputs}

    def read(name: str) -> bytes:
        where = by_name.get(name)
        if where is None:
            raise ArtifactError(f"{name} is not an input artifact of this action")
        out = call(platform, ctx, "s3", "GetObject", {"Bucket": where.bucket, "Key": where.key})
        body = out["Body"]
        try:
            return b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return read


def writer(
    platform: Any, ctx: RequestContext, outputs: tuple[ArtifactLocation, ...]
) -> Callable[[str, bytes], None]:
    """`ActionJob.write_artifact`: store an output artifact's zip, by name, as `ctx`."""
    by_name = {a.name: a for a in outputs}

    def write(name: str, data: bytes) -> None:
        where = by_name.get(name)
        if where is None:
            raise ArtifactError(f"{name} is not an output artifact of this action")
        call(
            platform,
            ctx,
            "s3",
            "PutObject",
            {
                "Bucket": where.bucket,
                "Key": where.key,
                "Body": data,
                "ContentType": "application/zip",
            },
        )

    return write
