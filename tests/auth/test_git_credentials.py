"""Git passwords from the real `aws codecommit credential-helper`, checked by the verifier.

The helper runs as git runs it (`--ignore-host-check get`, git's request on stdin)
with keys from the environment or a profile; its answer is checked against the
keys Airlock issued, looked up as the git server looks them up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from airlock.auth import AuthFailure, GitRefusal, GitSigner, verify_git_password
from airlock.auth.git_credentials import (
    canonical_git_request,
    signing_region,
    split_username,
)
from airlock.identity import IdentityService
from airlock.identity.service import Credential
from tests.support import LiveServer, policy_document

PATH = "/v1/repos/foo"
OTHER_REGION = "eu-west-1"


@dataclass
class Answer:
    """What the helper told git."""

    username: str
    password: str

    @property
    def signed_at(self) -> datetime:
        """The password's timestamp."""
        return datetime.strptime(self.password[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def run_helper(
    home: Path,
    host: str,
    *,
    keys: tuple[str, str] | None = None,
    token: str | None = None,
    region: str | None = None,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = ("--ignore-host-check",),
    global_args: tuple[str, ...] = (),
    path: str = "v1/repos/foo",
) -> Answer:
    """`aws codecommit credential-helper … get` with git's request on stdin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    if keys:
        env.update(AWS_ACCESS_KEY_ID=keys[0], AWS_SECRET_ACCESS_KEY=keys[1])
    if token:
        env["AWS_SESSION_TOKEN"] = token
    if region:
        env["AWS_DEFAULT_REGION"] = region
    env.update(extra_env or {})
    done = subprocess.run(
        ["aws", *global_args, "codecommit", "credential-helper", *args, "get"],
        input=f"protocol=http\nhost={host}\npath={path}\n\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split("=", 1) for line in done.stdout.splitlines() if line)
    assert set(lines) == {"username", "password"}, done.stdout
    return Answer(lines["username"], lines["password"])


def lookup_for(server: LiveServer) -> Any:
    """The key lookup the git server does: Airlock's own credential store."""
    platform = server.airlock.platform

    def lookup(key_id: str) -> Credential | None:
        with platform.db.read() as session:
            return IdentityService(session, platform.clock).resolve_key(key_id)

    return lookup


@pytest.fixture
def host(server: LiveServer) -> str:
    """The Host header git sends to the server (with the port)."""
    return f"127.0.0.1:{server.settings.port}"


@pytest.fixture
def user(server: LiveServer) -> dict[str, Any]:
    """An IAM user with an access key, allowed to get temporary credentials: ARN and keys."""
    iam = server.client("iam")
    arn = iam.create_user(UserName="developer")["User"]["Arn"]
    iam.put_user_policy(
        UserName="developer",
        PolicyName="sessions",
        PolicyDocument=policy_document(
            {
                "Effect": "Allow",
                "Action": ["sts:GetSessionToken", "sts:AssumeRole"],
                "Resource": "*",
            }
        ),
    )
    key = iam.create_access_key(UserName="developer")["AccessKey"]
    return {"arn": arn, "keys": (key["AccessKeyId"], key["SecretAccessKey"])}


def check(
    server: LiveServer,
    answer: Answer,
    host: str,
    *,
    path: str = PATH,
    now: datetime | None = None,
    region: str | None = None,
) -> GitSigner | GitRefusal:
    """The verifier's verdict on the helper's answer, as the git server would ask it."""
    return verify_git_password(
        answer.username,
        answer.password,
        host=host,
        path=path,
        region=region or server.settings.region,
        lookup=lookup_for(server),
        now=now or datetime.now(UTC),
    )


def refusal(result: GitSigner | GitRefusal) -> GitRefusal:
    """The refusal, failing the test if the password was accepted."""
    assert isinstance(result, GitRefusal), result
    return result


# -- accepted --------------------------------------------------------------------


def test_long_term_keys_from_the_environment(
    server: LiveServer, tmp_path: Path, host: str, user: dict[str, Any]
) -> None:
    answer = run_helper(tmp_path, host, keys=user["keys"], region=server.settings.region)
    assert answer.username == user["keys"][0]
    result = check(server, answer, host)
    assert isinstance(result, GitSigner), result
    assert result.access_key_id == user["keys"][0]
    assert result.principal.arn == user["arn"]
    assert result.region == server.settings.region
    assert result.signed_at == answer.signed_at


def test_temporary_credentials_carry_the_session_token(
    server: LiveServer, tmp_path: Path, host: str, user: dict[str, Any]
) -> None:
    sts = server.client("sts", keys=user["keys"])
    creds = sts.get_session_token()["Credentials"]
    answer = run_helper(
        tmp_path,
        host,
        keys=(creds["AccessKeyId"], creds["SecretAccessKey"]),
        token=creds["SessionToken"],
        region=server.settings.region,
    )
    assert answer.username == f"{creds['AccessKeyId']}%{creds['SessionToken']}"
    assert split_username(answer.username) == (creds["AccessKeyId"], creds["SessionToken"])
    result = check(server, answer, host)
    assert isinstance(result, GitSigner), result
    assert result.access_key_id == creds["AccessKeyId"]
    assert result.principal.arn == user["arn"]

    # Without its token the temporary key is refused.
    bare = Answer(creds["AccessKeyId"], answer.password)
    refused = refusal(check(server, bare, host))
    assert refused.failure is AuthFailure.INVALID_TOKEN
    assert refused.reason == (
        f"The session token after '%' in the user name is not the one issued with "
        f"{creds['AccessKeyId']}; long-term keys (AKIA...) take no token, temporary ones "
        f"(ASIA...) need theirs."
    )


def test_assumed_role_session_from_a_profile(
    server: LiveServer, tmp_path: Path, host: str, account_id: str, user: dict[str, Any]
) -> None:
    iam = server.client("iam")
    trust = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
        f'"sts:AssumeRole", "Principal": {{"AWS": "arn:aws:iam::{account_id}:root"}}}}]}}'
    )
    role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)["Role"]
    sts = server.client("sts", keys=user["keys"])
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="git")["Credentials"]
    (tmp_path / "credentials").write_text(
        "[git]\n"
        f"aws_access_key_id = {creds['AccessKeyId']}\n"
        f"aws_secret_access_key = {creds['SecretAccessKey']}\n"
        f"aws_session_token = {creds['SessionToken']}\n"
    )
    (tmp_path / "config").write_text(f"[profile git]\nregion = {server.settings.region}\n")
    answer = run_helper(tmp_path, host, extra_env={"AWS_PROFILE": "git"})
    result = check(server, answer, host)
    assert isinstance(result, GitSigner), result
    assert result.principal.arn == f"arn:aws:sts::{account_id}:assumed-role/deployer/git"


