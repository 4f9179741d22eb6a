"""The AWS SigV4 test suite: canonical request, string to sign and verification per case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from airlock.auth import (
    AuthError,
    AuthFailure,
    canonical_request,
    parse_signature,
    string_to_sign,
    verify,
)
from airlock.core.http import Headers, HttpRequest
from tests.paths import CONFORMANCE

SUITE = CONFORMANCE / "sigv4"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)


def case_dirs() -> list[Path]:
    """Every folder of the suite that holds a request."""
    if not SUITE.is_dir():
        return []
    return sorted({p.parent for p in SUITE.rglob("*.req")})


def parse_raw_request(raw: bytes) -> HttpRequest:
    """An HttpRequest from the suite's raw HTTP text (continuation lines folded in)."""
    head, _, body = raw.partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    request_line = lines[0]
    method, _, rest = request_line.partition(" ")
    target = rest.rsplit(" ", 1)[0]
    path, _, query = target.partition("?")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
            continue
        name, _, value = line.partition(":")
        headers.append((name, value))
    return HttpRequest(method, path, query, Headers(headers), body)


CASES = case_dirs()


@pytest.mark.skipif(not CASES, reason=f"SigV4 suite not found at {SUITE}")
@pytest.mark.parametrize("case", CASES, ids=lambda p: str(p.relative_to(SUITE)))
def test_sigv4_case(case: Path, record_property: Callable[[str, object], None]) -> None:
    record_property("conformance", "sigv4")
    name = case.name
    # The signed request with the expected Authorization header (the .sreq of
    # get-vanilla-with-session-token carries a stale signature).
    request = parse_raw_request((case / f"{name}.sreq").read_bytes())
    request.headers.set("Authorization", (case / f"{name}.authz").read_text().strip())
    info = parse_signature(request)
    assert info is not None
    assert info.access_key_id == "AKIDEXAMPLE"
    canonical = canonical_request(request, info, s3=False)
    assert canonical == (case / f"{name}.creq").read_text()
    assert string_to_sign(info, canonical) == (case / f"{name}.sts").read_text()

    verify(request, info, SECRET, now=NOW, s3=False)
    with pytest.raises(AuthError) as caught:
        verify(request, info, SECRET[:-1] + "X", now=NOW, s3=False)
    assert caught.value.failure is AuthFailure.SIGNATURE_MISMATCH


def test_suite_is_complete() -> None:
    if not CASES:
        pytest.skip(f"SigV4 suite not found at {SUITE}")
    # 28 entries at the top level; the nested normalize-path and post-sts-token
    # folders hold 34 requests in all.
    assert len(CASES) == 34
