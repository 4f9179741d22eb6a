"""CodeBuild's phases and the documented transitions between them, as pure functions.

A build runs SUBMITTED, QUEUED, PROVISIONING, DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD,
POST_BUILD, UPLOAD_ARTIFACTS, FINALIZING and COMPLETED in that order while each succeeds. When
one fails, CodeBuild's "Build phase transitions" say where the build goes:

- PROVISIONING, DOWNLOAD_SOURCE, INSTALL or PRE_BUILD failing skips to FINALIZING;
- BUILD failing still runs POST_BUILD, and POST_BUILD failing still runs UPLOAD_ARTIFACTS
  ("the UPLOAD_ARTIFACTS phase is always attempted, even if the BUILD phase fails");
- UPLOAD_ARTIFACTS failing goes on to FINALIZING; FINALIZING always ends in COMPLETED;
- a buildspec phase with `on-failure: CONTINUE` goes on to the next phase although it failed;
- a stopped, timed-out or faulted phase goes to FINALIZING (nothing was provisioned yet when
  SUBMITTED or QUEUED ends so, and the build goes straight to COMPLETED).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SUBMITTED = "SUBMITTED"
QUEUED = "QUEUED"
PROVISIONING = "PROVISIONING"
DOWNLOAD_SOURCE = "DOWNLOAD_SOURCE"
INSTALL = "INSTALL"
PRE_BUILD = "PRE_BUILD"
BUILD = "BUILD"
POST_BUILD = "POST_BUILD"
UPLOAD_ARTIFACTS = "UPLOAD_ARTIFACTS"
FINALIZING = "FINALIZING"
COMPLETED = "COMPLETED"
ORDER = (
    SUBMITTED,
    QUEUED,
    PROVISIONING,
    DOWNLOAD_SOURCE,
    INSTALL,
    PRE_BUILD,
    BUILD,
    POST_BUILD,
    UPLOAD_ARTIFACTS,
    FINALIZING,
    COMPLETED,
)
# The phases a buildspec's commands run in, each named after its buildspec key.
BUILDSPEC_PHASES = (INSTALL, PRE_BUILD, BUILD, POST_BUILD)

# Phase and build statuses (botocore's StatusType).
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
FAULT = "FAULT"
TIMED_OUT = "TIMED_OUT"
IN_PROGRESS = "IN_PROGRESS"
STOPPED = "STOPPED"
STATUSES = (SUCCEEDED, FAILED, FAULT, TIMED_OUT, IN_PROGRESS, STOPPED)
# Statuses that end the build where it stands: the rest of the phases are skipped.
_ENDING = (STOPPED, TIMED_OUT, FAULT)
_BEFORE_PROVISIONING = (SUBMITTED, QUEUED)
_SKIP_TO_FINALIZING = (PROVISIONING, DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, UPLOAD_ARTIFACTS)


def buildspec_key(phase: str) -> str:
    """The buildspec key of a buildspec phase (`pre_build` for PRE_BUILD)."""
    if phase not in BUILDSPEC_PHASES:
        raise ValueError(f"{phase} is not a phase a buildspec has commands for")
    return phase.lower()


def next_phase(ended: str, status: str, *, on_failure: str = "ABORT") -> str | None:
    """The phase that runs after `ended` finished with `status`; None after COMPLETED.

    `on_failure` is the buildspec phase's on-failure (ABORT or CONTINUE); it matters only for
    INSTALL, PRE_BUILD, BUILD and POST_BUILD that FAILED.
    """
    if ended not in ORDER:
        raise ValueError(f"unknown phase {ended}; the phases are {', '.join(ORDER)}")
    if status not in STATUSES or status == IN_PROGRESS:
        raise ValueError(
            f"a phase ends SUCCEEDED, FAILED, FAULT, TIMED_OUT or STOPPED, not {status}"
        )
    if ended == COMPLETED:
        return None
    if ended == FINALIZING:
        return COMPLETED
    following = ORDER[ORDER.index(ended) + 1]
    if status == SUCCEEDED:
        return following
    if ended in _BEFORE_PROVISIONING:
        return COMPLETED
    if status in _ENDING:
        return FINALIZING
    # FAILED.
    if ended in BUILDSPEC_PHASES and on_failure == "CONTINUE":
        return following
    if ended in _SKIP_TO_FINALIZING:
        return FINALIZING
    return following  # BUILD → POST_BUILD, POST_BUILD → UPLOAD_ARTIFACTS


def build_status(statuses: Iterable[str | None]) -> str:
    """The buildStatus of a build whose phases ended with these statuses, in phase order.

    A stop or timeout decides it; otherwise the first phase that failed or faulted; otherwise
    it succeeded. A phase still running (IN_PROGRESS or None) makes the build IN_PROGRESS.
    """
    ended = list(statuses)
    if any(status in (None, IN_PROGRESS) for status in ended):
        return IN_PROGRESS
    for decisive in (STOPPED, TIMED_OUT):
        if decisive in ended:
            return decisive
    for status in ended:
        if status in (FAILED, FAULT):
            return str(status)
    return SUCCEEDED


def succeeding(statuses: Iterable[str | None]) -> bool:
    """CODEBUILD_BUILD_SUCCEEDING: no phase so far has failed (phases running do not count)."""
    return all(status in (None, IN_PROGRESS, SUCCEEDED) for status in statuses)


@dataclass(frozen=True)
class PhaseContext:
    """Why a phase ended as it did: a status code and a message (CodeBuild's phase context)."""

    status_code: str
    message: str

    def to_api(self) -> dict[str, str]:
        """As BatchGetBuilds shows it."""
        return {"statusCode": self.status_code, "message": self.message}


@dataclass(frozen=True)
class PhaseRecord:
    """One phase of a build: its type, its status once it ended, its times and contexts."""

    phase: str
    start: datetime
    end: datetime | None = None
    status: str | None = None
    contexts: tuple[PhaseContext, ...] = field(default_factory=tuple)

    def to_api(self) -> dict[str, Any]:
        """As BatchGetBuilds shows it (`BuildPhase`): durationInSeconds once it ended."""
        entry: dict[str, Any] = {"phaseType": self.phase, "startTime": self.start}
        if self.status is not None:
            entry["phaseStatus"] = self.status
        if self.end is not None:
            entry["endTime"] = self.end
            entry["durationInSeconds"] = int((self.end - self.start).total_seconds())
        if self.status is not None:
            entry["contexts"] = [context.to_api() for context in self.contexts]
        return entry
