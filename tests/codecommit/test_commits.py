"""Commits through the API (PutFile, DeleteFile, CreateCommit) and reading them back."""

from __future__ import annotations

from typing import Any

import pytest

from airlock.codecommit import operations
from tests.codecommit.helpers import refused, seeded

OUTDATED = (
    "The file could not be added because the provided parent commit ID {parent} is not the "
    "current tip of the branch main ({head}). To view the full commit ID of the current head "
    "of the branch, use GetBranch."
)
PARENT_REQUIRED = (
    "A parent commit ID is required. To view the full commit ID of a branch in a repository, "
    "use GetBranch or a Git command (for example, git pull or git log)."
)


def head(cc: Any, branch: str = "main", repo: str = "demo") -> str:
    return str(cc.get_branch(repositoryName=repo, branchName=branch)["branch"]["commitId"])


def test_put_file_makes_commits_on_a_branch(cc: Any) -> None:
    cc.create_repository(repositoryName="demo")
    first = cc.put_file(
        repositoryName="demo",
        branchName="main",
        filePath="/docs/guide.md",  # a leading slash is accepted, as the aws CLI examples use
        fileContent=b"v1\n",
        commitMessage="add the guide",
        name="Mary Major",
        email="mary@example.com",
    )
    assert head(cc) == first["commitId"]
    commit = cc.get_commit(repositoryName="demo", commitId=first["commitId"])["commit"]
    assert commit["treeId"] == first["treeId"] and commit["parents"] == []
    assert commit["message"] == "add the guide\n"
    assert commit["author"]["name"] == "Mary Major"
    assert commit["author"]["email"] == "mary@example.com"
    assert commit["author"]["date"].endswith(" +0000")
    assert commit["committer"] == commit["author"] and commit["additionalData"] == ""
    second = cc.put_file(
        repositoryName="demo",
        branchName="main",
        filePath="docs/guide.md",
        fileContent=b"v2\n",
        parentCommitId=first["commitId"],
        fileMode="EXECUTABLE",
    )
    got = cc.get_file(repositoryName="demo", filePath="docs/guide.md")
    assert got == {
        "commitId": second["commitId"],
        "blobId": second["blobId"],
        "filePath": "docs/guide.md",
        "fileMode": "EXECUTABLE",
        "fileSize": 3,
        "fileContent": b"v2\n",
        "ResponseMetadata": got["ResponseMetadata"],
    }
    old = cc.get_file(
        repositoryName="demo", filePath="docs/guide.md", commitSpecifier=first["commitId"]
    )
    assert (old["fileContent"], old["fileMode"]) == (b"v1\n", "NORMAL")
    assert cc.get_blob(repositoryName="demo", blobId=first["blobId"])["content"] == b"v1\n"
    # The caller's name when none is given (the root user here).
    assert (
        cc.get_commit(repositoryName="demo", commitId=second["commitId"])["commit"]["author"][
            "name"
        ]
        == "root"
    )


def test_put_file_is_an_optimistic_lock(cc: Any) -> None:
    first = seeded(cc)
    put = {"repositoryName": "demo", "branchName": "main", "filePath": "a.txt"}
    assert refused(cc.put_file, **put, fileContent=b"x") == (
        "ParentCommitIdRequiredException",
        PARENT_REQUIRED,
    )
    second = cc.put_file(**put, fileContent=b"x", parentCommitId=first)["commitId"]
    assert refused(cc.put_file, **put, fileContent=b"y", parentCommitId=first) == (
        "ParentCommitIdOutdatedException",
        OUTDATED.format(parent=first, head=second),
    )
    assert head(cc) == second  # the refused call moved nothing
    assert refused(cc.put_file, **put, fileContent=b"y", parentCommitId="abc") == (
        "InvalidParentCommitIdException",
        "The parent commit ID 'abc' is not valid. The commit ID cannot be empty, and must match "
        "the head commit ID for the branch of the repository where you want to add or update a "
        "file.",
    )
    missing = "0" * 40
    assert refused(cc.put_file, **put, fileContent=b"y", parentCommitId=missing)[0] == (
        "ParentCommitDoesNotExistException"
    )
    assert refused(cc.put_file, **put, fileContent=b"x", parentCommitId=second) == (
        "SameFileContentException",
        "The file a.txt was not added or updated because the content of the file is exactly "
        "the same as the content of that file in the repository and branch that you specified.",
    )
    assert refused(cc.put_file, **put, fileContent=b"", parentCommitId=second) == (
        "FileContentRequiredException",
        "The file is empty. Empty files cannot be added to a repository.",
    )
    other = {**put, "branchName": "elsewhere"}
    assert refused(cc.put_file, **other, fileContent=b"z", parentCommitId=second) == (
        "BranchDoesNotExistException",
        "The branch elsewhere does not exist in the repository demo.",
    )
    bad_branch = {**put, "branchName": "bad..name"}
    code, _ = refused(cc.put_file, **bad_branch, fileContent=b"z", parentCommitId=second)
    assert code == "InvalidBranchNameException"
    for path in ("a//b", "../up", ".git/config", "dir/"):
        code, message = refused(
            cc.put_file, **{**put, "filePath": path}, fileContent=b"z", parentCommitId=second
        )
        assert code == "InvalidPathException", path
        assert message.startswith(f"The path {path!r} is not valid.")
    assert refused(cc.put_file, **put, fileContent=b"z", parentCommitId=second, email="a<b")[0] == (
        "InvalidEmailException"
    )
    assert refused(cc.put_file, **put, fileContent=b"z", parentCommitId=second, name="n" * 1001)[
        0
    ] == ("NameLengthExceededException")
    assert head(cc) == second


