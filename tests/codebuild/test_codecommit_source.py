"""Builds from CodeCommit: a real `git clone` of a repository pushed with the real git client,
as the build's service role (GitPull decided by IAM and audited), and git inside the build."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from airlock.codebuild.gitsource import CLONE_REF_FILE
from tests.codebuild.test_builds_api import finished, log_text
from tests.codebuild.test_projects_api import make_role, project_args
from tests.codecommit.test_git_http import Git, trail_of
from tests.support import LiveServer

SHOW = """version: 0.2
phases:
  build:
    commands:
      - echo "resolved=$CODEBUILD_RESOLVED_SOURCE_VERSION"
      - echo "head=$(git rev-parse HEAD)"
      - echo "branch=$(git rev-parse --abbrev-ref HEAD)"
      - echo "count=$(git rev-list --count HEAD)"
      - echo "content=$(cat app.txt)"
      - echo "origin=$(git remote get-url origin)"
      - echo "secrets=$(grep -ci authorization .git/config)"
"""


class Pushed:
    """A repository made through the API and filled by `git push` as the account's root."""

    def __init__(self, server: LiveServer, home: Path, name: str = "app") -> None:
        self.server = server
        self.cc = server.client("codecommit")
        self.url = self.cc.create_repository(repositoryName=name)["repositoryMetadata"][
            "cloneUrlHttp"
        ]
        self.git = Git(server, home, server.root_keys(server.first_account_id()))
        self.work = home / name
        self.git.run(home, "init", "-q", "-b", "main", str(self.work), check=True)
        self.git.run(self.work, "remote", "add", "origin", self.url, check=True)

    def commit(self, content: str, extra: dict[str, str] | None = None) -> str:
        """Commit app.txt (and extra files); the commit id."""
        for name, text in (extra or {}).items():
            (self.work / name).write_text(text)
            self.git.run(self.work, "add", name, check=True)
        return self.git.commit(self.work, "app.txt", content)

    def push(self, *refs: str) -> None:
        """git push origin refs."""
        self.git.run(self.work, "push", "-q", "origin", *refs, check=True)


def lines_of(text: str) -> dict[str, str]:
    """The build's `key=value` output lines."""
    out = {}
    for line in text.splitlines():
        key, equals, value = line.partition("=")
        if equals and key.isidentifier():
            out[key] = value
    return out


def codecommit_project(role: str, url: str, **extra: Any) -> dict[str, Any]:
    """CreateProject's arguments for a CODECOMMIT source with SHOW as its buildspec."""
    return project_args(
        role, source={"type": "CODECOMMIT", "location": url, "buildspec": SHOW}, **extra
    )


def download_phase(build: dict[str, Any]) -> dict[str, Any]:
    """The build's DOWNLOAD_SOURCE phase."""
    return next(p for p in build["phases"] if p["phaseType"] == "DOWNLOAD_SOURCE")


