"""At start-up: make the repository directories agree with the rows again.

A crash can leave a directory unmade (between a create's commit and the directory),
a mirror behind its refs (between a ref change's commit and the mirror), a directory
whose row is gone (between a delete's commit and the removal), or a half-removed
one. The rows are the truth; this brings the directories in line before requests
are served.
"""

from __future__ import annotations

import logging
import shutil
import time
from typing import Any

from sqlalchemy import select

from .models import Repository
from .refs import ref_targets, repo_path
from .storage import (
    RefsSnapshot,
    ensure_repository,
    is_live_name,
    mirrored_version,
    remove_repository,
    repositories_root,
    repository_dirs,
    write_refs,
)

log = logging.getLogger("airlock.codecommit")
# A directory being made by another process is left alone for this long.
STAGING_GRACE_SECONDS = 3600


def refresh(platform: Any) -> None:
    """Make every repository's directory and refs mirror match its rows; remove the rest."""
    root = repositories_root(platform.settings.state_dir)
    # Listed before the rows are read: a directory is made only after its row commits,
    # so every live one listed here has a row the read below sees.
    listed = list(repository_dirs(root))
    with platform.db.read() as session:
        wanted = {
            repo_path(platform.settings.state_dir, row): RefsSnapshot(
                row.refs_version, ref_targets(session, row), row.default_branch
            )
            for row in session.scalars(select(Repository))
        }
    removed = 0
    for path in listed:
        if path in wanted:
            continue
        if is_live_name(path):
            remove_repository(path)
        elif (
            path.name.endswith(".deleted")
            or time.time() - path.stat().st_mtime > STAGING_GRACE_SECONDS
        ):
            shutil.rmtree(path, ignore_errors=True)
        else:
            continue
        removed += 1
    repaired = 0
    for path, snapshot in wanted.items():
        ensure_repository(path, snapshot.head_branch)
        if mirrored_version(path) != snapshot.version:
            write_refs(path, snapshot, force=True)
            repaired += 1
    if removed or repaired:
        log.info(
            "codecommit: removed %d directories without a repository, rewrote %d refs mirrors",
            removed,
            repaired,
        )
