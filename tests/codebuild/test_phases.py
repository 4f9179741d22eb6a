"""CodeBuild's phase transitions, the build status they add up to, and the API shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from airlock.codebuild.phases import (
    ORDER,
    PhaseContext,
    PhaseRecord,
    build_status,
    buildspec_key,
    next_phase,
    succeeding,
)

TRANSITIONS = [
    # Success runs every phase in order.
    *[(phase, "SUCCEEDED", "ABORT", ORDER[i + 1]) for i, phase in enumerate(ORDER[:-1])],
    ("COMPLETED", "SUCCEEDED", "ABORT", None),
    # Failures before the build skip to FINALIZING.
    ("PROVISIONING", "FAILED", "ABORT", "FINALIZING"),
    ("DOWNLOAD_SOURCE", "FAILED", "ABORT", "FINALIZING"),
    ("INSTALL", "FAILED", "ABORT", "FINALIZING"),
    ("PRE_BUILD", "FAILED", "ABORT", "FINALIZING"),
    # A failed build still runs POST_BUILD, and upload is still attempted.
    ("BUILD", "FAILED", "ABORT", "POST_BUILD"),
    ("POST_BUILD", "FAILED", "ABORT", "UPLOAD_ARTIFACTS"),
    ("UPLOAD_ARTIFACTS", "FAILED", "ABORT", "FINALIZING"),
    ("FINALIZING", "FAILED", "ABORT", "COMPLETED"),
    # on-failure: CONTINUE goes on to the next phase.
    ("INSTALL", "FAILED", "CONTINUE", "PRE_BUILD"),
    ("PRE_BUILD", "FAILED", "CONTINUE", "BUILD"),
    ("BUILD", "FAILED", "CONTINUE", "POST_BUILD"),
    ("POST_BUILD", "FAILED", "CONTINUE", "UPLOAD_ARTIFACTS"),
    # on-failure belongs to the buildspec's phases only.
    ("DOWNLOAD_SOURCE", "FAILED", "CONTINUE", "FINALIZING"),
    # Stops, timeouts and faults end the build where it stands.
    ("BUILD", "STOPPED", "CONTINUE", "FINALIZING"),
    ("BUILD", "TIMED_OUT", "ABORT", "FINALIZING"),
    ("INSTALL", "FAULT", "ABORT", "FINALIZING"),
    ("POST_BUILD", "STOPPED", "ABORT", "FINALIZING"),
    ("UPLOAD_ARTIFACTS", "TIMED_OUT", "ABORT", "FINALIZING"),
    # Nothing was provisioned yet.
    ("QUEUED", "TIMED_OUT", "ABORT", "COMPLETED"),
    ("SUBMITTED", "STOPPED", "ABORT", "COMPLETED"),
]


@pytest.mark.parametrize(("ended", "status", "on_failure", "expected"), TRANSITIONS)
def test_next_phase(ended: str, status: str, on_failure: str, expected: str | None) -> None:
    assert next_phase(ended, status, on_failure=on_failure) == expected


def test_a_failed_install_runs_no_other_buildspec_phase() -> None:
    walked = ["INSTALL"]
    status = "FAILED"
    while (phase := next_phase(walked[-1], status)) is not None:
        walked.append(phase)
        status = "SUCCEEDED"
    assert walked == ["INSTALL", "FINALIZING", "COMPLETED"]


@pytest.mark.parametrize(
    ("ended", "status", "message"),
    [
        ("DEPLOY", "SUCCEEDED", "unknown phase DEPLOY; the phases are SUBMITTED, QUEUED, "),
        ("BUILD", "IN_PROGRESS", "a phase ends SUCCEEDED, FAILED, FAULT, TIMED_OUT or STOPPED"),
        ("BUILD", "BROKEN", "a phase ends SUCCEEDED, FAILED, FAULT, TIMED_OUT or STOPPED"),
    ],
)
def test_next_phase_refuses_what_is_not_a_phase_end(ended: str, status: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        next_phase(ended, status)


STATUSES = [
    ([], "SUCCEEDED"),
    (["SUCCEEDED", "SUCCEEDED"], "SUCCEEDED"),
    (["SUCCEEDED", "FAILED", "SUCCEEDED"], "FAILED"),
    (["FAILED", "FAULT"], "FAILED"),
    (["SUCCEEDED", "FAULT", "FAILED"], "FAULT"),
    (["FAILED", "STOPPED"], "STOPPED"),
    (["SUCCEEDED", "TIMED_OUT"], "TIMED_OUT"),
    (["SUCCEEDED", None], "IN_PROGRESS"),
    (["SUCCEEDED", "IN_PROGRESS"], "IN_PROGRESS"),
]


@pytest.mark.parametrize(("statuses", "expected"), STATUSES)
def test_build_status(statuses: list[str | None], expected: str) -> None:
    assert build_status(statuses) == expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], True),
        (["SUCCEEDED", None], True),
        (["SUCCEEDED", "FAILED", "SUCCEEDED"], False),
        (["FAULT"], False),
    ],
)
def test_succeeding(statuses: list[str | None], expected: bool) -> None:
    assert succeeding(statuses) is expected


def test_buildspec_keys() -> None:
    assert [buildspec_key(p) for p in ("INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD")] == [
        "install",
        "pre_build",
        "build",
        "post_build",
    ]
    with pytest.raises(ValueError, match="FINALIZING is not a phase a buildspec has commands"):
        buildspec_key("FINALIZING")


def test_a_phase_as_batch_get_builds_shows_it() -> None:
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    context = PhaseContext("COMMAND_EXECUTION_ERROR", "Error while executing command: x.")
    ended = PhaseRecord("BUILD", start, start + timedelta(seconds=3.7), "FAILED", (context,))
    assert ended.to_api() == {
        "phaseType": "BUILD",
        "phaseStatus": "FAILED",
        "startTime": start,
        "endTime": start + timedelta(seconds=3.7),
        "durationInSeconds": 3,
        "contexts": [
            {
                "statusCode": "COMMAND_EXECUTION_ERROR",
                "message": "Error while executing command: x.",
            }
        ],
    }
    assert PhaseRecord("COMPLETED", start).to_api() == {
        "phaseType": "COMPLETED",
        "startTime": start,
    }
