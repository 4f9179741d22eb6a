"""Branches through boto3, and the state-change events every ref change puts on the bus."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airlock.codecommit import operations
from tests.codecommit.helpers import refused, seeded
from tests.events.test_delivery import log_messages
from tests.support import LiveServer, wait_for


def test_branch_lifecycle(cc: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first = seeded(cc)
    cc.create_branch(repositoryName="demo", branchName="feature/login", commitId=first)
    assert cc.get_branch(repositoryName="demo", branchName="feature/login")["branch"] == {
        "branchName": "feature/login",
        "commitId": first,
    }
    assert cc.list_branches(repositoryName="demo")["branches"] == ["feature/login", "main"]
    assert refused(cc.create_branch, repositoryName="demo", branchName="main", commitId=first) == (
        "BranchNameExistsException",
        "Cannot create the branch main because a branch with that name already exists in the "
        "repository. Branch names must be unique.",
    )
    code, message = refused(
        cc.create_branch, repositoryName="demo", branchName="feature/login/v2", commitId=first
    )
    assert code == "InvalidBranchNameException"
    assert "conflicts with the existing ref refs/heads/feature/login" in message
    assert refused(cc.create_branch, repositoryName="demo", branchName="x", commitId="f" * 40) == (
        "CommitDoesNotExistException",
        f"The specified commit {'f' * 40} does not exist in the repository demo.",
    )
    assert refused(cc.create_branch, repositoryName="demo", branchName="x", commitId="abc") == (
        "InvalidCommitIdException",
        "The specified commit ID 'abc' is not valid.",
    )
    for bad in ("has space", "a..b", "ends.lock", "-dash", "HEAD", "tilde~1"):
        code, _ = refused(cc.create_branch, repositoryName="demo", branchName=bad, commitId=first)
        assert code == "InvalidBranchNameException", bad
    assert refused(cc.get_branch, repositoryName="demo", branchName="nope") == (
        "BranchDoesNotExistException",
        "The branch nope does not exist in the repository demo.",
    )
    assert refused(cc.delete_branch, repositoryName="demo", branchName="main") == (
        "DefaultBranchCannotBeDeletedException",
        "The branch main is the default branch for the repository, and cannot be deleted. To "
        "delete this branch, you must first set another branch as the default branch.",
    )
    deleted = cc.delete_branch(repositoryName="demo", branchName="feature/login")
    assert deleted["deletedBranch"] == {"branchName": "feature/login", "commitId": first}
    assert "deletedBranch" not in cc.delete_branch(
        repositoryName="demo", branchName="feature/login"
    )
    assert cc.list_branches(repositoryName="demo")["branches"] == ["main"]
    # Now that the folder-like name is free, the longer one can be made.
    cc.create_branch(repositoryName="demo", branchName="feature/login/v2", commitId=first)
    monkeypatch.setattr(operations, "BRANCHES_PAGE", 1)
    page = cc.list_branches(repositoryName="demo")
    assert page["branches"] == ["feature/login/v2"]
    assert cc.list_branches(repositoryName="demo", nextToken=page["nextToken"])["branches"] == [
        "main"
    ]
    assert refused(cc.list_branches, repositoryName="demo", nextToken="!!")[0] == (
        "InvalidContinuationTokenException"
    )
    assert refused(cc.list_branches, repositoryName="ghost") == (
        "RepositoryDoesNotExistException",
        "ghost does not exist",
    )


def _events(server: LiveServer, group: str, count: int) -> list[dict[str, Any]]:
    logs = server.client("logs")

    def enough() -> list[str] | None:
        found = log_messages(logs, group)
        return found if len(found) >= count else None

    messages = wait_for(enough, what=f"{count} CodeCommit events")
    return sorted((json.loads(m) for m in messages), key=lambda e: e["time"])


def test_ref_changes_put_state_change_events_on_the_bus(
    server: LiveServer, cc: Any, account_id: str, region: str
) -> None:
    logs, events = server.client("logs"), server.client("events")
    logs.create_log_group(logGroupName="/codecommit")
    events.put_rule(
        Name="repo-changes",
        EventPattern=json.dumps(
            {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"]}
        ),
    )
    group_arn = f"arn:aws:logs:{region}:{account_id}:log-group:/codecommit"
    events.put_targets(Rule="repo-changes", Targets=[{"Id": "log", "Arn": group_arn}])
    meta = cc.create_repository(repositoryName="watched")["repositoryMetadata"]
    first = cc.put_file(
        repositoryName="watched", branchName="main", filePath="a", fileContent=b"1"
    )["commitId"]
    second = cc.put_file(
        repositoryName="watched",
        branchName="main",
        filePath="a",
        fileContent=b"2",
        parentCommitId=first,
    )["commitId"]
    cc.create_branch(repositoryName="watched", branchName="topic", commitId=first)
    cc.delete_branch(repositoryName="watched", branchName="topic")
    # A refused change emits nothing.
    refused(
        cc.put_file,
        repositoryName="watched",
        branchName="main",
        filePath="a",
        fileContent=b"3",
        parentCommitId=first,
    )
    found = _events(server, "/codecommit", 4)
    assert len(found) == 4
    for event in found:
        assert (event["source"], event["detail-type"]) == (
            "aws.codecommit",
            "CodeCommit Repository State Change",
        )
        assert (event["account"], event["region"]) == (account_id, region)
        assert event["resources"] == [meta["Arn"]]
    common = {
        "repositoryName": "watched",
        "repositoryId": meta["repositoryId"],
        "referenceType": "branch",
        "callerUserArn": f"arn:aws:iam::{account_id}:root",
    }
    details = sorted((e["detail"] for e in found), key=lambda d: (d["referenceName"], d["event"]))
    assert details == [
        {
            **common,
            "event": "referenceCreated",
            "referenceName": "main",
            "referenceFullName": "refs/heads/main",
            "commitId": first,
        },
        {
            **common,
            "event": "referenceUpdated",
            "referenceName": "main",
            "referenceFullName": "refs/heads/main",
            "commitId": second,
            "oldCommitId": first,
        },
        {
            **common,
            "event": "referenceCreated",
            "referenceName": "topic",
            "referenceFullName": "refs/heads/topic",
            "commitId": first,
        },
        {
            **common,
            "event": "referenceDeleted",
            "referenceName": "topic",
            "referenceFullName": "refs/heads/topic",
            "oldCommitId": first,
        },
    ]