def test_files_and_folders_do_not_collide(cc: Any) -> None:
    first = seeded(cc, files={"src/app.py": b"print()\n", "notes": b"n\n"})
    put = {"repositoryName": "demo", "branchName": "main", "parentCommitId": first}
    assert refused(cc.put_file, **put, filePath="src", fileContent=b"x")[0] == (
        "FileNameConflictsWithDirectoryNameException"
    )
    assert refused(cc.put_file, **put, filePath="notes/inner.txt", fileContent=b"x")[0] == (
        "DirectoryNameConflictsWithFileNameException"
    )


def test_delete_file(cc: Any) -> None:
    first = seeded(cc, files={"keep.txt": b"k\n", "dir/only.txt": b"o\n"})
    gone = cc.delete_file(
        repositoryName="demo",
        branchName="main",
        filePath="dir/only.txt",
        parentCommitId=first,
        commitMessage="drop it",
    )
    assert gone["filePath"] == "dir/only.txt"
    assert cc.get_blob(repositoryName="demo", blobId=gone["blobId"])["content"] == b"o\n"
    assert refused(cc.get_folder, repositoryName="demo", folderPath="dir")[0] == (
        "FolderDoesNotExistException"
    )
    assert refused(
        cc.delete_file,
        repositoryName="demo",
        branchName="main",
        filePath="dir/only.txt",
        parentCommitId=gone["commitId"],
    ) == (
        "FileDoesNotExistException",
        "The file dir/only.txt does not exist. Verify that you have used the correct file name, "
        "full path, and extension.",
    )
    kept = cc.create_commit(
        repositoryName="demo",
        branchName="main",
        parentCommitId=gone["commitId"],
        putFiles=[{"filePath": "box/item", "fileContent": b"i"}],
    )
    emptied = cc.delete_file(
        repositoryName="demo",
        branchName="main",
        filePath="box/item",
        parentCommitId=kept["commitId"],
        keepEmptyFolders=True,
    )
    folder = cc.get_folder(repositoryName="demo", folderPath="box")
    assert [f["relativePath"] for f in folder["files"]] == [".gitkeep"]
    assert folder["commitId"] == emptied["commitId"]


