"""A git credential helper that signs CodeCommit passwords with a build's container credentials.

CodeBuild's agent clones a CODECOMMIT source as the build's service role. Airlock does the
same with this helper, run as a script of its own (`python git_helper.py get`, standard library
only, so it starts in milliseconds where the aws CLI takes most of a second): for each `get` it
fetches fresh credentials from the build's container credentials endpoint
(AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN, as the SDKs do) and
answers git with the user name and password the aws CLI's `codecommit credential-helper` would
make from them: the access key id and `%` session token, and `<stamp>Z<SigV4 signature>` over
`GIT\\n<path>\\n\\nhost:<host>\\n\\nhost\\n`, scoped to `codecommit` in AWS_REGION.
`store` and `erase` are ignored: nothing is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TextIO

SERVICE = "codecommit"


def read_request(stream: TextIO) -> dict[str, str]:
    """git's `key=value` lines, up to the first empty one."""
    fields: dict[str, str] = {}
    for line in stream:
        line = line.rstrip("\n")
        if not line:
            break
        key, _, value = line.partition("=")
        fields[key] = value
    return fields


def password(secret: str, region: str, host: str, path: str, now: datetime) -> str:
    """The password for `path` (`/v1/repos/<name>`) on `host` (its port dropped) at `now`."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    date = stamp[:8]
    canonical = f"GIT\n{path}\n\nhost:{host.split(':')[0]}\n\nhost\n"
    scope = f"{date}/{region}/{SERVICE}/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    text = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, digest])
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return stamp + "Z" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def container_credentials(env: Mapping[str, str]) -> dict[str, str]:
    """The credentials the build's container credentials endpoint hands out now."""
    request = urllib.request.Request(
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        headers={"Authorization": env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN", "")},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, str] = json.load(response)
    return answer


def answer(fields: Mapping[str, str], credentials: Mapping[str, str], region: str) -> str:
    """The helper's answer to a `get` for `fields` (git's protocol, host and path)."""
    path = "/" + fields.get("path", "").lstrip("/")
    username = credentials["AccessKeyId"]
    if credentials.get("Token"):
        username += "%" + credentials["Token"]
    secret = password(
        credentials["SecretAccessKey"], region, fields.get("host", ""), path, datetime.now(UTC)
    )
    return f"username={username}\npassword={secret}\n"


def main(argv: list[str]) -> int:
    """Answer git's `get`; ignore `store` and `erase`."""
    if argv[1:2] != ["get"]:
        return 0
    fields = read_request(sys.stdin)
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    try:
        credentials = container_credentials(env)
    except (OSError, ValueError, KeyError) as error:
        print(f"airlock git credential helper: no container credentials: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(answer(fields, credentials, region))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
