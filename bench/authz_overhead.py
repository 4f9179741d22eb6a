"""Measure authentication + authorization per call, in process (no HTTP, no operation).

Run: .venv/bin/python -m bench.authz_overhead [--calls N]
Prints the median microseconds per call for a user with 1, 5 and 20 attached policies.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from airlock.auth import parse_signature, verify
from airlock.core.api import Resource
from airlock.core.context import RequestContext
from airlock.core.http import Headers, HttpRequest
from airlock.gateway import Airlock
from airlock.iam.authorizer import Authorizer
from airlock.iam.policies import PolicyStore
from airlock.iam.service import IamService
from airlock.identity import IdentityService
from airlock.settings import Settings


def _policy(index: int) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"S{index}",
                    "Effect": "Allow",
                    "Action": [f"s3:Get{index}*", "iam:List*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
                }
            ],
        }
    )


def measure(airlock: Airlock, policies: int, calls: int) -> float:
    """Median microseconds of SigV4 verification plus one IAM decision."""
    platform = airlock.platform
    with platform.db.write() as session:
        account = IdentityService(session, platform.clock).list_accounts()[0].id
        iam, store = IamService(session, platform.clock), PolicyStore(session, platform.clock)
        user = iam.create_user(account, f"bench{policies}", None, None)
        for index in range(policies):
            arn = store.create(account, f"P{policies}x{index}", _policy(index), None, None).arn
            store.attach(account, user.arn, arn)
        key = iam.create_access_key(account, user.name)[1]
        principal = iam.user_principal(user)
        key_id, secret = key.access_key_id, key.secret_access_key
    signed = AWSRequest(
        method="POST",
        url="http://127.0.0.1:4716/",
        data=b"Action=ListUsers&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(Credentials(key_id, secret), "iam", "us-east-1").add_auth(signed)
    request = HttpRequest(
        "POST",
        "/",
        "",
        Headers([*signed.headers.items(), ("Host", "127.0.0.1:4716")]),
        signed.body if isinstance(signed.body, bytes) else str(signed.body).encode(),
    )
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        info = parse_signature(request)
        assert info is not None
        with platform.db.read() as session:
            credential = IdentityService(session, platform.clock).resolve_key(info.access_key_id)
            assert credential is not None
            verify(request, info, credential.secret_access_key, now=datetime.now(UTC), s3=False)
            ctx = RequestContext(
                "bench", account, "us-east-1", principal, "127.0.0.1", datetime.now(UTC), "iam"
            )
            _, decision = Authorizer(session, platform.clock).decide(
                ctx, "iam:ListUsers", Resource("*")
            )
            assert decision.allowed
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        airlock = Airlock(Settings(state_dir=Path(tmp), run_controllers=False))
        for policies in (1, 5, 20):
            median = measure(airlock, policies, args.calls)
            print(
                f"authentication + authorization, {policies:2d} attached policies: "
                f"median {median:.0f} µs per call ({args.calls} calls)"
            )
        airlock.stop()


if __name__ == "__main__":
    main()
