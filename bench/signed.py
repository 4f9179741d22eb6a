"""A lean SigV4 client for the benchmarks: what the gateway costs, not what boto3 costs.

boto3 spends about a millisecond of Python per call building, signing and parsing
it; eight boto3 threads in the benchmark's own process compete for one GIL with
each other. This client signs the same way (AWS4-HMAC-SHA256, header form,
signed payload hash) with a signing key derived once a day, on one keep-alive
connection per thread, so the figures measure the server.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import urllib.parse
from datetime import UTC, datetime


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class SignedConnection:
    """POSTs signed for one service and region over a keep-alive connection."""

    def __init__(
        self, port: int, access_key: str, secret: str, service: str, region: str = "us-east-1"
    ) -> None:
        self.host = f"127.0.0.1:{port}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.access_key, self.secret = access_key, secret
        self.service, self.region = service, region
        self._date = ""
        self._key = b""

    def _signing_key(self, date: str) -> bytes:
        if date != self._date:
            key = _hmac(f"AWS4{self.secret}".encode(), date)
            for part in (self.region, self.service, "aws4_request"):
                key = _hmac(key, part)
            self._date, self._key = date, key
        return self._key

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        """Send a signed POST; the status and body of the answer."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        scope = f"{stamp[:8]}/{self.region}/{self.service}/aws4_request"
        payload = hashlib.sha256(body).hexdigest()
        # Not S3: each path segment is URI-encoded twice in the canonical request.
        canonical_path = urllib.parse.quote(urllib.parse.quote(path, safe="/~"), safe="/~")
        names = "content-type;host;x-amz-date"
        canonical = (
            f"POST\n{canonical_path}\n\ncontent-type:{content_type}\nhost:{self.host}\n"
            f"x-amz-date:{stamp}\n\n{names}\n{payload}"
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        text = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{digest}"
        signature = hmac.new(self._signing_key(stamp[:8]), text.encode(), "sha256").hexdigest()
        headers = {
            "Content-Type": content_type,
            "Host": self.host,
            "X-Amz-Date": stamp,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
            f"SignedHeaders={names}, Signature={signature}",
        }
        self.connection.request("POST", path, body=body, headers=headers)
        answer = self.connection.getresponse()
        return answer.status, answer.read()
