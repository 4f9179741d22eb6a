"""Pure parts of CODECOMMIT sources: clone URLs, clone refs and refusal messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airlock.codebuild.gitsource import (
    CLONE_REF_FILE,
    CloneRef,
    GitCloner,
    GitSourceError,
    airlock_clone_url,
    read_clone_ref,
    refusal,
)

ENDPOINT = "http://127.0.0.1:4566"


@pytest.mark.parametrize(
    "location",
    [
        f"{ENDPOINT}/v1/repos/app",
        f"{ENDPOINT}/v1/repos/app.git",
        "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/app",
        "https://git-codecommit-fips.us-east-1.amazonaws.com/v1/repos/app/",
    ],
)
def test_clone_urls_name_the_repository_here(location: str) -> None:
    assert airlock_clone_url(location, ENDPOINT, "us-east-1") == f"{ENDPOINT}/v1/repos/app"


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (
            "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/app",
            "The CODECOMMIT source location https://git-codecommit.eu-west-1.amazonaws.com/v1/"
            "repos/app is a repository in region eu-west-1, but the build runs in region "
            "us-east-1",
        ),
        (
            "https://git.example.com/v1/repos/app",
            "The CODECOMMIT source location https://git.example.com/v1/repos/app is not a "
            f"repository of this Airlock ({ENDPOINT}/v1/repos/<name>) or of CodeCommit "
            "(https://git-codecommit.us-east-1.amazonaws.com/v1/repos/<name>)",
        ),
        (
            "ssh://127.0.0.1/v1/repos/app",
            "The CODECOMMIT source location ssh://127.0.0.1/v1/repos/app is not a repository's "
            "HTTPS clone URL (cloneUrlHttp, .../v1/repos/<repository name>)",
        ),
    ],
)
def test_other_locations_are_refused(location: str, message: str) -> None:
    with pytest.raises(GitSourceError) as caught:
        airlock_clone_url(location, ENDPOINT, "us-east-1")
    assert str(caught.value) == message


def test_refusals_in_codebuilds_words() -> None:
    stderr = (
        "remote: User: arn:aws:sts::1:assumed-role/r/s is not authorized\n"
        "fatal: unable to access 'http://h/v1/repos/a/': The requested URL returned error: 403\n"
    )
    assert refusal(stderr, "for primary source and source version main") == (
        "authorization failed for primary source and source version main: "
        "User: arn:aws:sts::1:assumed-role/r/s is not authorized"
    )
    assert refusal("fatal: ... returned error: 404\n", "for x") == "repository not found for x"
    assert (
        refusal("fatal: something else\n", "for x")
        == "git clone failed for x: fatal: something else"
    )


def test_a_clone_ref_is_the_one_file_of_the_artifact(tmp_path: Path) -> None:
    ref = {
        "cloneUrlHttp": f"{ENDPOINT}/v1/repos/app",
        "repositoryName": "app",
        "branch": "main",
        "commitId": "a" * 40,
        "accountId": "123456789012",
        "region": "us-east-1",
    }
    (tmp_path / CLONE_REF_FILE).write_text(json.dumps(ref))
    found = read_clone_ref(tmp_path)
    assert found is not None and (found.branch, found.commit) == ("main", "a" * 40)
    (tmp_path / "other.txt").write_text("x")
    assert read_clone_ref(tmp_path) is None
    (tmp_path / "other.txt").unlink()
    (tmp_path / CLONE_REF_FILE).write_text(json.dumps({**ref, "commitId": "main"}))
    with pytest.raises(GitSourceError) as caught:
        read_clone_ref(tmp_path)
    assert str(caught.value) == "The clone ref's commitId 'main' is not a full commit id"


def test_a_clone_ref_of_another_account_is_refused(tmp_path: Path) -> None:
    cloner = GitCloner(
        git="git",
        home=tmp_path,
        endpoint=ENDPOINT,
        region="us-east-1",
        credentials={},
        log=lambda line: None,
        deadline=0.0,
    )
    ref = CloneRef(f"{ENDPOINT}/v1/repos/app", "app", "main", "a" * 40, "222222222222", "us-east-1")
    with pytest.raises(GitSourceError) as caught:
        cloner.clone_ref(ref, "111111111111", tmp_path, "primary source")
    assert str(caught.value) == (
        "The clone ref names repository app of account 222222222222, but the build's service "
        "role is of account 111111111111: git serves a role the repositories of its own "
        "account only"
    )
