"""Bare git repositories on disk, read and written with dulwich.

A repository lives at `<state dir>/codecommit/<account>/<region>/<repository id>.git`,
named by its id so that a rename touches no file. What is where:

- The git objects (blobs, trees, commits, tags) are only on disk. They are written
  before the transaction that makes them reachable commits; a transaction that then
  fails leaves unreachable objects behind, which git (and any `git gc`) ignores.
- The refs are rows (`models.GitRef`), changed with the event that reports them. The
  directory holds a mirror of them (`packed-refs` and `HEAD`), written after the
  transaction commits, so the directory is a complete bare repository that `git clone`
  and dulwich read as they read any other. A mirror that a crash left behind is
  brought up to date at the next start (`refresh`); it records the ref version it
  shows, and a writer never replaces a newer mirror with an older one.
- A directory is made only after the row that names it commits, and removed only after
  the row's deletion commits; at start-up a directory whose row is gone is removed.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import stat
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dulwich.file import GitFile
from dulwich.object_store import BaseObjectStore, DiskObjectStore, MemoryObjectStore
from dulwich.objects import Blob, Commit, ObjectID, ShaFile, Tag, Tree
from dulwich.refs import Ref, write_packed_refs
from dulwich.repo import Repo

log = logging.getLogger("airlock.codecommit")

ROOT = "codecommit"
BRANCH_PREFIX = "refs/heads/"
TAG_PREFIX = "refs/tags/"
DEFAULT_HEAD = "main"
VERSION_FILE = "airlock-refs-version"
LOCK_FILE = "airlock.lock"
# Below this many objects they are written loose, as git's own receive-pack does
# (transfer.unpackLimit); above, as one pack, so big commits stay one file.
PACK_THRESHOLD = 100

MODE_FILE = 0o100644
MODE_EXECUTABLE = 0o100755
MODE_SYMLINK = 0o120000
MODE_TREE = 0o040000
MODE_SUBMODULE = 0o160000


def repositories_root(state_dir: Path) -> Path:
    """Where every repository of the instance lives."""
    return state_dir.resolve() / ROOT


def repository_path(state_dir: Path, account: str, region: str, repository_id: str) -> Path:
    """The bare directory of one repository."""
    return repositories_root(state_dir) / account / region / f"{repository_id}.git"


def is_hex_id(value: str) -> bool:
    """Whether `value` is a full SHA-1 object id (40 lower- or upper-case hex digits)."""
    return len(value) == 40 and all(c in "0123456789abcdefABCDEF" for c in value)


class GitObjects:
    """A repository's object store, typed for what CodeCommit reads."""

    def __init__(self, store: BaseObjectStore) -> None:
        self.store = store

    def get(self, sha: str) -> ShaFile | None:
        """The object with this id, or None."""
        if not is_hex_id(sha):
            return None
        key = ObjectID(sha.lower().encode())
        if key not in self.store:
            return None
        return self.store[key]

    def commit(self, sha: str) -> Commit | None:
        """The commit with this id, or None (also when the id names another kind)."""
        found = self.get(sha)
        return found if isinstance(found, Commit) else None

    def peeled_commit(self, sha: str) -> Commit | None:
        """The commit an id names, through annotated tags."""
        found = self.get(sha)
        for _ in range(16):  # a chain of tags ends somewhere
            if not isinstance(found, Tag):
                break
            found = self.get(found.object[1].decode())
        return found if isinstance(found, Commit) else None

    def tree(self, sha: str) -> Tree:
        """The tree with this id (it is known to exist: a commit or tree names it)."""
        found = self.get(sha)
        if not isinstance(found, Tree):
            raise LookupError(f"tree {sha} is missing from the repository")
        return found

    def blob(self, sha: str) -> Blob | None:
        """The blob with this id, or None."""
        found = self.get(sha)
        return found if isinstance(found, Blob) else None

    def add(self, objects: Sequence[ShaFile]) -> None:
        """Store objects (the ones already there are skipped)."""
        fresh = [o for o in objects if o.id not in self.store]
        if len(fresh) >= PACK_THRESHOLD:
            self.store.add_objects([(o, None) for o in fresh])
        else:
            for item in fresh:
                self.store.add_object(item)

    def close(self) -> None:
        """Release the pack files."""
        self.store.close()