def test_create_commit(cc: Any) -> None:
    first = seeded(cc, files={"a.txt": b"a\n", "b.txt": b"b\n", "run.sh": b"echo\n"})
    out = cc.create_commit(
        repositoryName="demo",
        branchName="main",
        parentCommitId=first,
        authorName="Bot",
        email="bot@example.com",
        commitMessage="reshape",
        putFiles=[
            {"filePath": "new/c.txt", "fileContent": b"c\n"},
            {"filePath": "a.txt", "fileContent": b"A\n"},
            {"filePath": "moved/b.txt", "sourceFile": {"filePath": "b.txt", "isMove": True}},
            {"filePath": "copy.sh", "sourceFile": {"filePath": "run.sh"}},
            {"filePath": "link", "fileContent": b"a.txt", "fileMode": "SYMLINK"},
            {"filePath": "empty.txt", "fileContent": b""},
        ],
        setFileModes=[{"filePath": "run.sh", "fileMode": "EXECUTABLE"}],
    )
    added = {f["absolutePath"]: f["fileMode"] for f in out["filesAdded"]}
    assert added == {
        "new/c.txt": "NORMAL",
        "moved/b.txt": "NORMAL",
        "copy.sh": "NORMAL",
        "link": "SYMLINK",
        "empty.txt": "NORMAL",
    }
    assert {f["absolutePath"] for f in out["filesUpdated"]} == {"a.txt", "run.sh"}
    assert [f["absolutePath"] for f in out["filesDeleted"]] == ["b.txt"]
    root = cc.get_folder(repositoryName="demo", folderPath="")
    assert root["treeId"] == out["treeId"]
    assert {f["relativePath"]: f["fileMode"] for f in root["files"]} == {
        "a.txt": "NORMAL",
        "copy.sh": "NORMAL",
        "empty.txt": "NORMAL",
        "run.sh": "EXECUTABLE",
    }
    assert [s["relativePath"] for s in root["symbolicLinks"]] == ["link"]
    assert [s["absolutePath"] for s in root["subFolders"]] == ["moved", "new"]
    inner = cc.get_folder(repositoryName="demo", folderPath="/new/")
    assert inner["files"][0]["absolutePath"] == "new/c.txt"
    commit = cc.get_commit(repositoryName="demo", commitId=out["commitId"])["commit"]
    assert commit["parents"] == [first] and commit["author"]["name"] == "Bot"
    cc.create_commit(
        repositoryName="demo",
        branchName="main",
        parentCommitId=out["commitId"],
        deleteFiles=[{"filePath": "empty.txt"}],
    )
    assert refused(cc.get_file, repositoryName="demo", filePath="empty.txt")[0] == (
        "FileDoesNotExistException"
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({}, "FileEntryRequiredException"),
        ({"putFiles": [{"filePath": "x"}]}, "SourceFileOrContentRequiredException"),
        (
            {"putFiles": [{"filePath": "x", "fileContent": b"1", "sourceFile": {"filePath": "a"}}]},
            "FileContentAndSourceFileSpecifiedException",
        ),
        (
            {
                "putFiles": [{"filePath": "a", "fileContent": b"1"}],
                "deleteFiles": [{"filePath": "a"}],
            },
            "SamePathRequestException",
        ),
        (
            {
                "putFiles": [
                    {"filePath": "d", "fileContent": b"1"},
                    {"filePath": "d/e", "fileContent": b"2"},
                ]
            },
            "PutFileEntryConflictException",
        ),
        ({"deleteFiles": [{"filePath": "ghost"}]}, "FileDoesNotExistException"),
        (
            {"setFileModes": [{"filePath": "ghost", "fileMode": "NORMAL"}]},
            "FileDoesNotExistException",
        ),
        (
            {"putFiles": [{"filePath": "x", "sourceFile": {"filePath": "ghost"}}]},
            "FileDoesNotExistException",
        ),
        (
            {"putFiles": [{"filePath": "a", "fileContent": b"a\n"}]},
            "NoChangeException",
        ),
        (
            {"putFiles": [{"filePath": f"f{i}", "fileContent": b"1"} for i in range(101)]},
            "MaximumFileEntriesExceededException",
        ),
        (
            {"putFiles": [{"filePath": "k", "sourceFile": {"filePath": "dir/.gitkeep"}}]},
            "RestrictedSourceFileException",
        ),
    ],
)
def test_create_commit_refusals(cc: Any, changes: dict[str, Any], code: str) -> None:
    first = seeded(cc, files={"a": b"a\n", "dir/.gitkeep": b""})
    assert (
        refused(
            cc.create_commit,
            repositoryName="demo",
            branchName="main",
            parentCommitId=first,
            **changes,
        )[0]
        == code
    )
    assert head(cc) == first


def test_a_commit_too_big_for_the_api(cc: Any) -> None:
    first = seeded(cc)
    files = [{"filePath": f"big{i}", "fileContent": b"x" * (3 * 1024 * 1024)} for i in range(3)]
    assert refused(
        cc.create_commit,
        repositoryName="demo",
        branchName="main",
        parentCommitId=first,
        putFiles=files,
    ) == (
        "FileContentSizeLimitExceededException",
        "The file cannot be added because it is too large. The maximum file size is 6 MB, and "
        "the combined file content change size is 7 MB. Consider making these changes using a "
        "Git client.",
    )