def test_the_port_is_not_signed_but_the_host_name_is(
    server: LiveServer, tmp_path: Path, host: str, user: dict[str, Any]
) -> None:
    answer = run_helper(tmp_path, host, keys=user["keys"], region=server.settings.region)
    assert canonical_git_request(PATH, host) == f"GIT\n{PATH}\n\nhost:127.0.0.1\n\nhost\n"
    # The helper drops the port, so a proxy on another port still verifies.
    assert isinstance(check(server, answer, "127.0.0.1:1"), GitSigner)
    assert isinstance(check(server, answer, "127.0.0.1"), GitSigner)
    refused = refusal(check(server, answer, f"localhost:{server.settings.port}"))
    assert refused.failure is AuthFailure.SIGNATURE_MISMATCH


def test_a_codecommit_host_signs_with_its_own_region(
    server: LiveServer, tmp_path: Path, user: dict[str, Any]
) -> None:
    codecommit = f"git-codecommit.{OTHER_REGION}.amazonaws.com"
    assert signing_region(codecommit, "us-east-1") == OTHER_REGION
    assert signing_region("127.0.0.1:8080", "us-east-1") == "us-east-1"
    # No --ignore-host-check needed for an AWS host; the configured region does not count.
    answer = run_helper(tmp_path, codecommit, keys=user["keys"], region="us-west-2", args=())
    result = check(server, answer, codecommit, region="us-west-2")
    assert isinstance(result, GitSigner), result
    assert result.region == OTHER_REGION


# -- refused ---------------------------------------------------------------------


def test_a_helper_configured_for_another_region_is_refused(
    server: LiveServer, tmp_path: Path, host: str, user: dict[str, Any]
) -> None:
    assert server.settings.region != OTHER_REGION
    answer = run_helper(tmp_path, host, keys=user["keys"], region=OTHER_REGION)
    refused = refusal(check(server, answer, host))
    assert refused.failure is AuthFailure.SIGNATURE_MISMATCH
    region = server.settings.region
    assert refused.reason == (
        f"The password's signature does not match one by {user['keys'][0]} for {PATH} on host "
        f"127.0.0.1 in region {region}; the aws CLI must be configured with region {region} "
        f"(--region or AWS_REGION) and the secret key of {user['keys'][0]}."
    )
    # The global --region flag wins over the configured region.
    flagged = run_helper(
        tmp_path,
        host,
        keys=user["keys"],
        region=OTHER_REGION,
        global_args=("--region", server.settings.region),
    )
    assert isinstance(check(server, flagged, host), GitSigner)