@contextmanager
def read_objects(path: Path) -> Iterator[GitObjects]:
    """The objects of a repository; an empty store if its directory is not made yet."""
    objects_dir = path / "objects"
    store: BaseObjectStore = (
        DiskObjectStore(str(objects_dir)) if objects_dir.is_dir() else MemoryObjectStore()
    )
    objects = GitObjects(store)
    try:
        yield objects
    finally:
        objects.close()


@contextmanager
def write_objects(path: Path) -> Iterator[GitObjects]:
    """The objects of a repository to add to, making its directory if a crash left none."""
    ensure_repository(path)
    objects = GitObjects(DiskObjectStore(str(path / "objects")))
    try:
        yield objects
    finally:
        objects.close()


def ensure_repository(path: Path, head_branch: str | None = None) -> None:
    """Make the bare repository if it is not there; made whole, then moved into place."""
    if (path / "objects").is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.new")
    Repo.init_bare(str(staging), mkdir=True).close()
    _write_head(staging, head_branch or DEFAULT_HEAD)
    try:
        os.rename(staging, path)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (path / "objects").is_dir():
            raise


def remove_repository(path: Path) -> None:
    """Delete a repository's directory: renamed aside first, so no half-deleted one remains."""
    if not path.exists():
        return
    aside = path.with_name(f".{path.name}.{uuid.uuid4().hex}.deleted")
    os.rename(path, aside)
    shutil.rmtree(aside, ignore_errors=True)


@dataclass(frozen=True)
class RefsSnapshot:
    """What a repository's refs are after a committed change, for the on-disk mirror."""

    version: int
    refs: Mapping[str, str]
    head_branch: str | None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    # One writer of a repository's mirror at a time, across processes sharing the state dir.
    with open(path / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def mirrored_version(path: Path) -> int | None:
    """The ref version the directory's mirror shows (None if it records none)."""
    try:
        return int((path / VERSION_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def write_refs(path: Path, snapshot: RefsSnapshot, *, force: bool = False) -> None:
    """Make the directory's `packed-refs` and `HEAD` show `snapshot`, unless it shows a newer one.

    A directory that is not there is left so: its row was deleted since (a mirror must
    not bring a removed repository back), or start-up will make it from the rows.
    `force`: write it whatever version the directory shows (start-up, from the rows).
    """
    if not (path / "objects").is_dir():
        return
    with _locked(path):
        shown = mirrored_version(path)
        if not force and shown is not None and shown >= snapshot.version:
            return
        _remove_loose_refs(path)
        packed = {
            Ref(name.encode()): ObjectID(target.encode()) for name, target in snapshot.refs.items()
        }
        with GitFile(str(path / "packed-refs"), "wb") as handle:
            write_packed_refs(handle, packed)
        _write_head(path, snapshot.head_branch or DEFAULT_HEAD)
        with GitFile(str(path / VERSION_FILE), "wb") as handle:
            handle.write(f"{snapshot.version}\n".encode())


def _write_head(path: Path, branch: str) -> None:
    with GitFile(str(path / "HEAD"), "wb") as handle:
        handle.write(f"ref: {BRANCH_PREFIX}{branch}\n".encode())


def _remove_loose_refs(path: Path) -> None:
    # The mirror is all in packed-refs; a loose ref (left by a tool run on the directory)
    # would hide the packed value.
    refs = path / "refs"
    for directory, _, files in os.walk(refs):
        for name in files:
            os.unlink(os.path.join(directory, name))


def repository_dirs(root: Path) -> Iterator[Path]:
    """Every repository directory (and leftover staging or deleted one) under the root."""
    if not root.is_dir():
        return
    for account in root.iterdir():
        if not account.is_dir():
            continue
        for region in account.iterdir():
            if region.is_dir():
                yield from (p for p in region.iterdir() if p.is_dir())


def is_live_name(path: Path) -> bool:
    """Whether a directory is a repository's (not one being made or removed)."""
    return path.name.endswith(".git") and not path.name.startswith(".")


def mode_name(mode: int) -> str:
    """CodeCommit's name of a git file mode."""
    if stat.S_ISLNK(mode):
        return "SYMLINK"
    if mode & 0o111:
        return "EXECUTABLE"
    return "NORMAL"


MODES = {"NORMAL": MODE_FILE, "EXECUTABLE": MODE_EXECUTABLE, "SYMLINK": MODE_SYMLINK}