def test_a_build_clones_the_default_branch_as_its_role(
    server_on_each_database: LiveServer, tmp_path: Path
) -> None:
    server = server_on_each_database
    repo = Pushed(server, tmp_path / "dev")
    first = repo.commit("one\n")
    second = repo.commit("two\n")
    repo.push("main")
    role = make_role(server)
    cb = server.client("codebuild")
    cb.create_project(**codecommit_project(role, repo.url))
    build = finished(cb, cb.start_build(projectName="proj")["build"]["id"])
    text = log_text(server, build)
    assert build["buildStatus"] == "SUCCEEDED", text
    assert build["resolvedSourceVersion"] == second
    seen = lines_of(text)
    assert seen["resolved"] == second
    assert seen["head"] == second
    assert seen["branch"] == "main"
    assert seen["count"] == "2"
    assert seen["content"] == "two"
    assert seen["origin"] == repo.url
    assert seen["secrets"] == "0"  # the clone's credentials stayed out of its configuration
    # The clone was the role's: its GitPull is in the trail, allowed.
    pulls = trail_of(server, server.first_account_id(), "GitPull")
    assert any(
        p["userIdentity"]["arn"].endswith(f"assumed-role/build-role/AWSCodeBuild-{uuid}")
        and not p.get("errorCode")
        for p in pulls
        for uuid in [build["id"].split(":")[1]]
    ), pulls

    # A commit id (and the first commit's content), a depth of 1, AWS's URL of the repository.
    aws_url = f"https://git-codecommit.{server.settings.region}.amazonaws.com/v1/repos/app"
    build = finished(
        cb,
        cb.start_build(
            projectName="proj",
            sourceVersion=first,
            sourceLocationOverride=aws_url,
        )["build"]["id"],
    )
    text = log_text(server, build)
    assert build["buildStatus"] == "SUCCEEDED", text
    assert build["resolvedSourceVersion"] == first
    assert lines_of(text)["content"] == "one"
    assert lines_of(text)["branch"] == "HEAD"  # a commit leaves HEAD detached
    shallow = finished(
        cb, cb.start_build(projectName="proj", gitCloneDepthOverride=1)["build"]["id"]
    )
    assert shallow["buildStatus"] == "SUCCEEDED", log_text(server, shallow)
    assert lines_of(log_text(server, shallow))["count"] == "1"
    # A commit deeper than the clone's depth: the history it needs is fetched after all.
    deep = finished(
        cb,
        cb.start_build(projectName="proj", gitCloneDepthOverride=1, sourceVersion=first)["build"][
            "id"
        ],
    )
    assert deep["buildStatus"] == "SUCCEEDED", log_text(server, deep)
    assert deep["resolvedSourceVersion"] == first
    assert lines_of(log_text(server, deep))["content"] == "one"


def test_branches_tags_and_missing_references(server: LiveServer, tmp_path: Path) -> None:
    repo = Pushed(server, tmp_path / "dev")
    base = repo.commit("base\n")
    repo.push("main")
    repo.git.run(repo.work, "checkout", "-q", "-b", "feature", check=True)
    feature = repo.commit("feature\n")
    repo.git.run(repo.work, "tag", "-a", "v1", "-m", "release one", base, check=True)
    repo.push("feature", "v1")
    role = make_role(server)
    cb = server.client("codebuild")
    cb.create_project(**codecommit_project(role, repo.url))
    cases = [
        ("feature", feature, "feature", "feature"),
        ("refs/heads/feature", feature, "feature", "feature"),
        ("v1", base, "HEAD", "base"),
        ("refs/tags/v1", base, "HEAD", "base"),
        (f"refs/heads/main^{{{base}}}", base, "main", "base"),
        (feature[:12], feature, "HEAD", "feature"),
    ]
    for version, commit, branch, content in cases:
        build = finished(
            cb, cb.start_build(projectName="proj", sourceVersion=version)["build"]["id"]
        )
        text = log_text(server, build)
        assert build["buildStatus"] == "SUCCEEDED", (version, text)
        assert build["resolvedSourceVersion"] == commit, version
        seen = lines_of(text)
        assert (seen["branch"], seen["content"]) == (branch, content), version
    for version in ("nothing", "refs/heads/nothing"):
        build = finished(
            cb, cb.start_build(projectName="proj", sourceVersion=version)["build"]["id"]
        )
        assert build["buildStatus"] == "FAILED"
        download = download_phase(build)
        assert download["phaseStatus"] == "FAILED"
        assert download["contexts"][0] == {
            "statusCode": "CLIENT_ERROR",
            "message": f"reference not found for primary source and source version {version}",
        }
        assert "resolvedSourceVersion" not in build
    empty = repo.cc.create_repository(repositoryName="empty")["repositoryMetadata"]
    build = finished(
        cb,
        cb.start_build(projectName="proj", sourceLocationOverride=empty["cloneUrlHttp"])["build"][
            "id"
        ],
    )
    assert download_phase(build)["contexts"][0] == {
        "statusCode": "CLIENT_ERROR",
        "message": "reference not found for primary source and source version HEAD: "
        "the repository has no commits",
    }


