"""The container credentials endpoint: only the running build's token gets credentials."""

from __future__ import annotations

import re

import httpx
from botocore.exceptions import ClientError

from tests.codebuild.test_builds_api import finished, log_text
from tests.codebuild.test_projects_api import make_role, project_args
from tests.support import LiveServer, wait_for

SPEC = """version: 0.2
phases:
  build:
    commands:
      - echo "uri=$AWS_CONTAINER_CREDENTIALS_FULL_URI"
      - echo "token=$AWS_CONTAINER_AUTHORIZATION_TOKEN"
      - sleep 600
"""


def test_credentials_only_for_the_running_build(server: LiveServer) -> None:
    role = make_role(server)
    cb = server.client("codebuild")
    cb.create_project(**project_args(role, source={"type": "NO_SOURCE", "buildspec": SPEC}))
    started = cb.start_build(projectName="proj")["build"]

    def printed() -> tuple[str, str] | None:
        build = cb.batch_get_builds(ids=[started["id"]])["builds"][0]
        try:
            text = log_text(server, build)
        except ClientError as error:  # the log group comes with the build's first line
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            return None
        uri, token = re.search(r"^uri=(\S+)$", text, re.M), re.search(r"^token=(\S+)$", text, re.M)
        return (uri.group(1), token.group(1)) if uri and token else None

    uri, token = wait_for(printed, what="the build to print its credentials endpoint")
    uuid = started["id"].split(":")[1]
    assert uri == f"{server.url}/_airlock/codebuild/credentials/{uuid}"
    answer = httpx.get(uri, headers={"Authorization": token})
    assert answer.status_code == 200
    body = answer.json()
    assert body["AccessKeyId"].startswith("ASIA")
    assert set(body) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    # Each request gets fresh credentials, so a long build's SDKs refresh before expiry.
    again = httpx.get(uri, headers={"Authorization": token}).json()
    assert again["AccessKeyId"] != body["AccessKeyId"]
    sts = server.client(
        "sts", keys=(body["AccessKeyId"], body["SecretAccessKey"]), token=body["Token"]
    )
    account = server.first_account_id()
    assert sts.get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{account}:assumed-role/build-role/AWSCodeBuild-{uuid}"
    )
    wrong = httpx.get(uri, headers={"Authorization": "not-the-token"})
    assert wrong.status_code == 403
    assert wrong.json() == {
        "code": "AccessDenied",
        "message": "The authorization token is not this build's",
    }
    cb.stop_build(id=started["id"])
    finished(cb, started["id"])
    ended = httpx.get(uri, headers={"Authorization": token})
    assert ended.status_code == 403
    assert ended.json()["message"] == (
        "No running build has these credentials: the build has ended"
    )
