"""Reading a repository: commits by specifier, files, folders, blobs and differences."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from typing import Any

from dulwich.diff_tree import tree_changes
from dulwich.objects import Commit, ObjectID

from . import errors
from .storage import (
    BRANCH_PREFIX,
    MODE_SUBMODULE,
    TAG_PREFIX,
    GitObjects,
    is_hex_id,
    mode_name,
)
from .trees import file_does_not_exist, is_tree, lookup, normalize_path

# GetFile and GetBlob return at most this much, as CodeCommit does.
MAX_READ_BYTES = 6 * 1024 * 1024


def resolve_commit(
    objects: GitObjects,
    refs: Mapping[str, str],
    default_branch: str | None,
    specifier: str | None,
) -> Commit:
    """The commit a specifier names: a commit id, a branch, a tag or a full ref.

    No specifier names the default branch's head.
    """
    if not specifier:
        head = refs.get(BRANCH_PREFIX + default_branch) if default_branch else None
        commit = objects.commit(head) if head else None
        if commit is None:
            raise errors.CommitDoesNotExist(
                "No commit was specified, and the specified repository has no default branch."
            )
        return commit
    if is_hex_id(specifier):
        found = objects.get(specifier)
        if found is not None:
            if not isinstance(found, Commit):
                raise errors.InvalidCommit(
                    f"The specified commit {specifier} is not valid: it names a "
                    f"{found.type_name.decode()}, not a commit."
                )
            return found
    for ref in (BRANCH_PREFIX + specifier, TAG_PREFIX + specifier, specifier):
        target = refs.get(ref)
        if target is not None:
            commit = objects.peeled_commit(target)
            if commit is not None:
                return commit
    raise errors.CommitDoesNotExist(
        f"The specified commit {specifier} does not exist: it is neither a commit ID nor the "
        "name of a branch, tag or reference of the repository."
    )


def commit_out(commit: Commit) -> dict[str, Any]:
    """The `Commit` structure of GetCommit."""

    def person(line: bytes, when: int, zone: int) -> dict[str, str]:
        text = line.decode(errors="replace")
        name, _, rest = text.partition(" <")
        sign = "-" if zone < 0 else "+"
        minutes = abs(zone) // 60
        return {
            "name": name,
            "email": rest.rstrip(">"),
            "date": f"{when} {sign}{minutes // 60:02d}{minutes % 60:02d}",
        }

    return {
        "commitId": commit.id.decode(),
        "treeId": commit.tree.decode(),
        "parents": [p.decode() for p in commit.parents],
        "message": commit.message.decode(errors="replace"),
        "author": person(commit.author, commit.author_time, commit.author_timezone),
        "committer": person(commit.committer, commit.commit_time, commit.commit_timezone),
        "additionalData": "",
    }


def get_file(objects: GitObjects, commit: Commit, path: str) -> dict[str, Any]:
    """GetFile's output for `path` at `commit`."""
    normal = normalize_path(path)
    found = lookup(objects, commit.tree.decode(), normal)
    if found is None or is_tree(found[0]) or found[0] == MODE_SUBMODULE:
        raise file_does_not_exist(normal)
    blob = objects.blob(found[1])
    if blob is None:
        raise file_does_not_exist(normal)
    content = blob.as_raw_string()
    if len(content) > MAX_READ_BYTES:
        raise errors.FileTooLarge(
            f"The file {normal} ({len(content)} bytes) exceeds the file size limit for "
            "CodeCommit (6 MB). Use a Git client to read it."
        )
    return {
        "commitId": commit.id.decode(),
        "blobId": found[1],
        "filePath": normal,
        "fileMode": mode_name(found[0]),
        "fileSize": len(content),
        "fileContent": content,
    }


