"""The real git client against `/v1/repos/<name>`: clone, fetch, pull and push, authenticated
by the aws CLI's credential helper or HTTPS Git credentials, authorized by IAM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.events.test_delivery import log_messages
from tests.support import LiveServer, live_server, policy_document, wait_for

from .helpers import repository_dir, seeded

HELPER = "!aws codecommit credential-helper --ignore-host-check $@"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """These tests run on SQLite; the round trip also runs on each database."""
    with live_server(tmp_path / "state") as live:
        yield live


class Git:
    """The git client of one user: a HOME with its config, and credentials for the helper."""

    def __init__(self, server: LiveServer, home: Path, keys: tuple[str, str] | None) -> None:
        self.server = server
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_"))}
        env.update(
            PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
            HOME=str(home),
            GIT_TERMINAL_PROMPT="0",
            GIT_CONFIG_NOSYSTEM="1",
            AWS_DEFAULT_REGION=server.settings.region,
            AWS_CONFIG_FILE=str(home / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
        )
        if keys is not None:
            env.update(AWS_ACCESS_KEY_ID=keys[0], AWS_SECRET_ACCESS_KEY=keys[1])
        self.env = env
        self.config("user.name", "Tester")
        self.config("user.email", "tester@example.com")
        self.config("init.defaultBranch", "main")
        if keys is not None:
            self.config("credential.helper", HELPER)
            self.config("credential.UseHttpPath", "true")

    def config(self, name: str, value: str) -> None:
        """Set a global (per-HOME) git setting."""
        self.run(self.home, "config", "--global", name, value, check=True)

    def run(self, cwd: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run git; with `check`, fail the test with git's output if it fails."""
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=120
        )
        if check:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def clone(self, url: str, into: str) -> Path:
        """Clone `url` into HOME/`into`."""
        self.run(self.home, "clone", url, into, check=True)
        return self.home / into

    def commit(self, work: Path, name: str, content: str) -> str:
        """Commit one file; the new head's id."""
        (work / name).write_text(content)
        self.run(work, "add", name, check=True)
        self.run(work, "commit", "-m", f"add {name}", check=True)
        return self.run(work, "rev-parse", "HEAD", check=True).stdout.strip()


def clone_url(cc: Any, name: str) -> str:
    """The repository's cloneUrlHttp."""
    return str(cc.get_repository(repositoryName=name)["repositoryMetadata"]["cloneUrlHttp"])


def head(cc: Any, name: str, branch: str = "main") -> str:
    """The commit a branch names, through the API."""
    return str(cc.get_branch(repositoryName=name, branchName=branch)["branch"]["commitId"])


