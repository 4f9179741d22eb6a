"""The bare repositories on disk: real git reads them, they survive restarts, they heal.

Also `apply_ref_updates` driven as a push would drive it: objects first, then the
refs, per ref or atomically, with an event for each ref that moved.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from dulwich.objects import Blob, Commit, ObjectID, Tree
from sqlalchemy import select

from airlock.codecommit import RefUpdate, apply_ref_updates
from airlock.codecommit.models import Repository
from airlock.codecommit.recovery import refresh
from airlock.codecommit.storage import mirrored_version, write_objects
from airlock.events.models import Event
from tests.codecommit.helpers import refused, repository_dir, seeded
from tests.support import LiveServer, process_client, server_process, unused_port


def git(*args: str, cwd: Path | None = None) -> str:
    """Run the real git client; its output."""
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd or Path.cwd()), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_git_clones_what_the_api_committed(server: LiveServer, cc: Any, tmp_path: Path) -> None:
    first = seeded(cc, files={"README.md": b"# demo\n", "bin/run": b"#!/bin/sh\necho hi\n"})
    second = cc.create_commit(
        repositoryName="demo",
        branchName="main",
        parentCommitId=first,
        putFiles=[{"filePath": "link", "fileContent": b"README.md", "fileMode": "SYMLINK"}],
        setFileModes=[{"filePath": "bin/run", "fileMode": "EXECUTABLE"}],
        commitMessage="exec and link",
        authorName="Ann",
        email="ann@example.com",
    )["commitId"]
    cc.create_branch(repositoryName="demo", branchName="release", commitId=first)
    bare = repository_dir(server, cc, "demo")
    git("fsck", "--strict", cwd=bare)
    clone = tmp_path / "clone"
    git("clone", "--quiet", str(bare), str(clone), cwd=tmp_path)
    assert git("rev-parse", "HEAD", cwd=clone).strip() == second
    assert git("log", "--format=%an <%ae>|%s", cwd=clone).splitlines() == [
        "Ann <ann@example.com>|exec and link",
        "Seeder <seed@example.com>|seed",
    ]
    assert (clone / "README.md").read_bytes() == b"# demo\n"
    assert (clone / "bin/run").stat().st_mode & 0o111
    assert (clone / "link").is_symlink() and str((clone / "link").readlink()) == "README.md"
    remote = git("ls-remote", str(bare), cwd=tmp_path)
    assert f"{first}\trefs/heads/release" in remote and f"{second}\trefs/heads/main" in remote
    # HEAD follows the default branch.
    cc.update_default_branch(repositoryName="demo", defaultBranchName="release")
    other = tmp_path / "other"
    git("clone", "--quiet", str(bare), str(other), cwd=tmp_path)
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=other).strip() == "release"


def test_a_push_style_update(server: LiveServer, cc: Any) -> None:
    first = seeded(cc)
    bare = repository_dir(server, cc, "demo")
    platform = server.airlock.platform
    # What a receive-pack does: the objects first...
    blob = Blob.from_string(b"pushed\n")
    tree = Tree()
    tree.add(b"pushed.txt", 0o100644, blob.id)
    commit = Commit()
    commit.tree, commit.parents = tree.id, [ObjectID(first.encode())]
    commit.author = commit.committer = b"Pusher <p@example.com>"
    commit.author_time = commit.commit_time = int(time.time())
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = b"pushed\n"
    with write_objects(bare) as objects:
        objects.add([blob, tree, commit])
    new = commit.id.decode()
    # ...then the refs, in one transaction: a stale one is refused, the others apply.
    with platform.db.write() as session:
        repo = session.scalars(select(Repository).where(Repository.name == "demo")).one()
        outcomes = apply_ref_updates(
            session,
            platform.clock,
            platform.settings.state_dir,
            repo,
            [
                RefUpdate("refs/heads/main", first, new),
                RefUpdate("refs/heads/stale", "a" * 40, new),
                RefUpdate("refs/tags/v1", None, new),
            ],
            caller_arn="arn:aws:iam::123456789012:user/pusher",
        )
    assert [o.applied for o in outcomes] == [True, False, True]
    assert outcomes[1].refused == f"the ref is at nothing, not at {'a' * 40}"
    assert cc.get_branch(repositoryName="demo", branchName="main")["branch"]["commitId"] == new
    assert cc.get_file(repositoryName="demo", filePath="pushed.txt", commitSpecifier="v1")[
        "fileContent"
    ] == (b"pushed\n")
    remote = git("ls-remote", str(bare), cwd=bare)
    assert f"{new}\trefs/tags/v1" in remote
    with platform.db.read() as session:
        details = [json.loads(e.envelope)["detail"] for e in session.scalars(select(Event))]
    tag = next(d for d in details if d["referenceFullName"] == "refs/tags/v1")
    assert (tag["event"], tag["referenceType"], tag["referenceName"]) == (
        "referenceCreated",
        "tag",
        "v1",
    )
    assert not any(d["referenceFullName"] == "refs/heads/stale" for d in details)
    # Atomic: one refusal refuses all, and nothing moves.
    with platform.db.write() as session:
        repo = session.scalars(select(Repository).where(Repository.name == "demo")).one()
        outcomes = apply_ref_updates(
            session,
            platform.clock,
            platform.settings.state_dir,
            repo,
            [RefUpdate("refs/heads/next", None, new), RefUpdate("refs/heads/main", new, None)],
            atomic=True,
        )
    assert [o.refused for o in outcomes] == [
        "atomic push failed",
        "DefaultBranchCannotBeDeletedException: the default branch cannot be deleted; make "
        "another branch the default first",
    ]
    assert cc.list_branches(repositoryName="demo")["branches"] == ["main"]


def test_a_rolled_back_change_leaves_the_directory_alone(server: LiveServer, cc: Any) -> None:
    first = seeded(cc)
    bare = repository_dir(server, cc, "demo")
    shown = mirrored_version(bare)
    platform = server.airlock.platform
    with pytest.raises(RuntimeError), platform.db.write() as session:
        repo = session.scalars(select(Repository).where(Repository.name == "demo")).one()
        apply_ref_updates(
            session,
            platform.clock,
            platform.settings.state_dir,
            repo,
            [RefUpdate("refs/heads/other", None, first)],
        )
        raise RuntimeError("the rest of the call failed")
    assert mirrored_version(bare) == shown
    assert "refs/heads/other" not in git("ls-remote", str(bare), cwd=bare)
    assert cc.list_branches(repositoryName="demo")["branches"] == ["main"]


def test_start_up_heals_the_directories(server: LiveServer, cc: Any) -> None:
    first = seeded(cc, "kept")
    seeded(cc, "lost")
    kept, lost = repository_dir(server, cc, "kept"), repository_dir(server, cc, "lost")
    # A mirror behind its rows (a crash before it was written), a directory that was
    # never made, one whose row is gone, and a half-removed one.
    (kept / "packed-refs").write_text("")
    (kept / "airlock-refs-version").write_text("0\n")
    shutil.rmtree(lost)
    orphan = kept.with_name("00000000-0000-0000-0000-000000000000.git")
    shutil.copytree(kept, orphan)
    aside = kept.with_name(".gone.git.1234.deleted")
    aside.mkdir()
    refresh(server.airlock.platform)
    assert not orphan.exists() and not aside.exists()
    assert f"{first}\trefs/heads/main" in git("ls-remote", str(kept), cwd=kept)
    # The repository whose directory was lost is an empty one again (its objects are gone
    # with the directory), with its refs mirrored.
    assert (lost / "objects").is_dir()
    assert "refs/heads/main" in git("ls-remote", str(lost), cwd=lost)


def test_repositories_survive_a_restart(tmp_path: Path, database_url: str | None) -> None:
    state, port = tmp_path / "state", unused_port()
    with server_process(state, port, database_url):
        cc = process_client(state, port, "codecommit")
        meta = cc.create_repository(repositoryName="durable")["repositoryMetadata"]
        head = cc.put_file(
            repositoryName="durable", branchName="main", filePath="f.txt", fileContent=b"kept\n"
        )["commitId"]
        gone = cc.create_repository(repositoryName="gone")["repositoryMetadata"]
    # As if the server had died between a ref change's commit and its mirror: the next
    # start writes the mirror from the rows before it serves.
    root = state.resolve() / "codecommit" / meta["accountId"] / "us-east-1"
    bare = root / f"{meta['repositoryId']}.git"
    (bare / "packed-refs").write_text("")
    (bare / "airlock-refs-version").write_text("0\n")
    with server_process(state, port, database_url):
        assert f"{head}\trefs/heads/main" in git("ls-remote", str(bare), cwd=tmp_path)
        cc = process_client(state, port, "codecommit")
        after = cc.get_repository(repositoryName="durable")["repositoryMetadata"]
        assert after.pop("defaultBranch") == "main"
        assert after.pop("lastModifiedDate") >= meta.pop("lastModifiedDate")  # the commit
        assert after == meta
        assert cc.get_file(repositoryName="durable", filePath="f.txt")["fileContent"] == b"kept\n"
        assert cc.get_branch(repositoryName="durable", branchName="main")["branch"]["commitId"] == (
            head
        )
        cc.delete_repository(repositoryName="gone")
        assert not (root / f"{gone['repositoryId']}.git").exists()
        assert refused(cc.get_repository, repositoryName="gone")[0] == (
            "RepositoryDoesNotExistException"
        )