def test_reading_by_specifier(cc: Any) -> None:
    first = seeded(cc)
    cc.create_branch(repositoryName="demo", branchName="v1-line", commitId=first)
    second = cc.put_file(
        repositoryName="demo",
        branchName="main",
        filePath="README.md",
        fileContent=b"# two\n",
        parentCommitId=first,
    )["commitId"]
    for specifier, content in (
        ("main", b"# two\n"),
        ("refs/heads/main", b"# two\n"),
        ("v1-line", b"# demo\n"),
        (first, b"# demo\n"),
        (second, b"# two\n"),
    ):
        got = cc.get_file(repositoryName="demo", filePath="README.md", commitSpecifier=specifier)
        assert got["fileContent"] == content, specifier
    assert refused(
        cc.get_file, repositoryName="demo", filePath="README.md", commitSpecifier="nowhere"
    ) == (
        "CommitDoesNotExistException",
        "The specified commit nowhere does not exist: it is neither a commit ID nor the name of "
        "a branch, tag or reference of the repository.",
    )
    blob = cc.get_file(repositoryName="demo", filePath="README.md")["blobId"]
    assert refused(cc.get_file, repositoryName="demo", filePath="README.md", commitSpecifier=blob)[
        0
    ] == ("InvalidCommitException")
    cc.create_repository(repositoryName="empty")
    assert refused(cc.get_file, repositoryName="empty", filePath="README.md") == (
        "CommitDoesNotExistException",
        "No commit was specified, and the specified repository has no default branch.",
    )
    assert refused(cc.get_commit, repositoryName="demo", commitId="f" * 40) == (
        "CommitIdDoesNotExistException",
        f"The specified commit ID {'f' * 40} does not exist in the repository demo.",
    )
    assert refused(cc.get_commit, repositoryName="demo", commitId="main") == (
        "InvalidCommitIdException",
        "The specified commit ID 'main' is not valid.",
    )
    assert refused(cc.get_blob, repositoryName="demo", blobId="e" * 40) == (
        "BlobIdDoesNotExistException",
        f"The specified blob {'e' * 40} does not exist.",
    )
    assert refused(cc.get_blob, repositoryName="demo", blobId="zz") == (
        "InvalidBlobIdException",
        "The specified blob 'zz' is not valid.",
    )
    assert refused(cc.get_folder, repositoryName="demo", folderPath="README.md")[0] == (
        "FolderDoesNotExistException"
    )


def test_differences(cc: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first = seeded(cc, files={"a.txt": b"a", "src/x.py": b"x", "src/y.py": b"y"})
    second = cc.create_commit(
        repositoryName="demo",
        branchName="main",
        parentCommitId=first,
        putFiles=[
            {"filePath": "src/x.py", "fileContent": b"X"},
            {"filePath": "b.txt", "fileContent": b"b"},
        ],
        deleteFiles=[{"filePath": "src/y.py"}],
    )["commitId"]
    found = cc.get_differences(
        repositoryName="demo", beforeCommitSpecifier=first, afterCommitSpecifier=second
    )["differences"]
    by_type = {
        (d["changeType"], (d.get("afterBlob") or d.get("beforeBlob"))["path"]) for d in found
    }
    assert by_type == {("A", "b.txt"), ("M", "src/x.py"), ("D", "src/y.py")}
    modified = next(d for d in found if d["changeType"] == "M")
    assert modified["beforeBlob"]["mode"] == modified["afterBlob"]["mode"] == "100644"
    scoped = cc.get_differences(
        repositoryName="demo",
        beforeCommitSpecifier=first,
        afterCommitSpecifier=second,
        afterPath="src",
    )["differences"]
    assert {d["changeType"] for d in scoped} == {"M", "D"}
    everything = cc.get_differences(repositoryName="demo", afterCommitSpecifier="main")
    assert {d["changeType"] for d in everything["differences"]} == {"A"}
    assert len(everything["differences"]) == 3
    monkeypatch.setattr(operations, "DIFFERENCES_PAGE", 2)
    page = cc.get_differences(repositoryName="demo", afterCommitSpecifier="main")
    assert len(page["differences"]) == 2
    rest = cc.get_differences(
        repositoryName="demo", afterCommitSpecifier="main", NextToken=page["NextToken"]
    )
    assert len(rest["differences"]) == 1 and "NextToken" not in rest
    assert refused(
        cc.get_differences, repositoryName="demo", afterCommitSpecifier="main", afterPath="nope"
    ) == ("PathDoesNotExistException", "The specified path nope does not exist.")
    assert refused(
        cc.get_differences, repositoryName="demo", afterCommitSpecifier="main", MaxResults=0
    ) == (
        "InvalidMaxResultsException",
        "The specified number of maximum results (0) is not valid: give 1 or more.",
    )