def user_keys(server: LiveServer, name: str, *statements: Any) -> tuple[tuple[str, str], str]:
    """A new IAM user allowed `statements`: its access key pair and its ARN."""
    iam = server.client("iam")
    arn = str(iam.create_user(UserName=name)["User"]["Arn"])
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy_document(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return (key["AccessKeyId"], key["SecretAccessKey"]), arn


def trail(server: LiveServer, event_name: str) -> list[dict[str, Any]]:
    """The first account's audit records of `event_name`, newest first."""
    return trail_of(server, server.first_account_id(), event_name)


def watch_events(server: LiveServer, account_id: str) -> None:
    """Send the account's CodeCommit state-change events to the `/codecommit` log group."""
    region = server.settings.region
    server.client("logs").create_log_group(logGroupName="/codecommit")
    events = server.client("events")
    events.put_rule(
        Name="repo-changes",
        EventPattern=json.dumps(
            {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"]}
        ),
    )
    group_arn = f"arn:aws:logs:{region}:{account_id}:log-group:/codecommit"
    events.put_targets(Rule="repo-changes", Targets=[{"Id": "log", "Arn": group_arn}])


def test_clone_push_fetch_and_pull_round_trip(
    server_on_each_database: LiveServer, tmp_path: Path
) -> None:
    server = server_on_each_database
    account_id = server.first_account_id()
    cc = server.client("codecommit")
    watch_events(server, account_id)
    seed = seeded(cc, "site")
    meta = cc.get_repository(repositoryName="site")["repositoryMetadata"]
    url = meta["cloneUrlHttp"]
    assert url == f"{server.url}/v1/repos/site"
    git = Git(server, tmp_path / "root", server.root_keys(account_id))
    work = git.clone(url, "site")
    assert (work / "README.md").read_text() == "# demo\n"
    assert git.run(work, "rev-parse", "HEAD", check=True).stdout.strip() == seed
    other = git.clone(url + ".git", "other")  # the `.git` suffix names the same repository

    pushed = git.commit(work, "app.py", "print('hi')\n")
    done = git.run(work, "push", "origin", "main", check=True)
    assert f"{seed[:7]}..{pushed[:7]}  main -> main" in done.stderr
    assert head(cc, "site") == pushed
    assert cc.get_file(repositoryName="site", filePath="app.py")["fileContent"] == b"print('hi')\n"

    git.run(other, "pull", "--ff-only", check=True)
    assert (other / "app.py").read_text() == "print('hi')\n"
    # A new branch, then its deletion.
    git.run(work, "push", "origin", "main:topic", check=True)
    assert head(cc, "site", "topic") == pushed
    git.run(other, "fetch", "origin", check=True)
    fetched = git.run(other, "rev-parse", "origin/topic", check=True).stdout.strip()
    assert fetched == pushed
    git.run(work, "push", "origin", ":topic", check=True)
    assert cc.list_branches(repositoryName="site")["branches"] == ["main"]

    def pushed_events() -> list[dict[str, Any]] | None:
        found = [json.loads(m) for m in log_messages(server.client("logs"), "/codecommit")]
        return found if len(found) >= 4 else None

    details = [e["detail"] for e in wait_for(pushed_events, what="four state-change events")]
    root = f"arn:aws:iam::{account_id}:root"
    by_kind = {(d["event"], d["referenceName"]): d for d in details}
    assert by_kind[("referenceUpdated", "main")] == {
        "event": "referenceUpdated",
        "repositoryName": "site",
        "repositoryId": meta["repositoryId"],
        "referenceType": "branch",
        "referenceName": "main",
        "referenceFullName": "refs/heads/main",
        "commitId": pushed,
        "oldCommitId": seed,
        "callerUserArn": root,
    }
    assert by_kind[("referenceCreated", "topic")]["commitId"] == pushed
    assert by_kind[("referenceDeleted", "topic")]["oldCommitId"] == pushed
    pushes = trail(server, "GitPush")
    assert pushes and all(p["userIdentity"]["arn"] == root for p in pushes)
    assert pushes[-1]["requestParameters"]["references"] == [
        {"ref": "refs/heads/main", "commit": pushed}
    ]
    assert trail(server, "GitPull")


def test_a_references_deny_blocks_main_only(server: LiveServer, tmp_path: Path) -> None:
    cc = server.client("codecommit")
    seed = seeded(cc, "guarded")
    keys, arn = user_keys(
        server,
        "dev",
        {"Effect": "Allow", "Action": "codecommit:*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "codecommit:GitPush",
            "Resource": "*",
            "Condition": {
                "StringEqualsIfExists": {"codecommit:References": ["refs/heads/main"]},
                "Null": {"codecommit:References": "false"},
            },
        },
    )
    git = Git(server, tmp_path / "dev", keys)
    work = git.clone(clone_url(cc, "guarded"), "guarded")
    git.commit(work, "change.txt", "x\n")
    denied = git.run(work, "push", "origin", "main")
    assert denied.returncode != 0
    repo_arn = cc.get_repository(repositoryName="guarded")["repositoryMetadata"]["Arn"]
    explanation = (
        f"User: {arn} is not authorized to perform: codecommit:GitPush on resource: {repo_arn}"
    )
    assert "! [remote rejected] main -> main (" + explanation in denied.stderr, denied.stderr
    assert "explicit deny" in denied.stderr
    assert head(cc, "guarded") == seed

    allowed = git.run(work, "push", "origin", "main:feature")
    assert allowed.returncode == 0, allowed.stderr
    assert head(cc, "guarded", "feature") != seed
    assert head(cc, "guarded") == seed

    pushes = trail(server, "GitPush")
    refusals = [p for p in pushes if p.get("errorCode")]
    assert len(refusals) == 1
    assert refusals[0]["errorCode"] == "AccessDeniedException"
    assert refusals[0]["errorMessage"].startswith(explanation)
    assert refusals[0]["requestParameters"]["references"][0]["ref"] == "refs/heads/main"
    assert refusals[0]["userIdentity"]["arn"] == arn
    successes = [p for p in pushes if not p.get("errorCode")]
    assert [p["requestParameters"]["references"][0]["ref"] for p in successes] == [
        "refs/heads/feature"
    ]

    # An atomic push of both: the refusal of main refuses the other ref too.
    atomic = git.run(work, "push", "--atomic", "origin", "main", "main:other")
    assert atomic.returncode != 0
    assert "! [remote rejected] main -> main (" + explanation in atomic.stderr
    assert "main -> other (atomic push failed)" in atomic.stderr, atomic.stderr
    assert cc.list_branches(repositoryName="guarded")["branches"] == ["feature", "main"]


def test_a_pull_without_gitpull_is_refused_with_the_explanation(
    server: LiveServer, tmp_path: Path
) -> None:
    cc = server.client("codecommit")
    seeded(cc, "closed")
    keys, arn = user_keys(
        server,
        "outsider",
        {"Effect": "Allow", "Action": "codecommit:GetRepository", "Resource": "*"},
    )
    git = Git(server, tmp_path / "outsider", keys)
    done = git.run(tmp_path, "clone", clone_url(cc, "closed"), "closed")
    assert done.returncode != 0
    assert f"remote: User: {arn} is not authorized to perform: codecommit:GitPull" in done.stderr
    assert "The requested URL returned error: 403" in done.stderr
    refusals = [p for p in trail(server, "GitPull") if p.get("errorCode")]
    assert refusals and refusals[0]["userIdentity"]["arn"] == arn


def test_a_push_on_a_stale_base_changes_nothing(server: LiveServer, tmp_path: Path) -> None:
    cc = server.client("codecommit")
    seeded(cc, "shared")
    url = clone_url(cc, "shared")
    git = Git(server, tmp_path / "root", server.root_keys(server.first_account_id()))
    first, second = git.clone(url, "first"), git.clone(url, "second")
    ahead = git.commit(first, "one.txt", "1\n")
    git.run(first, "push", "origin", "main", check=True)
    git.commit(second, "two.txt", "2\n")
    stale = git.run(second, "push", "origin", "main")
    assert stale.returncode != 0
    assert "! [rejected]        main -> main (fetch first)" in stale.stderr
    assert head(cc, "shared") == ahead

    # The server's own check: main moves (through the API) after git saw the refs and
    # before its pack arrives, so the old id git sends is no longer the branch's.
    git.run(second, "pull", "--no-rebase", "--no-edit", check=True)
    mine = git.run(second, "rev-parse", "HEAD", check=True).stdout.strip()
    hook = second / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        f"AWS_ENDPOINT_URL={server.url} aws codecommit put-file --repository-name shared "
        f"--branch-name main --parent-commit-id {ahead} --file-path api.txt "
        "--file-content YXBp --output text --query commitId > ../api-commit\n"
    )
    hook.chmod(0o755)
    raced = git.run(second, "push", "origin", "main")
    assert raced.returncode != 0
    api_commit = (tmp_path / "root" / "api-commit").read_text().strip()
    assert f"! [remote rejected] main -> main (the ref is at {api_commit}, not at {ahead})" in (
        raced.stderr
    ), raced.stderr
    assert head(cc, "shared") == api_commit != mine


def test_https_git_credentials_as_basic_auth(server: LiveServer, tmp_path: Path) -> None:
    cc, iam = server.client("codecommit"), server.client("iam")
    seeded(cc, "creds")
    _, arn = user_keys(
        server,
        "builder",
        {
            "Effect": "Allow",
            "Action": ["codecommit:GitPull", "codecommit:GitPush"],
            "Resource": "*",
        },
    )
    credential = iam.create_service_specific_credential(
        UserName="builder", ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    user, password = credential["ServiceUserName"], credential["ServicePassword"]
    parts = urlsplit(clone_url(cc, "creds"))
    git = Git(server, tmp_path / "builder", None)  # no credential helper: the URL carries them
    authed = f"http://{quote(user, safe='')}:{quote(password, safe='')}@{parts.netloc}{parts.path}"
    work = git.clone(authed, "creds")
    pushed = git.commit(work, "built.txt", "ok\n")
    git.run(work, "push", "origin", "main", check=True)
    assert head(cc, "creds") == pushed
    assert trail(server, "GitPush")[0]["userIdentity"]["arn"] == arn

    wrong = f"http://{quote(user, safe='')}:not-it@{parts.netloc}{parts.path}"
    done = git.run(tmp_path, "clone", wrong, "nope")
    assert done.returncode != 0
    assert f"remote: The HTTPS Git credentials for {user} are not valid" in done.stderr


def test_unauthenticated_requests_are_asked_for_credentials(
    server: LiveServer, tmp_path: Path
) -> None:
    cc = server.client("codecommit")
    seeded(cc, "private")
    url = clone_url(cc, "private")
    answer = httpx.get(f"{url}/info/refs", params={"service": "git-upload-pack"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Basic realm="Airlock CodeCommit"'
    assert "credential-helper" in answer.text
    git = Git(server, tmp_path / "anonymous", None)
    done = git.run(tmp_path, "clone", url, "private")
    assert done.returncode != 0
    assert "could not read Username" in done.stderr
    assert not (tmp_path / "private").exists()

    keys = server.root_keys(server.first_account_id())
    missing = Git(server, tmp_path / "root", keys).run(
        tmp_path, "clone", url.replace("/private", "/ghost"), "ghost"
    )
    assert missing.returncode != 0
    assert "remote: Repository ghost does not exist" in missing.stderr


def test_an_assumed_role_of_another_account_pushes_with_its_session(
    server: LiveServer, tmp_path: Path
) -> None:
    home_account = server.first_account_id()
    owner = server.create_account("repos")
    cc = server.client("codecommit", owner)
    seeded(cc, "theirs")
    trust = policy_document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{home_account}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    iam = server.client("iam", owner)
    role_arn = iam.create_role(RoleName="committer", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="committer",
        PolicyName="git",
        PolicyDocument=policy_document(
            {"Effect": "Allow", "Action": "codecommit:Git*", "Resource": "*"}
        ),
    )
    session = server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="ci")
    credentials = session["Credentials"]
    git = Git(server, tmp_path / "ci", (credentials["AccessKeyId"], credentials["SecretAccessKey"]))
    git.env["AWS_SESSION_TOKEN"] = credentials["SessionToken"]
    work = git.clone(clone_url(cc, "theirs"), "theirs")
    pushed = git.commit(work, "ci.txt", "from ci\n")
    git.run(work, "push", "origin", "main", check=True)
    assert head(cc, "theirs") == pushed
    push = trail_of(server, owner, "GitPush")[0]
    assert push["userIdentity"]["type"] == "AssumedRole"
    assert push["userIdentity"]["arn"] == f"arn:aws:sts::{owner}:assumed-role/committer/ci"

    # Without the session token the temporary key is refused, with the reason.
    del git.env["AWS_SESSION_TOKEN"]
    done = git.run(work, "fetch", "origin")
    assert done.returncode != 0
    assert "remote: The session token after '%' in the user name is not the one issued" in (
        done.stderr
    )


def trail_of(server: LiveServer, account_id: str, event_name: str) -> list[dict[str, Any]]:
    """An account's audit records of `event_name`, newest first."""
    events = server.client("cloudtrail", account_id).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}]
    )["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in events]


def test_the_database_refs_are_advertised_not_the_directory_files(
    server: LiveServer, tmp_path: Path
) -> None:
    cc = server.client("codecommit")
    first = seeded(cc, "truth")
    second = cc.put_file(
        repositoryName="truth",
        branchName="main",
        filePath="b.txt",
        fileContent=b"b",
        parentCommitId=first,
    )["commitId"]
    # A mirror that says main is still at the first commit (as a crash could leave it).
    packed = repository_dir(server, cc, "truth") / "packed-refs"
    packed.write_text(f"{first} refs/heads/main\n")
    git = Git(server, tmp_path / "root", server.root_keys(server.first_account_id()))
    work = git.clone(clone_url(cc, "truth"), "truth")
    assert git.run(work, "rev-parse", "HEAD", check=True).stdout.strip() == second
    listed = git.run(work, "ls-remote", "origin", check=True).stdout.split("\n")
    assert f"{second}\tHEAD" in listed and f"{second}\trefs/heads/main" in listed
