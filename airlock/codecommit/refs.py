"""Ref changes: the one way a branch or tag moves, for the API and for git pushes.

`apply_ref_updates` is a compare-and-swap of each ref in the caller's transaction,
with the repository's row locked, and a `CodeCommit Repository State Change` event
for each ref it moves, emitted in that same transaction: the new head and its event
commit together or not at all. The objects the new heads name must already be in the
repository's directory (PutFile writes them before calling; a push has received its
pack). Once the transaction commits, the directory's refs mirror is brought up to
date (see `storage.py`).

A smart-HTTP push runs: receive the pack into `storage.write_objects(path)`, then, in
one write transaction, `apply_ref_updates` with the commands the client sent
(`atomic=True` for `git push --atomic`), and report each outcome's `refused` reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dulwich.refs import Ref, check_ref_format
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from airlock.events import EventsService
from airlock.platform.clock import Clock

from .errors import repository_does_not_exist
from .models import GitRef, Repository
from .storage import (
    BRANCH_PREFIX,
    TAG_PREFIX,
    RefsSnapshot,
    ensure_repository,
    is_hex_id,
    remove_repository,
    repository_path,
    write_refs,
)

log = logging.getLogger("airlock.codecommit")

SOURCE = "aws.codecommit"
STATE_CHANGE = "CodeCommit Repository State Change"
_AFTER_COMMIT = "airlock.codecommit.after_commit"


def repository_arn(repository: Repository) -> str:
    """`arn:aws:codecommit:REGION:ACCOUNT:NAME` (it changes with the name, as in AWS)."""
    return f"arn:aws:codecommit:{repository.region}:{repository.account_id}:{repository.name}"


def repo_path(state_dir: Path, repository: Repository) -> Path:
    """The repository's bare directory."""
    return repository_path(
        state_dir, repository.account_id, repository.region, repository.repository_id
    )


@dataclass(frozen=True)
class RefUpdate:
    """Move `ref` (a full name, `refs/heads/main`) from `old` to `new`; None is "absent"."""

    ref: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class RefOutcome:
    """What became of one update: applied, or refused and why (git's report-status reason)."""

    update: RefUpdate
    refused: str | None = None

    @property
    def applied(self) -> bool:
        """Whether the ref moved."""
        return self.refused is None