def get_folder(objects: GitObjects, commit: Commit, path: str) -> dict[str, Any]:
    """GetFolder's output for `path` at `commit`."""
    normal = normalize_path(path, folder=True)
    found = lookup(objects, commit.tree.decode(), normal)
    if found is None or not is_tree(found[0]):
        raise errors.FolderDoesNotExist(
            f"The folder {path} does not exist in commit {commit.id.decode()}. Either the folder "
            "name is not correct, or you did not enter the full path to the folder."
        )
    out: dict[str, Any] = {
        "commitId": commit.id.decode(),
        "folderPath": path,
        "treeId": found[1],
        "subFolders": [],
        "files": [],
        "symbolicLinks": [],
        "subModules": [],
    }
    for item in objects.tree(found[1]).iteritems():
        name = item.path.decode(errors="replace")
        entry: dict[str, Any] = {
            "absolutePath": f"{normal}/{name}" if normal else name,
            "relativePath": name,
        }
        if is_tree(item.mode):
            out["subFolders"].append({"treeId": item.sha.decode(), **entry})
        elif item.mode == MODE_SUBMODULE:
            out["subModules"].append({"commitId": item.sha.decode(), **entry})
        else:
            key = "symbolicLinks" if stat.S_ISLNK(item.mode) else "files"
            out[key].append(
                {"blobId": item.sha.decode(), **entry, "fileMode": mode_name(item.mode)}
            )
    return out


def get_blob(objects: GitObjects, blob_id: str) -> bytes:
    """GetBlob's content."""
    if not is_hex_id(blob_id):
        raise errors.InvalidBlobId(f"The specified blob {blob_id!r} is not valid.")
    blob = objects.blob(blob_id)
    if blob is None:
        raise errors.BlobIdDoesNotExist(f"The specified blob {blob_id} does not exist.")
    content = blob.as_raw_string()
    if len(content) > MAX_READ_BYTES:
        raise errors.FileTooLarge(
            f"The blob {blob_id} ({len(content)} bytes) exceeds the file size limit for "
            "CodeCommit (6 MB). Use a Git client to read it."
        )
    return content


def _under(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


def _check_path(objects: GitObjects, commit: Commit | None, path: str | None) -> str | None:
    if path is None:
        return None
    normal = normalize_path(path, folder=True)
    if commit is None or lookup(objects, commit.tree.decode(), normal) is None:
        raise errors.PathDoesNotExist(f"The specified path {path} does not exist.")
    return normal


def differences(
    objects: GitObjects,
    before: Commit | None,
    after: Commit,
    before_path: str | None,
    after_path: str | None,
) -> list[dict[str, Any]]:
    """GetDifferences' entries from `before` (None: nothing) to `after`, by path."""
    old_root = _check_path(objects, before, before_path)
    new_root = _check_path(objects, after, after_path)
    if old_root is None:
        old_root = new_root
    if new_root is None:
        new_root = old_root
    old_tree = ObjectID(before.tree) if before is not None else None
    found: list[dict[str, Any]] = []
    for change in tree_changes(objects.store, old_tree, ObjectID(after.tree)):
        old, new = change.old, change.new
        old_path = old.path.decode(errors="replace") if old and old.path else None
        new_path = new.path.decode(errors="replace") if new and new.path else None
        keep = (old_path is not None and _under(old_path, old_root or "")) or (
            new_path is not None and _under(new_path, new_root or "")
        )
        if not keep:
            continue
        entry: dict[str, Any] = {}
        if old_path is not None and old is not None and old.sha is not None:
            entry["beforeBlob"] = {
                "blobId": old.sha.decode(),
                "path": old_path,
                "mode": f"{old.mode:06o}",
            }
        if new_path is not None and new is not None and new.sha is not None:
            entry["afterBlob"] = {
                "blobId": new.sha.decode(),
                "path": new_path,
                "mode": f"{new.mode:06o}",
            }
        entry["changeType"] = (
            "A" if "beforeBlob" not in entry else "D" if "afterBlob" not in entry else "M"
        )
        found.append(entry)
    return found
