"""Paths in a repository and git trees: looking entries up, and editing a tree by path."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field

from dulwich.objects import Blob, ObjectID, ShaFile, Tree

from . import errors
from .storage import MODE_SUBMODULE, MODE_TREE, GitObjects

GITKEEP = ".gitkeep"
# CodeCommit refuses paths into the repository's own git data.
_FORBIDDEN_PARTS = {"", ".", "..", ".git"}


def normalize_path(path: str, *, folder: bool = False) -> str:
    """A repository path without its leading `/`; InvalidPathException if it cannot be one.

    `folder`: the root may be named (`""` or `/`), and a trailing `/` is allowed.
    """
    text = path[1:] if path.startswith("/") else path
    if folder:
        text = text.rstrip("/") if text != "/" else ""
        if text == "":
            return ""
    if "\x00" in text or "\n" in text or any(p in _FORBIDDEN_PARTS for p in text.split("/")):
        raise errors.InvalidPath(f"The path {path!r} is not valid. {errors.PATH_RULES}")
    return text


def is_tree(mode: int) -> bool:
    """Whether a tree entry's mode is a folder's."""
    return stat.S_ISDIR(mode)


def lookup(objects: GitObjects, root: str, path: str) -> tuple[int, str] | None:
    """(mode, object id) of the entry at `path` under the tree `root`, or None."""
    if path == "":
        return MODE_TREE, root
    tree = objects.tree(root)
    parts = path.encode().split(b"/")
    for index, name in enumerate(parts):
        if name not in tree:
            return None
        mode, sha = tree[name]
        if index == len(parts) - 1:
            return mode, sha.decode()
        if not is_tree(mode):
            return None
        tree = objects.tree(sha.decode())
    return None


@dataclass
class _Folder:
    """A folder being edited: its entries, and the subfolders loaded to edit them."""

    entries: dict[bytes, tuple[int, bytes]]
    children: dict[bytes, _Folder] = field(default_factory=dict)
    # Had entries when loaded, so emptying it is a deletion (keepEmptyFolders keeps it).
    had_entries: bool = False


class TreeEditor:
    """Edits a tree by path, loading only the folders it touches; `write` makes the trees."""

    def __init__(self, objects: GitObjects, root: str | None) -> None:
        self.objects = objects
        self.root = self._load(root) if root else _Folder({})
        # The objects the edit makes (new trees, the .gitkeep blob), to store with the commit.
        self.made: list[ShaFile] = []

    def _load(self, sha: str) -> _Folder:
        tree = self.objects.tree(sha)
        entries = {item.path: (item.mode, bytes(item.sha)) for item in tree.iteritems()}
        return _Folder(entries, had_entries=bool(entries))

    def _folder(self, parts: list[bytes], *, create: bool) -> _Folder | None:
        node = self.root
        for index, name in enumerate(parts):
            child = node.children.get(name)
            if child is None:
                entry = node.entries.get(name)
                here = b"/".join(parts[: index + 1]).decode()
                if entry is None:
                    if not create:
                        return None
                    child = _Folder({})
                    node.entries[name] = (MODE_TREE, b"")
                elif entry[0] == MODE_SUBMODULE:
                    if not create:
                        return None
                    raise errors.FilePathConflictsWithSubmodulePath(
                        f"The commit cannot be created because {here} is a submodule. Verify "
                        "that the destination files have valid file paths that do not point to "
                        "a submodule."
                    )
                elif not is_tree(entry[0]):
                    if not create:
                        return None
                    raise errors.DirectoryNameConflictsWithFileName(
                        f"A file cannot be added to the repository because {here} is a file "
                        "that already exists in this repository. Either provide a different "
                        "name for the file, or specify a different path for the file."
                    )
                else:
                    child = self._load(entry[1].decode())
                node.children[name] = child
            node = child
        return node

    def entry(self, path: str) -> tuple[int, str] | None:
        """(mode, object id) of a file at `path` as edited so far, or None (folders too)."""
        parts = path.encode().split(b"/")
        node = self._folder(parts[:-1], create=False)
        if node is None or parts[-1] in node.children:
            return None
        found = node.entries.get(parts[-1])
        if found is None or is_tree(found[0]):
            return None
        return found[0], found[1].decode()

    def put(self, path: str, mode: int, sha: str) -> None:
        """Add or replace the file at `path`, making the folders it needs."""
        parts = path.encode().split(b"/")
        node = self._folder(parts[:-1], create=True)
        assert node is not None
        name = parts[-1]
        existing = node.entries.get(name)
        if existing is not None and existing[0] == MODE_SUBMODULE:
            raise errors.FilePathConflictsWithSubmodulePath(
                f"The commit cannot be created because {path} is a submodule. Verify that the "
                "destination files have valid file paths that do not point to a submodule."
            )
        if existing is not None and is_tree(existing[0]):
            raise errors.FileNameConflictsWithDirectoryName(
                f"A file cannot be added to the repository because {path} is the name of a "
                "folder in this repository. Either provide another name for the file, or add "
                "the file in a folder that does not match the file name."
            )
        node.entries[name] = (mode, sha.encode())

    def delete(self, path: str) -> tuple[int, str]:
        """Remove the file at `path`; its (mode, blob id). FileDoesNotExistException if none."""
        found = self.entry(path)
        if found is None:
            raise file_does_not_exist(path)
        parts = path.encode().split(b"/")
        node = self._folder(parts[:-1], create=False)
        assert node is not None
        del node.entries[parts[-1]]
        return found

    def write(self, *, keep_empty_folders: bool = False) -> str:
        """Store nothing yet: make the edited trees (in `made`) and return the root's id."""
        return self._write(self.root, keep_empty_folders).decode()

    def _write(self, node: _Folder, keep_empty: bool) -> bytes:
        for name, child in list(node.children.items()):
            child_id = self._write(child, keep_empty)
            if child.entries:
                node.entries[name] = (MODE_TREE, child_id)
            else:
                del node.entries[name]
        if not node.entries and keep_empty and node.had_entries and node is not self.root:
            keep = Blob.from_string(b"")
            self.made.append(keep)
            node.entries[GITKEEP.encode()] = (0o100644, keep.id)
        tree = Tree()
        for name, (mode, sha) in node.entries.items():
            tree.add(name, mode, ObjectID(sha))
        self.made.append(tree)
        return bytes(tree.id)


def file_does_not_exist(path: str) -> errors.CodeCommitError:
    """`FileDoesNotExistException` naming the path."""
    return errors.FileDoesNotExist(
        f"The file {path} does not exist. Verify that you have used the correct file name, "
        "full path, and extension."
    )
