"""The pipeline view's pure parts: which approvals wait, and what a stage box shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console

from airlock.cli.pipelines import Waiting, render, waiting_approvals

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def state() -> dict[str, Any]:
    return {
        "pipelineName": "cd",
        "pipelineVersion": 2,
        "stageStates": [
            {
                "stageName": "Build",
                "latestExecution": {"pipelineExecutionId": "e1", "status": "Failed"},
                "actionStates": [
                    {
                        "actionName": "Render",
                        "latestExecution": {
                            "status": "Failed",
                            "errorDetails": {"code": "JobFailed", "message": "BUILD: exit 2"},
                        },
                    }
                ],
            },
            {
                "stageName": "Approve",
                "inboundTransitionState": {"enabled": False, "disabledReason": "freeze"},
                "latestExecution": {"pipelineExecutionId": "e1", "status": "InProgress"},
                "actionStates": [
                    {
                        "actionName": "Manual",
                        "latestExecution": {"status": "InProgress", "token": "tok-1"},
                    },
                    {"actionName": "Other", "latestExecution": {"status": "InProgress"}},
                ],
            },
        ],
    }


def text_of(rendered: Any) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(rendered)
    return console.export_text()


def test_only_in_progress_actions_with_a_token_wait() -> None:
    assert waiting_approvals(state()) == [Waiting("Approve", "Manual", "tok-1")]
    done = state()
    done["stageStates"][1]["actionStates"][0]["latestExecution"]["status"] = "Succeeded"
    assert waiting_approvals(done) == []


def test_the_view_shows_statuses_durations_the_approval_and_the_error() -> None:
    executions = [
        {
            "stageName": "Build",
            "actionName": "Render",
            "status": "Failed",
            "startTime": T0,
            "lastUpdateTime": T0 + timedelta(seconds=2.5),
        },
        {"stageName": "Approve", "actionName": "Manual", "status": "InProgress", "startTime": T0},
    ]
    text = text_of(render(state(), executions, now=T0 + timedelta(seconds=40)))
    assert "cd (version 2)" in text
    assert "Render  Failed  2.5s" in text
    assert "JobFailed: BUILD: exit 2" in text
    assert "Manual  InProgress  40.0s  waiting for approval" in text
    assert "transition disabled: freeze" in text
    assert "Other  InProgress" in text and "Other  InProgress  waiting" not in text