def lock_repository(session: Session, repository: Repository) -> Repository:
    """The repository's row, re-read and locked until the transaction ends.

    Every change of a repository's refs or directory takes this lock first, so ref
    changes of one repository are serialized (PostgreSQL locks the row; SQLite's
    writer holds the whole database) and a deletion waits for them.
    """
    row = session.scalars(
        select(Repository)
        .where(Repository.id == repository.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise repository_does_not_exist(repository.name)
    return row


def ref_targets(session: Session, repository: Repository) -> dict[str, str]:
    """Every ref of the repository and the object id it names."""
    rows = session.scalars(
        select(GitRef).where(GitRef.repository_pk == repository.id).order_by(GitRef.name)
    )
    return {row.name: row.target for row in rows}


def _conflict(ref: str, existing: dict[str, str]) -> str | None:
    # git keeps refs as paths: `refs/heads/a` and `refs/heads/a/b` cannot both exist.
    for other in existing:
        if other.startswith(ref + "/") or ref.startswith(other + "/"):
            return other
    return None


def check_update(
    update: RefUpdate, current: dict[str, str], repository: Repository, seen: set[str]
) -> str | None:
    """Why an update cannot be applied to the refs as they are, or None."""
    if update.ref in seen:
        return "the ref is named twice in one update"
    if not update.ref.startswith("refs/") or not check_ref_format(Ref(update.ref.encode())):
        return "the ref name is not valid"
    for value in (update.old, update.new):
        if value is not None and not is_hex_id(value):
            return f"{value} is not an object id"
    now = current.get(update.ref)
    if (now or None) != (update.old.lower() if update.old else None):
        return f"the ref is at {now or 'nothing'}, not at {update.old or 'nothing'}"
    if update.new is None:
        if update.ref == BRANCH_PREFIX + (repository.default_branch or ""):
            return (
                "DefaultBranchCannotBeDeletedException: the default branch cannot be deleted; "
                "make another branch the default first"
            )
    elif now is None and (other := _conflict(update.ref, current)) is not None:
        return f"the ref name conflicts with the existing ref {other}"
    return None


def _detail(repository: Repository, update: RefUpdate, caller_arn: str | None) -> dict[str, Any]:
    kind = "branch" if update.ref.startswith(BRANCH_PREFIX) else "tag"
    prefix = BRANCH_PREFIX if kind == "branch" else TAG_PREFIX
    if update.old is None:
        name = "referenceCreated"
    elif update.new is None:
        name = "referenceDeleted"
    else:
        name = "referenceUpdated"
    detail: dict[str, Any] = {
        "event": name,
        "repositoryName": repository.name,
        "repositoryId": repository.repository_id,
        "referenceType": kind,
        "referenceName": update.ref[len(prefix) :],
        "referenceFullName": update.ref,
    }
    if update.new is not None:
        detail["commitId"] = update.new.lower()
    if update.old is not None:
        detail["oldCommitId"] = update.old.lower()
    if caller_arn:
        detail["callerUserArn"] = caller_arn
    return detail


def apply_ref_updates(
    session: Session,
    clock: Clock,
    state_dir: Path,
    repository: Repository,
    updates: Sequence[RefUpdate],
    *,
    caller_arn: str | None = None,
    atomic: bool = False,
) -> list[RefOutcome]:
    """Compare-and-swap each ref, emit an event for each that moved, mirror after commit.

    Each update is applied or refused on its own (git's push is atomic per ref);
    with `atomic`, one refusal refuses them all. The first branch a repository gets
    becomes its default branch, as in CodeCommit.
    """
    repository = lock_repository(session, repository)
    current = ref_targets(session, repository)
    seen: set[str] = set()
    outcomes: list[RefOutcome] = []
    for update in updates:
        outcomes.append(RefOutcome(update, check_update(update, current, repository, seen)))
        seen.add(update.ref)
    if atomic and any(not o.applied for o in outcomes):
        return [
            o if not o.applied else RefOutcome(o.update, "atomic push failed") for o in outcomes
        ]
    applied = [o.update for o in outcomes if o.applied]
    if not applied:
        return outcomes
    events = EventsService(session, clock)
    for update in applied:
        row = session.get(GitRef, (repository.id, update.ref))
        if update.new is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(
                GitRef(repository_pk=repository.id, name=update.ref, target=update.new.lower())
            )
        else:
            row.target = update.new.lower()
        if update.ref.startswith((BRANCH_PREFIX, TAG_PREFIX)):
            events.emit(
                repository.account_id,
                repository.region,
                source=SOURCE,
                detail_type=STATE_CHANGE,
                detail=_detail(repository, update, caller_arn),
                resources=[repository_arn(repository)],
            )
        if (
            repository.default_branch is None
            and update.old is None
            and update.ref.startswith(BRANCH_PREFIX)
        ):
            repository.default_branch = update.ref[len(BRANCH_PREFIX) :]
    repository.modified_at = clock.now()
    session.flush()
    mirror_after_commit(session, state_dir, repository)
    return outcomes


def mirror_after_commit(session: Session, state_dir: Path, repository: Repository) -> None:
    """Bump the repository's ref version and write its refs mirror once the transaction commits."""
    repository.refs_version += 1
    session.flush()
    snapshot = RefsSnapshot(
        repository.refs_version, ref_targets(session, repository), repository.default_branch
    )
    path = repo_path(state_dir, repository)
    after_commit(session, lambda: write_refs(path, snapshot))


def create_after_commit(session: Session, state_dir: Path, repository: Repository) -> None:
    """Make the repository's directory once its row has committed."""
    path = repo_path(state_dir, repository)
    after_commit(session, lambda: ensure_repository(path))


def remove_after_commit(session: Session, state_dir: Path, repository: Repository) -> None:
    """Remove the repository's directory once the row's deletion has committed."""
    path = repo_path(state_dir, repository)
    after_commit(session, lambda: remove_repository(path))


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction commits (never if it rolls back)."""
    actions: list[Callable[[], None]] | None = session.info.get(_AFTER_COMMIT)
    if actions is None:
        actions = session.info[_AFTER_COMMIT] = []
        event.listen(session, "after_commit", _run_after_commit, once=True)
    actions.append(action)


def _run_after_commit(session: Session) -> None:
    # The change is durable already: a failure here must not turn the call into an error.
    # What it leaves undone (a stale mirror, a missing or extra directory) start-up redoes.
    for action in session.info.pop(_AFTER_COMMIT, []):
        try:
            action()
        except Exception:
            log.exception("updating a repository directory after commit failed")
