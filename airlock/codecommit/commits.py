"""Commits made through the API (PutFile, DeleteFile, CreateCommit): checks, trees, objects.

Each builds its new blobs, trees and commit in memory from the branch's head; the
service stores them and then moves the branch with `refs.apply_ref_updates`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dulwich.objects import Blob, Commit, ObjectID, ShaFile

from . import errors
from .storage import MODE_FILE, MODES, GitObjects, is_hex_id, mode_name
from .trees import GITKEEP, TreeEditor, file_does_not_exist, normalize_path

# CodeCommit's quotas for changes made through the API.
MAX_FILE_BYTES = 6 * 1024 * 1024
MAX_COMMIT_BYTES = 7 * 1024 * 1024
MAX_FILE_ENTRIES = 100
# Airlock's bounds on commit metadata (git has none; a commit object must stay sane).
MAX_NAME_LENGTH = 1000
MAX_EMAIL_LENGTH = 1000
MAX_MESSAGE_BYTES = 100 * 1024


@dataclass(frozen=True)
class Identity:
    """Who a commit is by: its author and committer."""

    name: str
    email: str

    def line(self) -> bytes:
        """`Name <email>` as a commit object records it."""
        return f"{self.name} <{self.email}>".encode()


def identity(name: str | None, email: str | None, principal_arn: str) -> Identity:
    """The commit's author: the given name and email, else the caller's name from its ARN."""
    given = name if name else principal_arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if len(given) > MAX_NAME_LENGTH:
        raise errors.NameLengthExceeded(
            "The user name is not valid because it has exceeded the character limit for "
            f"author names ({MAX_NAME_LENGTH})."
        )
    address = email or ""
    if (
        len(address) > MAX_EMAIL_LENGTH
        or any(c in address for c in "<>\n\x00")
        or (address and "@" not in address)
    ):
        raise errors.InvalidEmail(
            "The specified email address either contains one or more characters that are not "
            "allowed, or it exceeds the maximum number of characters allowed for an email "
            "address."
        )
    # git cannot record these in a name; it drops them too.
    clean = "".join(c for c in given if c not in "<>\n\x00").strip()
    return Identity(clean or "unknown", address)


def message_bytes(message: str | None) -> bytes:
    """The commit message as stored (ending in a newline, as git writes it)."""
    text = (message or "").encode()
    if len(text) > MAX_MESSAGE_BYTES:
        raise errors.CommitMessageLengthExceeded(
            f"The commit message is too long ({len(text)} bytes). Provide a message of at most "
            f"{MAX_MESSAGE_BYTES} bytes."
        )
    return text if not text or text.endswith(b"\n") else text + b"\n"


def make_commit(
    tree: str, parent: str | None, author: Identity, message: bytes, when: datetime
) -> Commit:
    """A commit object (committer = author, in UTC)."""
    commit = Commit()
    commit.tree = ObjectID(tree.encode())
    commit.parents = [ObjectID(parent.encode())] if parent else []
    commit.author = commit.committer = author.line()
    commit.author_time = commit.commit_time = int(when.timestamp())
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = message
    return commit


def file_mode(value: str | None, default: int = MODE_FILE) -> int:
    """The git mode of CodeCommit's NORMAL, EXECUTABLE or SYMLINK."""
    if value is None:
        return default
    mode = MODES.get(value)
    if mode is None:
        raise errors.InvalidFileMode(
            f"The file mode permission {value!r} is not valid. Valid values are NORMAL, "
            "EXECUTABLE and SYMLINK."
        )
    return mode


@dataclass
class Plan:
    """The outcome of an edit: the new tree and the objects to store before the commit."""

    tree: str
    objects: list[ShaFile]
    added: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)


def _file(path: str, mode: int, blob: str) -> dict[str, Any]:
    return {"absolutePath": path, "blobId": blob, "fileMode": mode_name(mode)}


def plan_put_file(
    objects: GitObjects, parent_tree: str | None, path: str, content: bytes, mode: str | None
) -> tuple[Plan, str]:
    """PutFile's tree: one file added or replaced; and its blob id."""
    if not content:
        raise errors.FileContentRequired(
            "The file is empty. Empty files cannot be added to a repository."
        )
    editor = TreeEditor(objects, parent_tree)
    blob = Blob.from_string(content)
    existing = editor.entry(path)
    new_mode = file_mode(mode, existing[0] if existing else MODE_FILE)
    if existing == (new_mode, blob.id.decode()):
        raise errors.SameFileContent(
            f"The file {path} was not added or updated because the content of the file is "
            "exactly the same as the content of that file in the repository and branch that "
            "you specified."
        )
    editor.put(path, new_mode, blob.id.decode())
    tree = editor.write()
    return Plan(tree, [blob, *editor.made]), blob.id.decode()


def plan_delete_file(
    objects: GitObjects, parent_tree: str, path: str, keep_empty: bool
) -> tuple[Plan, str]:
    """DeleteFile's tree: one file removed; and the removed blob's id."""
    editor = TreeEditor(objects, parent_tree)
    _, blob = editor.delete(path)
    tree = editor.write(keep_empty_folders=keep_empty)
    return Plan(tree, list(editor.made)), blob


