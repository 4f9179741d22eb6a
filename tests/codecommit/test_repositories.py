"""Repositories through boto3: create, read, list, rename, describe, delete, tag; tenancy; IAM."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.codecommit import operations
from tests.codecommit.helpers import refused, repository_dir, seeded
from tests.support import LiveServer, policy_user

NAME_RULES = (
    "The repository name is not valid. Repository names can be any valid combination of "
    "letters, numbers, periods, underscores, and dashes between 1 and 100 characters in "
    "length. Names are case sensitive. For more information, see Limits in the AWS "
    "CodeCommit User Guide. "
)


def test_create_and_get(cc: Any, server: LiveServer, account_id: str, region: str) -> None:
    made = cc.create_repository(
        repositoryName="iris-deploy",
        repositoryDescription="deployment code",
        tags={"team": "ml"},
    )["repositoryMetadata"]
    assert made["repositoryName"] == "iris-deploy"
    assert made["accountId"] == account_id
    assert made["Arn"] == f"arn:aws:codecommit:{region}:{account_id}:iris-deploy"
    assert made["cloneUrlHttp"] == f"{server.url}/v1/repos/iris-deploy"
    assert made["cloneUrlSsh"] == "ssh://127.0.0.1/v1/repos/iris-deploy"
    assert made["repositoryDescription"] == "deployment code"
    assert "defaultBranch" not in made  # an empty repository has none yet
    assert isinstance(made["creationDate"], datetime)
    assert len(made["repositoryId"]) == 36
    got = cc.get_repository(repositoryName="iris-deploy")["repositoryMetadata"]
    assert got == made
    assert cc.list_tags_for_resource(resourceArn=made["Arn"])["tags"] == {"team": "ml"}
    # Its bare directory exists, named by id.
    assert (repository_dir(server, cc, "iris-deploy") / "objects").is_dir()


def test_names_are_checked(cc: Any) -> None:
    for bad in ("has space", "ends.git", "x" * 101, "ümlaut", ".."):
        assert refused(cc.create_repository, repositoryName=bad) == (
            "InvalidRepositoryNameException",
            NAME_RULES,
        ), bad
    cc.create_repository(repositoryName="Repo_1.x-y")
    assert refused(cc.create_repository, repositoryName="Repo_1.x-y") == (
        "RepositoryNameExistsException",
        "Repository named Repo_1.x-y already exists",
    )
    # Names are case sensitive.
    cc.create_repository(repositoryName="repo_1.x-y")
    assert refused(cc.get_repository, repositoryName="nope") == (
        "RepositoryDoesNotExistException",
        "nope does not exist",
    )
    assert refused(cc.get_repository, repositoryName="bad name") == (
        "InvalidRepositoryNameException",
        NAME_RULES,
    )
    assert refused(cc.create_repository, repositoryName="d", repositoryDescription="x" * 1001)[
        0
    ] == ("InvalidRepositoryDescriptionException")
    assert refused(cc.create_repository, repositoryName="t", tags={"aws:x": "1"}) == (
        "InvalidSystemTagUsageException",
        "The specified tag 'aws:x' is not valid. Key names cannot be prefixed with aws:.",
    )
    names = [r["repositoryName"] for r in cc.list_repositories()["repositories"]]
    assert names == ["Repo_1.x-y", "repo_1.x-y"]  # the refused calls made nothing


def test_batch_get(cc: Any) -> None:
    cc.create_repository(repositoryName="one")
    cc.create_repository(repositoryName="two")
    out = cc.batch_get_repositories(repositoryNames=["one", "missing", "two"])
    assert [r["repositoryName"] for r in out["repositories"]] == ["one", "two"]
    assert out["repositoriesNotFound"] == ["missing"]
    assert out["errors"] == [
        {
            "repositoryName": "missing",
            "errorCode": "RepositoryDoesNotExistException",
            "errorMessage": "missing does not exist",
        }
    ]
    code, message = refused(
        cc.batch_get_repositories, repositoryNames=[f"r{i}" for i in range(101)]
    )
    assert code == "MaximumRepositoryNamesExceededException"
    assert message.endswith("Currently, this number is 100.")
    assert refused(cc.batch_get_repositories, repositoryNames=[]) == (
        "RepositoryNamesRequiredException",
        "At least one repository name object is required, but was not specified.",
    )


def test_list_sorts_and_pages(cc: Any, server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("bravo", "alpha", "charlie"):
        cc.create_repository(repositoryName=name)
    cc.update_repository_description(repositoryName="alpha", repositoryDescription="touched")
    ids = {r["repositoryName"]: r["repositoryId"] for r in cc.list_repositories()["repositories"]}
    assert list(ids) == ["alpha", "bravo", "charlie"]
    listed = cc.list_repositories(sortBy="repositoryName", order="descending")["repositories"]
    assert [r["repositoryName"] for r in listed] == ["charlie", "bravo", "alpha"]
    recent = cc.list_repositories(sortBy="lastModifiedDate", order="descending")["repositories"]
    assert recent[0] == {"repositoryName": "alpha", "repositoryId": ids["alpha"]}
    monkeypatch.setattr(operations, "REPOSITORIES_PAGE", 2)
    first = cc.list_repositories()
    assert [r["repositoryName"] for r in first["repositories"]] == ["alpha", "bravo"]
    rest = cc.list_repositories(nextToken=first["nextToken"])
    assert [r["repositoryName"] for r in rest["repositories"]] == ["charlie"]
    assert "nextToken" not in rest
    assert refused(cc.list_repositories, nextToken="garbage") == (
        "InvalidContinuationTokenException",
        "The specified continuation token is not valid.",
    )
    raw = server.client("codecommit", config=_no_validation())
    assert refused(raw.list_repositories, sortBy="size") == (
        "InvalidSortByException",
        "The specified sort by value is not valid.",
    )
    assert refused(raw.list_repositories, order="sideways") == (
        "InvalidOrderException",
        "The specified sort order is not valid.",
    )


def _no_validation() -> Any:
    from botocore.config import Config

    return Config(parameter_validation=False)


def test_required_members_get_codecommits_own_errors(server: LiveServer) -> None:
    raw = server.client("codecommit", config=_no_validation())
    assert refused(raw.get_repository) == (
        "RepositoryNameRequiredException",
        "A repository name is required, but was not specified.",
    )
    assert refused(raw.get_branch, repositoryName="x") == (
        "BranchNameRequiredException",
        "A branch name is required, but was not specified.",
    )
    assert refused(raw.create_repository, repositoryName="") == (
        "InvalidRepositoryNameException",
        NAME_RULES,
    )


def test_rename_describe_and_delete(cc: Any, server: LiveServer, region: str) -> None:
    head = seeded(cc, "before")
    arn = cc.get_repository(repositoryName="before")["repositoryMetadata"]["Arn"]
    cc.tag_resource(resourceArn=arn, tags={"k": "v"})
    directory = repository_dir(server, cc, "before")
    cc.update_repository_name(oldName="before", newName="after")
    assert refused(cc.get_repository, repositoryName="before")[0] == (
        "RepositoryDoesNotExistException"
    )
    meta = cc.get_repository(repositoryName="after")["repositoryMetadata"]
    assert meta["Arn"].endswith(":after") and meta["cloneUrlHttp"].endswith("/v1/repos/after")
    # The tags and the commits follow the repository; the directory is the same one.
    assert cc.list_tags_for_resource(resourceArn=meta["Arn"])["tags"] == {"k": "v"}
    assert cc.get_branch(repositoryName="after", branchName="main")["branch"]["commitId"] == head
    assert repository_dir(server, cc, "after") == directory
    cc.create_repository(repositoryName="taken")
    assert refused(cc.update_repository_name, oldName="after", newName="taken") == (
        "RepositoryNameExistsException",
        "Repository named taken already exists",
    )
    assert refused(cc.update_repository_name, oldName="ghost", newName="x") == (
        "RepositoryDoesNotExistException",
        "ghost does not exist",
    )
    cc.update_repository_description(repositoryName="after", repositoryDescription="new words")
    assert (
        cc.get_repository(repositoryName="after")["repositoryMetadata"]["repositoryDescription"]
        == "new words"
    )
    cc.update_repository_description(repositoryName="after")
    assert (
        "repositoryDescription"
        not in cc.get_repository(repositoryName="after")["repositoryMetadata"]
    )
    deleted = cc.delete_repository(repositoryName="after")
    assert deleted["repositoryId"] == meta["repositoryId"]
    assert not directory.exists()
    # Deleting again is not an error; the answer names no repository, as AWS's does.
    assert "repositoryId" not in cc.delete_repository(repositoryName="after")
    # A new repository of the old name is a new repository.
    again = cc.create_repository(repositoryName="after")["repositoryMetadata"]
    assert again["repositoryId"] != meta["repositoryId"]
    assert cc.list_branches(repositoryName="after")["branches"] == []


def test_default_branch(cc: Any) -> None:
    head = seeded(cc)
    assert cc.get_repository(repositoryName="demo")["repositoryMetadata"]["defaultBranch"] == (
        "main"
    )
    cc.create_branch(repositoryName="demo", branchName="release", commitId=head)
    cc.update_default_branch(repositoryName="demo", defaultBranchName="release")
    assert cc.get_repository(repositoryName="demo")["repositoryMetadata"]["defaultBranch"] == (
        "release"
    )
    assert refused(cc.update_default_branch, repositoryName="demo", defaultBranchName="nope") == (
        "BranchDoesNotExistException",
        "The branch nope does not exist in the repository demo.",
    )
    code, _ = refused(cc.update_default_branch, repositoryName="demo", defaultBranchName="a..b")
    assert code == "InvalidBranchNameException"


def test_tags(cc: Any, account_id: str, region: str) -> None:
    arn = cc.create_repository(repositoryName="tagged")["repositoryMetadata"]["Arn"]
    cc.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    cc.tag_resource(resourceArn=arn, tags={"a": "3"})
    cc.untag_resource(resourceArn=arn, tagKeys=["b", "never-there"])
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "3"}
    assert refused(cc.tag_resource, resourceArn="not-an-arn", tags={"a": "1"}) == (
        "InvalidResourceArnException",
        "The value for the resource ARN 'not-an-arn' is not valid. A repository's ARN is "
        "arn:aws:codecommit:REGION:ACCOUNT:NAME.",
    )
    ghost = f"arn:aws:codecommit:{region}:{account_id}:ghost"
    assert refused(cc.list_tags_for_resource, resourceArn=ghost) == (
        "RepositoryDoesNotExistException",
        "ghost does not exist",
    )
    code, message = refused(
        cc.tag_resource, resourceArn=arn, tags={f"k{i}": "v" for i in range(51)}
    )
    assert (code, message) == (
        "TooManyTagsException",
        "The maximum number of tags for a CodeCommit resource (50) has been exceeded.",
    )
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "3"}


def test_created_in_one_account_is_not_seen_from_another(server: LiveServer, cc: Any) -> None:
    seeded(cc, "private")
    other = server.create_account("staging")
    theirs = server.client("codecommit", other)
    assert refused(theirs.get_repository, repositoryName="private") == (
        "RepositoryDoesNotExistException",
        "private does not exist",
    )
    assert theirs.list_repositories()["repositories"] == []
    assert refused(theirs.get_file, repositoryName="private", filePath="README.md")[0] == (
        "RepositoryDoesNotExistException"
    )
    # The same name is free in the other account, and holds its own commits.
    theirs.create_repository(repositoryName="private")
    assert theirs.list_branches(repositoryName="private")["branches"] == []
    assert cc.list_branches(repositoryName="private")["branches"] == ["main"]
    # Deleting theirs leaves ours.
    theirs.delete_repository(repositoryName="private")
    assert cc.get_file(repositoryName="private", filePath="README.md")["fileContent"] == (
        b"# demo\n"
    )


def test_iam_decides_and_references_narrow_a_branch(server: LiveServer, cc: Any) -> None:
    head = seeded(cc)
    cc.create_branch(repositoryName="demo", branchName="dev", commitId=head)
    client, user_arn = policy_user(
        server,
        "developer",
        "codecommit",
        {"Effect": "Allow", "Action": "codecommit:*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": ["codecommit:PutFile", "codecommit:CreateCommit"],
            "Resource": "*",
            "Condition": {"StringEquals": {"codecommit:References": ["refs/heads/main"]}},
        },
    )
    code, message = refused(
        client.put_file,
        repositoryName="demo",
        branchName="main",
        fileContent=b"x",
        filePath="x.txt",
        parentCommitId=head,
    )
    assert code == "AccessDeniedException"
    assert user_arn in message and "codecommit:PutFile" in message
    assert cc.get_branch(repositoryName="demo", branchName="main")["branch"]["commitId"] == head
    moved = client.put_file(
        repositoryName="demo",
        branchName="dev",
        fileContent=b"x",
        filePath="x.txt",
        parentCommitId=head,
    )
    assert (
        cc.get_branch(repositoryName="demo", branchName="dev")["branch"]["commitId"]
        == (moved["commitId"])
    )
    reader, _ = policy_user(
        server,
        "reader",
        "codecommit",
        {"Effect": "Allow", "Action": "codecommit:Get*", "Resource": "*"},
    )
    assert reader.get_repository(repositoryName="demo")["repositoryMetadata"]["repositoryName"]
    with pytest.raises(ClientError) as caught:
        reader.delete_repository(repositoryName="demo")
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "codecommit:DeleteRepository" in caught.value.response["Error"]["Message"]
    assert cc.get_repository(repositoryName="demo")