def test_tampered_password_wrong_path_and_wrong_secret(
    server: LiveServer, tmp_path: Path, host: str, user: dict[str, Any]
) -> None:
    answer = run_helper(tmp_path, host, keys=user["keys"], region=server.settings.region)
    last = answer.password[-1]
    tampered = Answer(answer.username, answer.password[:-1] + ("0" if last != "0" else "1"))
    assert refusal(check(server, tampered, host)).failure is AuthFailure.SIGNATURE_MISMATCH

    wrong_path = refusal(check(server, answer, host, path="/v1/repos/bar"))
    assert wrong_path.failure is AuthFailure.SIGNATURE_MISMATCH
    assert "for /v1/repos/bar on host 127.0.0.1" in wrong_path.reason

    # A password made for another repository does not open this one.
    other = run_helper(
        tmp_path, host, keys=user["keys"], region=server.settings.region, path="v1/repos/bar"
    )
    assert isinstance(check(server, other, host, path="/v1/repos/bar"), GitSigner)
    assert refusal(check(server, other, host)).failure is AuthFailure.SIGNATURE_MISMATCH

    forged = run_helper(
        tmp_path, host, keys=(user["keys"][0], "x" * 40), region=server.settings.region
    )
    assert refusal(check(server, forged, host)).failure is AuthFailure.SIGNATURE_MISMATCH


def test_old_and_future_timestamps_are_refused(
    server: LiveServer, tmp_path: Path, host: str, user: dict[str, Any]
) -> None:
    answer = run_helper(tmp_path, host, keys=user["keys"], region=server.settings.region)
    signed = answer.signed_at
    assert isinstance(check(server, answer, host, now=signed + timedelta(minutes=15)), GitSigner)
    assert isinstance(check(server, answer, host, now=signed - timedelta(minutes=15)), GitSigner)

    late = refusal(check(server, answer, host, now=signed + timedelta(minutes=16)))
    assert late.failure is AuthFailure.SKEWED
    stamp = signed.strftime("%Y%m%dT%H%M%SZ")
    limit = (signed + timedelta(minutes=1)).strftime("%Y%m%dT%H%M%SZ")
    now = (signed + timedelta(minutes=16)).strftime("%Y%m%dT%H%M%SZ")
    assert late.reason == (
        f"Signature expired: {stamp} is now earlier than {limit} ({now} - 15 min.); "
        f"the password is made per request."
    )
    early = refusal(check(server, answer, host, now=signed - timedelta(minutes=16)))
    assert early.failure is AuthFailure.SKEWED
    assert early.reason.startswith(f"Signature not yet current: {stamp} is still later than ")


def test_unknown_inactive_and_expired_keys_are_refused(
    server: LiveServer, tmp_path: Path, host: str, user: dict[str, Any]
) -> None:
    unknown_id = "AKIA" + "Z" * 16
    unknown = run_helper(tmp_path, host, keys=(unknown_id, "y" * 40), region=server.settings.region)
    refused = refusal(check(server, unknown, host))
    assert refused.failure is AuthFailure.UNKNOWN_KEY
    assert (
        refused.reason == f"The access key ID {unknown_id} is not a valid, active key in Airlock."
    )

    answer = run_helper(tmp_path, host, keys=user["keys"], region=server.settings.region)
    with_token = Answer(f"{answer.username}%IQoJnotatoken", answer.password)
    assert refusal(check(server, with_token, host)).failure is AuthFailure.INVALID_TOKEN

    iam = server.client("iam")
    iam.update_access_key(UserName="developer", AccessKeyId=user["keys"][0], Status="Inactive")
    inactive = refusal(check(server, answer, host))
    assert inactive.failure is AuthFailure.UNKNOWN_KEY
    iam.update_access_key(UserName="developer", AccessKeyId=user["keys"][0], Status="Active")
    assert isinstance(check(server, answer, host), GitSigner)

    creds = server.client("sts", keys=user["keys"]).get_session_token(DurationSeconds=900)[
        "Credentials"
    ]
    temporary = run_helper(
        tmp_path,
        host,
        keys=(creds["AccessKeyId"], creds["SecretAccessKey"]),
        token=creds["SessionToken"],
        region=server.settings.region,
    )
    after = creds["Expiration"] + timedelta(seconds=1)
    expired = refusal(check(server, temporary, host, now=after))
    assert expired.failure is AuthFailure.EXPIRED_TOKEN
    assert expired.reason.startswith(f"The temporary credentials of {creds['AccessKeyId']} ")


@pytest.mark.parametrize(
    "password",
    ["", "secret", "20240101T000000Z" + "g" * 64, "20240101T000000" + "a" * 64],
)
def test_passwords_the_helper_never_makes_are_malformed(
    server: LiveServer, host: str, user: dict[str, Any], password: str
) -> None:
    refused = refusal(check(server, Answer(user["keys"][0], password), host))
    assert refused.failure is AuthFailure.MALFORMED
    assert refused.reason.startswith(
        "The password is not one the aws CLI's credential helper makes "
        "(<YYYYMMDDTHHMMSS>Z<64 hex digits>)"
    )


def test_an_impossible_date_is_malformed(
    server: LiveServer, host: str, user: dict[str, Any]
) -> None:
    refused = refusal(check(server, Answer(user["keys"][0], "20241399T000000Z" + "a" * 64), host))
    assert refused.failure is AuthFailure.MALFORMED
    assert refused.reason == "The password's timestamp 20241399T000000 is no date."
