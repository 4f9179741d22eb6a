"""Pure parts of CodeCommit: paths, tree edits, input-shape errors, ref checks."""

from __future__ import annotations

import pytest
from dulwich.object_store import MemoryObjectStore
from dulwich.objects import Blob

from airlock.codecommit import errors
from airlock.codecommit.models import Repository
from airlock.codecommit.refs import RefUpdate, check_update
from airlock.codecommit.storage import GitObjects, mode_name
from airlock.codecommit.trees import TreeEditor, lookup, normalize_path
from airlock.core.errors import Problem, ValidationError


@pytest.mark.parametrize(
    ("given", "folder", "expected"),
    [
        ("README.md", False, "README.md"),
        ("/src/app.py", False, "src/app.py"),
        ("", True, ""),
        ("/", True, ""),
        ("/src/", True, "src"),
    ],
)
def test_paths(given: str, folder: bool, expected: str) -> None:
    assert normalize_path(given, folder=folder) == expected


@pytest.mark.parametrize("bad", ["", "a//b", "./a", "a/../b", ".git/HEAD", "a/", "nul\x00"])
def test_bad_paths(bad: str) -> None:
    with pytest.raises(errors.CodeCommitError) as caught:
        normalize_path(bad)
    assert caught.value.code == "InvalidPathException"


def test_tree_edits_touch_only_their_folders() -> None:
    objects = GitObjects(MemoryObjectStore())
    blob = Blob.from_string(b"x")
    objects.add([blob])
    editor = TreeEditor(objects, None)
    editor.put("a/b/c.txt", 0o100644, blob.id.decode())
    editor.put("top", 0o100755, blob.id.decode())
    root = editor.write()
    objects.add(editor.made)
    assert lookup(objects, root, "a/b/c.txt") == (0o100644, blob.id.decode())
    assert lookup(objects, root, "a/b") is not None
    assert lookup(objects, root, "top/x") is None
    second = TreeEditor(objects, root)
    assert second.delete("a/b/c.txt") == (0o100644, blob.id.decode())
    emptied = second.write()
    objects.add(second.made)
    assert lookup(objects, emptied, "a") is None  # empty folders go
    third = TreeEditor(objects, root)
    third.delete("a/b/c.txt")
    kept = third.write(keep_empty_folders=True)
    objects.add(third.made)
    assert lookup(objects, kept, "a/b/.gitkeep") is not None
    with pytest.raises(errors.CodeCommitError) as caught:
        TreeEditor(objects, root).put("top/inner", 0o100644, blob.id.decode())
    assert caught.value.code == "DirectoryNameConflictsWithFileNameException"
    with pytest.raises(errors.CodeCommitError) as caught:
        TreeEditor(objects, root).put("a", 0o100644, blob.id.decode())
    assert caught.value.code == "FileNameConflictsWithDirectoryNameException"


def test_mode_names() -> None:
    assert [mode_name(m) for m in (0o100644, 0o100755, 0o120000)] == [
        "NORMAL",
        "EXECUTABLE",
        "SYMLINK",
    ]


@pytest.mark.parametrize(
    ("member", "kind", "code"),
    [
        ("repositoryName", "required", "RepositoryNameRequiredException"),
        ("repositoryName", "pattern", "InvalidRepositoryNameException"),
        ("newName", "max_length", "InvalidRepositoryNameException"),
        ("repositoryNames.3.member", "pattern", "InvalidRepositoryNameException"),
        ("defaultBranchName", "required", "BranchNameRequiredException"),
        ("putFiles.1.member.filePath", "required", "PathRequiredException"),
        ("putFiles.1.member.fileMode", "enum", "InvalidFileModeException"),
        ("setFileModes.2.member.fileMode", "required", "FileModeRequiredException"),
        ("tags.entry.key", "max_length", "InvalidTagsMapException"),
        ("fileContent", "max_length", "FileContentSizeLimitExceededException"),
        ("sortBy", "enum", "InvalidSortByException"),
        ("nextToken", "type", "ValidationException"),
    ],
)
def test_shape_violations_become_codecommits_errors(member: str, kind: str, code: str) -> None:
    error = ValidationError([Problem(kind, member, f"Value at '{member}' failed")])
    assert errors.validation_error(error).code == code


def test_ref_checks() -> None:
    repo = Repository(name="r", default_branch="main")
    head = "a" * 40
    current = {"refs/heads/main": head, "refs/heads/feature": head}
    assert check_update(RefUpdate("refs/heads/main", head, "b" * 40), current, repo, set()) is None
    assert check_update(RefUpdate("refs/heads/new", None, head), current, repo, set()) is None
    assert check_update(RefUpdate("refs/heads/main", None, head), current, repo, set()) == (
        f"the ref is at {head}, not at nothing"
    )
    assert check_update(RefUpdate("refs/heads/feature/x", None, head), current, repo, set()) == (
        "the ref name conflicts with the existing ref refs/heads/feature"
    )
    assert check_update(RefUpdate("refs/heads/bad..name", None, head), current, repo, set()) == (
        "the ref name is not valid"
    )
    assert check_update(RefUpdate("refs/heads/x", None, "zz"), current, repo, set()) == (
        "zz is not an object id"
    )
    deleting = check_update(RefUpdate("refs/heads/main", head, None), current, repo, set())
    assert deleting is not None and deleting.startswith("DefaultBranchCannotBeDeletedException")
    assert check_update(RefUpdate("refs/heads/a", None, head), current, repo, {"refs/heads/a"}) == (
        "the ref is named twice in one update"
    )
