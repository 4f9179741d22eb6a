"""`CodeBuild Build State Change` and `CodeBuild Build Phase Change` events, committed with the
change they report, in the detail shape of CodeBuild's build notifications."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from airlock.events import EventsService
from airlock.platform.clock import Clock

from .models import Build

STATE_CHANGE = "CodeBuild Build State Change"
PHASE_CHANGE = "CodeBuild Build Phase Change"


def _when(value: str | datetime) -> str:
    """Times as CodeBuild's notifications write them: `Sep 1, 2017 4:12:29 PM`."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    moment = moment.astimezone(UTC)
    hour = moment.strftime("%I").lstrip("0") or "12"
    return f"{moment:%b} {moment.day}, {moment.year} {hour}:{moment:%M:%S %p}"


def _information(build: Build) -> dict[str, Any]:
    from .operations import log_location

    logs = log_location(build)
    spec = build.spec
    info: dict[str, Any] = {
        "artifact": {"location": build.artifacts_location or ""},
        "environment": {
            "image": spec["environment"].get("image"),
            "privileged-mode": bool(spec["environment"].get("privilegedMode")),
            "compute-type": spec["environment"].get("computeType"),
            "type": spec["environment"].get("type"),
            "environment-variables": [
                {"name": v["name"], "type": v.get("type", "PLAINTEXT"), "value": v.get("value")}
                for v in spec["environment"].get("environmentVariables") or []
            ],
        },
        "timeout-in-minutes": spec.get("timeoutInMinutes"),
        "build-complete": build.current_phase == "COMPLETED",
        "initiator": build.initiator,
        "build-start-time": _when(build.started_at),
        "source": {
            k: v for k, v in spec["source"].items() if k in ("type", "location", "buildspec")
        },
        "logs": {
            "group-name": logs["groupName"],
            "stream-name": logs["streamName"],
            "deep-link": logs["deepLink"],
        },
        "phases": [_phase(p) for p in build.phases],
    }
    if spec.get("sourceVersion"):
        info["source-version"] = spec["sourceVersion"]
    return info


def _phase(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "phase-type": entry["phaseType"],
        "start-time": _when(entry["startTime"]),
    }
    if "endTime" in entry:
        out["end-time"] = _when(entry["endTime"])
        out["duration-in-seconds"] = entry.get("durationInSeconds", 0)
    if "phaseStatus" in entry:
        out["phase-status"] = entry["phaseStatus"]
    if entry.get("contexts"):
        out["phase-context"] = [_context(c) for c in entry["contexts"]]
    return out


def _context(context: dict[str, str]) -> str:
    return f"{context.get('statusCode', '')}: {context.get('message', '')}"


def emit_state_change(session: Session, clock: Clock, build: Build) -> None:
    """The build's status (IN_PROGRESS on start, then how it ended)."""
    detail = {
        "build-status": build.status,
        "project-name": build.project_name,
        "build-id": build.arn,
        "additional-information": _information(build),
        "current-phase": build.current_phase,
        "current-phase-context": "[]",
        "version": "1",
    }
    EventsService(session, clock).emit(
        build.account_id,
        build.region,
        source="aws.codebuild",
        detail_type=STATE_CHANGE,
        detail=detail,
        resources=[build.arn],
    )


def emit_phase_change(session: Session, clock: Clock, build: Build, phase: dict[str, Any]) -> None:
    """A phase that ended: its status, times, duration and contexts."""
    contexts = [_context(c) for c in phase.get("contexts") or []]
    detail = {
        "completed-phase": phase["phaseType"],
        "project-name": build.project_name,
        "build-id": build.arn,
        "completed-phase-context": "[" + ", ".join(contexts) + "]",
        "additional-information": _information(build),
        "completed-phase-status": phase.get("phaseStatus"),
        "completed-phase-duration-seconds": phase.get("durationInSeconds", 0),
        "version": "1",
        "completed-phase-start": _when(phase["startTime"]),
        "completed-phase-end": _when(phase.get("endTime") or phase["startTime"]),
    }
    EventsService(session, clock).emit(
        build.account_id,
        build.region,
        source="aws.codebuild",
        detail_type=PHASE_CHANGE,
        detail=detail,
        resources=[build.arn],
    )