def test_a_secondary_codecommit_source(server: LiveServer, tmp_path: Path) -> None:
    app = Pushed(server, tmp_path / "dev", "app")
    app.commit("app\n")
    app.push("main")
    tools = Pushed(server, tmp_path / "dev", "tools")
    tools.commit("tools\n")
    tools.push("main")
    tools.git.run(tools.work, "checkout", "-q", "-b", "next", check=True)
    pinned = tools.commit("tools next\n")
    tools.push("next")
    spec = (
        "version: 0.2\nphases:\n  build:\n    commands:\n"
        '      - echo "primary=$(cat app.txt)"\n'
        '      - echo "secondary=$(cat "$CODEBUILD_SRC_DIR_tools/app.txt")"\n'
        '      - echo "secondary_head=$(git -C "$CODEBUILD_SRC_DIR_tools" rev-parse HEAD)"\n'
    )
    role = make_role(server)
    cb = server.client("codebuild")
    cb.create_project(
        **project_args(
            role,
            source={"type": "CODECOMMIT", "location": app.url, "buildspec": spec},
            secondarySources=[
                {"type": "CODECOMMIT", "location": tools.url, "sourceIdentifier": "tools"}
            ],
            secondarySourceVersions=[{"sourceIdentifier": "tools", "sourceVersion": "next"}],
        )
    )
    build = finished(cb, cb.start_build(projectName="proj")["build"]["id"])
    text = log_text(server, build)
    assert build["buildStatus"] == "SUCCEEDED", text
    seen = lines_of(text)
    assert (seen["primary"], seen["secondary"]) == ("app", "tools next")
    assert seen["secondary_head"] == pinned


def test_a_role_without_gitpull_fails_download_source(server: LiveServer, tmp_path: Path) -> None:
    repo = Pushed(server, tmp_path / "dev")
    repo.commit("one\n")
    repo.push("main")
    role = make_role(
        server,
        policy={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
        },
    )
    cb = server.client("codebuild")
    cb.create_project(**codecommit_project(role, repo.url))
    build = finished(cb, cb.start_build(projectName="proj", sourceVersion="main")["build"]["id"])
    assert build["buildStatus"] == "FAILED"
    assert build["currentPhase"] == "COMPLETED"
    download = download_phase(build)
    assert download["phaseStatus"] == "FAILED"
    context = download["contexts"][0]
    assert context["statusCode"] == "CLIENT_ERROR"
    account = server.first_account_id()
    region = server.settings.region
    session = f"AWSCodeBuild-{build['id'].split(':')[1]}"
    assert context["message"] == (
        "authorization failed for primary source and source version main: "
        f"User: arn:aws:sts::{account}:assumed-role/build-role/{session} is not authorized to "
        f"perform: codecommit:GitPull on resource: arn:aws:codecommit:{region}:{account}:app "
        "because no identity-based policy allows the codecommit:GitPull action"
    )
    assert not any(p["phaseType"] == "BUILD" for p in build["phases"])
    refused = [p for p in trail_of(server, account, "GitPull") if p.get("errorCode")]
    assert refused and refused[0]["userIdentity"]["arn"].endswith(f"build-role/{session}")


PUSH_BACK = """version: 0.2
env:
  git-credential-helper: yes
phases:
  build:
    commands:
      - git config user.name Builder
      - git config user.email builder@example.com
      - git checkout -b built
      - echo "built by $CODEBUILD_BUILD_NUMBER" > built.txt
      - git add built.txt
      - git commit -q -m "built"
      - git push -q origin built
      - echo "pushed=$(git rev-parse HEAD)"
      - echo "global=$(git config --global --get credential.helper)"
"""


