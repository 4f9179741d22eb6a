"""Blobs in an S3-compatible service, for when object bytes outgrow one machine.

Configured by URL: `s3://BUCKET/PREFIX?endpoint=http://host:port&region=us-east-1`,
with credentials from the usual AWS environment (variables, profile). Each blob
is one object `PREFIX/<blob id>`, written by multipart upload in 8 MiB parts so a
large blob never sits in memory whole; its digests are computed on the way.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.session
from botocore.exceptions import ClientError

from .blobs import CHUNK, BlobInfo, CorruptBlob, MissingBlob

PART_SIZE = 8 * 1024 * 1024


class RemoteBlobStore:
    """Blobs as objects in a bucket of an S3-compatible service."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def from_url(cls, url: str) -> RemoteBlobStore:
        """The store a `s3://bucket/prefix?endpoint=…&region=…` URL names."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(
                f"blob URL {url!r} is not of the form s3://BUCKET/PREFIX?endpoint=URL&region=NAME"
            )
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        session = botocore.session.get_session()
        client = session.create_client(
            "s3",
            endpoint_url=options.get("endpoint"),
            region_name=options.get("region", "us-east-1"),
        )
        return cls(client, parts.netloc, parts.path)

    def _key(self, blob_id: str) -> str:
        return f"{self.prefix}/{blob_id}" if self.prefix else blob_id

    def write(self, chunks: Iterable[bytes]) -> BlobInfo:
        """Store the bytes of `chunks` as a new blob (aborted upload on any failure)."""
        blob_id = uuid.uuid4().hex
        key = self._key(blob_id)
        md5, sha256, crc, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0, 0
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        parts: list[dict[str, Any]] = []
        try:
            for block in _blocks(chunks, PART_SIZE):
                md5.update(block)
                sha256.update(block)
                crc = zlib.crc32(block, crc)
                size += len(block)
                number = len(parts) + 1
                answer = self.client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number, Body=block
                )
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
            if not parts:  # an empty blob is one empty part
                answer = self.client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=1, Body=b""
                )
                parts.append({"PartNumber": 1, "ETag": answer["ETag"]})
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
            raise
        return BlobInfo(blob_id, size, md5.hexdigest(), sha256.hexdigest(), crc)

    def read(
        self, blob_id: str, *, sha256: str | None = None, start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """Yield the bytes from `start` to `end` (exclusive); a full read checks `sha256`."""
        whole = start == 0 and end is None
        if end is not None and end <= start:
            return iter([])
        extra: dict[str, str] = {}
        if not whole:
            extra["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(blob_id), **extra)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise MissingBlob(blob_id) from error
            raise
        return _checked(blob_id, answer["Body"], sha256 if whole else None)

    def delete(self, blob_id: str) -> None:
        """Remove a blob (deleting an absent object succeeds in S3)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(blob_id))


def _blocks(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def _checked(blob_id: str, body: Any, sha256: str | None) -> Iterator[bytes]:
    digest = hashlib.sha256()
    with body:
        for chunk in body.iter_chunks(CHUNK):
            digest.update(chunk)
            yield chunk
    if sha256 is not None and digest.hexdigest() != sha256:
        raise CorruptBlob(f"blob {blob_id} does not match its recorded SHA-256")