def _entry_paths(
    put_files: Sequence[dict[str, Any]],
    delete_files: Sequence[dict[str, Any]],
    set_modes: Sequence[dict[str, Any]],
) -> tuple[list[str], list[str | None], list[str], list[str]]:
    puts = [normalize_path(str(e["filePath"])) for e in put_files]
    sources = [
        normalize_path(str(e["sourceFile"]["filePath"])) if e.get("sourceFile") else None
        for e in put_files
    ]
    deletes = [normalize_path(str(e["filePath"])) for e in delete_files]
    modes = [normalize_path(str(e["filePath"])) for e in set_modes]
    return puts, sources, deletes, modes


def _check_entries(
    put_files: Sequence[dict[str, Any]],
    puts: list[str],
    sources: list[str | None],
    deletes: list[str],
    modes: list[str],
) -> None:
    for entry, path in zip(put_files, puts, strict=True):
        content, source = entry.get("fileContent"), entry.get("sourceFile")
        if content is None and not source:
            raise errors.SourceFileOrContentRequired(
                f"The commit cannot be created because no source file or file content has "
                f"been specified for {path}."
            )
        if content is not None and source:
            raise errors.FileContentAndSourceFileSpecified(
                f"The commit cannot be created because both a source file and file content "
                f"have been specified for {path}. Either specify a source file or provide the "
                "file content directly."
            )
    moved = [
        s for e, s in zip(put_files, sources, strict=True) if s and e["sourceFile"].get("isMove")
    ]
    named = [*puts, *deletes, *modes, *moved]
    seen: set[str] = set()
    for path in named:
        if path in seen:
            raise errors.SamePathRequest(
                f"The commit cannot be created because more than one change in it names the "
                f"path {path}."
            )
        seen.add(path)
    ordered = sorted(puts)
    for first, second in itertools.pairwise(ordered):
        if second.startswith(first + "/"):
            raise errors.PutFileEntryConflict(
                f"The commit cannot be created because {first} is both a file and a folder in it."
            )
    size = sum(len(e.get("fileContent") or b"") for e in put_files)
    if size > MAX_COMMIT_BYTES:
        raise errors.FileContentSizeLimitExceeded(errors.CONTENT_LIMIT)
    for source in sources:
        if source is not None and source.rsplit("/", 1)[-1] == GITKEEP:
            raise errors.RestrictedSourceFile(
                "The commit cannot be created because one of the changes specifies copying or "
                f"moving a .gitkeep file ({source})."
            )


def plan_commit(
    objects: GitObjects,
    parent_tree: str | None,
    put_files: Sequence[dict[str, Any]],
    delete_files: Sequence[dict[str, Any]],
    set_modes: Sequence[dict[str, Any]],
    keep_empty: bool,
) -> Plan:
    """CreateCommit's tree: deletions, then additions and moves, then mode changes."""
    count = len(put_files) + len(delete_files) + len(set_modes)
    if count == 0:
        raise errors.FileEntryRequired(
            "The commit cannot be created because no files have been specified as added, "
            "updated, or changed (PutFile or DeleteFile) for the commit."
        )
    if count > MAX_FILE_ENTRIES:
        raise errors.MaximumFileEntriesExceeded(
            f"The commit names {count} file changes; at most {MAX_FILE_ENTRIES} can be made "
            "in a single commit. Consider using a Git client for these changes."
        )
    puts, sources, deletes, modes = _entry_paths(put_files, delete_files, set_modes)
    _check_entries(put_files, puts, sources, deletes, modes)
    editor = TreeEditor(objects, parent_tree)
    plan = Plan("", [])
    for path in deletes:
        mode, blob = editor.delete(path)
        plan.deleted.append(_file(path, mode, blob))
    for entry, path, source in zip(put_files, puts, sources, strict=True):
        if source is not None:
            found = editor.entry(source)
            if found is None:
                raise file_does_not_exist(source)
            blob_id, default_mode = found[1], found[0]
            if entry["sourceFile"].get("isMove"):
                editor.delete(source)
                plan.deleted.append(_file(source, found[0], found[1]))
        else:
            content = Blob.from_string(bytes(entry["fileContent"]))
            plan.objects.append(content)
            blob_id, default_mode = content.id.decode(), MODE_FILE
        existing = editor.entry(path)
        mode = file_mode(entry.get("fileMode"), existing[0] if existing else default_mode)
        editor.put(path, mode, blob_id)
        (plan.updated if existing else plan.added).append(_file(path, mode, blob_id))
    for entry, path in zip(set_modes, modes, strict=True):
        found = editor.entry(path)
        if found is None:
            raise file_does_not_exist(path)
        mode = file_mode(entry.get("fileMode"))
        editor.put(path, mode, found[1])
        plan.updated.append(_file(path, mode, found[1]))
    plan.tree = editor.write(keep_empty_folders=keep_empty)
    plan.objects.extend(editor.made)
    if plan.tree == (parent_tree or _EMPTY_TREE):
        raise errors.NoChange(
            "The commit cannot be created because no changes will be made to the repository "
            "as a result of this commit. A commit must contain at least one change."
        )
    return plan


_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def check_parent_format(parent: str) -> None:
    """InvalidParentCommitIdException unless `parent` is a full commit id."""
    if not is_hex_id(parent):
        raise errors.InvalidParentCommitId(
            f"The parent commit ID {parent!r} is not valid. The commit ID cannot be empty, and "
            "must match the head commit ID for the branch of the repository where you want to "
            "add or update a file."
        )