def test_git_credential_helper_lets_a_build_push_a_branch(
    server_on_each_database: LiveServer, tmp_path: Path
) -> None:
    server = server_on_each_database
    repo = Pushed(server, tmp_path / "dev")
    repo.commit("one\n")
    repo.push("main")
    user_config = (tmp_path / "dev" / ".gitconfig").read_text()
    role = make_role(server)
    cb = server.client("codebuild")
    cb.create_project(
        **project_args(
            role, source={"type": "CODECOMMIT", "location": repo.url, "buildspec": PUSH_BACK}
        )
    )
    build = finished(cb, cb.start_build(projectName="proj")["build"]["id"])
    text = log_text(server, build)
    assert build["buildStatus"] == "SUCCEEDED", text
    seen = lines_of(text)
    assert seen["global"] == "!aws codecommit credential-helper --ignore-host-check $@"
    branch = repo.cc.get_branch(repositoryName="app", branchName="built")["branch"]
    assert branch["commitId"] == seen["pushed"]
    pushes = trail_of(server, server.first_account_id(), "GitPush")
    session = f"AWSCodeBuild-{build['id'].split(':')[1]}"
    assert any(
        p["userIdentity"]["arn"].endswith(session) and not p.get("errorCode") for p in pushes
    )
    # Only the build's own HOME was configured: the pushing user's git config is as it was.
    assert (tmp_path / "dev" / ".gitconfig").read_text() == user_config

    # Without the helper, git in the build has no credentials and the push fails.
    without = PUSH_BACK.replace("git-credential-helper: yes", "git-credential-helper: no")
    build = finished(
        cb, cb.start_build(projectName="proj", buildspecOverride=without)["build"]["id"]
    )
    text = log_text(server, build)
    assert build["buildStatus"] == "FAILED"
    assert "Error while executing command: git push -q origin built" in text


def _clone_ref_zip(ref: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(CLONE_REF_FILE, json.dumps(ref))
    return buffer.getvalue()


@pytest.mark.parametrize("allowed", [True, False])
def test_a_clone_ref_artifact_is_cloned_at_its_commit(
    server: LiveServer, tmp_path: Path, allowed: bool
) -> None:
    repo = Pushed(server, tmp_path / "dev")
    repo.commit("one\n")
    second = repo.commit("two\n")
    repo.commit("three\n")
    repo.push("main")
    account = server.first_account_id()
    ref = {
        "cloneUrlHttp": repo.url,
        "repositoryName": "app",
        "branch": "main",
        "commitId": second,
        "accountId": account,
        "region": server.settings.region,
    }
    s3 = server.client("s3")
    s3.create_bucket(Bucket="pipeline")
    s3.put_object(Bucket="pipeline", Key="source/ref.zip", Body=_clone_ref_zip(ref))
    statements: list[dict[str, Any]] = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    if allowed:
        statements.append({"Effect": "Allow", "Action": "codecommit:GitPull", "Resource": "*"})
    role = make_role(server, policy={"Version": "2012-10-17", "Statement": statements})
    cb = server.client("codebuild")
    cb.create_project(
        **project_args(
            role,
            source={"type": "CODEPIPELINE", "buildspec": SHOW.replace("app.txt", "app.txt; ls -A")},
            artifacts={"type": "CODEPIPELINE"},
        )
    )
    build = finished(
        cb,
        cb.start_build(
            projectName="proj",
            sourceTypeOverride="CODEPIPELINE",
            sourceLocationOverride="pipeline/source/ref.zip",
        )["build"]["id"],
    )
    text = log_text(server, build)
    if not allowed:
        assert build["buildStatus"] == "FAILED"
        context = download_phase(build)["contexts"][0]
        assert context["statusCode"] == "CLIENT_ERROR"
        assert context["message"].startswith(
            f"authorization failed for primary source and source version "
            f"refs/heads/main^{{{second}}}: User: arn:aws:sts::{account}:assumed-role/build-role/"
        ), context
        return
    assert build["buildStatus"] == "SUCCEEDED", text
    assert build["resolvedSourceVersion"] == second
    seen = lines_of(text)
    # The branch at the ref's commit, with the history up to it (so `git log` works).
    assert (seen["head"], seen["branch"], seen["count"]) == (second, "main", "2")
    assert seen["content"].startswith("two")
    assert CLONE_REF_FILE not in text
