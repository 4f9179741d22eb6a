"""RetryPolicies and RetryPipelineExecution: a failed step runs again, as a new job.

A job fails with SageMaker's InternalServerError when Airlock cannot run it: here,
the account's job directory is made a file. Time is a ManualClock, so a retry
waits for the test to move time past IntervalSeconds (10 minutes: within SigV4's 15-minute
allowance for the clients' real clocks).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.platform.clock import ManualClock
from tests.sagemaker.test_pipeline_runs import pipeline
from tests.sagemaker.test_training import setup  # noqa: F401 - the fixture
from tests.support import LiveServer, live_server, wait_for


@pytest.fixture
def server(tmp_path: Path, database_url: str | None, clock: ManualClock) -> Iterator[LiveServer]:
    """A live server whose time the test moves."""
    with live_server(tmp_path / "state", database_url, clock=clock) as live:
        yield live


def block_jobs(server: LiveServer) -> Path:
    """Make the account's training job directory a file: every job there fails internally."""
    path = server.settings.state_dir / "jobs" / "training" / server.first_account_id()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not a directory")
    return path


def training_only(role: str, policies: list[dict[str, Any]] | None) -> str:
    definition = json.loads(pipeline(role, 0.2))
    train = definition["Steps"][0]
    if policies is not None:
        train["RetryPolicies"] = policies
    definition["Steps"] = [train]
    return json.dumps(definition)


def start(sm: Any, role: str, name: str, policies: list[dict[str, Any]] | None) -> str:
    sm.create_pipeline(
        PipelineName=name, PipelineDefinition=training_only(role, policies), RoleArn=role
    )
    return str(sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"])


def failed_jobs(sm: Any, count: int) -> list[dict[str, Any]]:
    def check() -> list[dict[str, Any]] | None:
        jobs = sm.list_training_jobs(StatusEquals="Failed")["TrainingJobSummaries"]
        return jobs if len(jobs) >= count else None

    return list(wait_for(check, timeout=60, interval=0.2, what=f"{count} failed job(s)"))


def ended(sm: Any, arn: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        execution = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        return execution if execution["PipelineExecutionStatus"] != "Executing" else None

    return dict(wait_for(check, timeout=30, interval=0.2, what="the execution to end"))


def only_step(sm: Any, arn: str) -> dict[str, Any]:
    (step,) = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    return dict(step)


def waiting_for_retry(sm: Any, arn: str) -> dict[str, Any]:
    """The step once the engine saw its job fail: still Executing, showing why it failed."""

    def check() -> dict[str, Any] | None:
        step = only_step(sm, arn)
        return step if step["StepStatus"] == "Executing" and "FailureReason" in step else None

    return dict(wait_for(check, timeout=60, interval=0.2, what="the step to await its retry"))


INTERNAL = {
    "ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"],
    "IntervalSeconds": 600,
    "BackoffRate": 2.0,
}


def test_internal_error_is_retried_as_a_new_job(
    setup: dict[str, Any],  # noqa: F811
    server: LiveServer,
    clock: ManualClock,
) -> None:
    sm = setup["sm"]
    blocked = block_jobs(server)
    arn = start(sm, setup["role"], "retried", [{**INTERNAL, "MaxAttempts": 2}])
    (first,) = failed_jobs(sm, 1)
    reason = sm.describe_training_job(TrainingJobName=first["TrainingJobName"])["FailureReason"]
    assert reason.startswith("InternalServerError: Airlock could not run the job")
    step = waiting_for_retry(sm, arn)
    assert step["AttemptCount"] == 1
    assert step["FailureReason"] == reason
    blocked.unlink()
    clock.advance(timedelta(seconds=600))
    execution = ended(sm, arn)
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution.get("FailureReason")
    step = only_step(sm, arn)
    assert step["AttemptCount"] == 2
    assert step["Metadata"]["TrainingJob"]["Arn"] != first["TrainingJobArn"], "a new job"


def test_retries_end_at_max_attempts(
    setup: dict[str, Any],  # noqa: F811
    server: LiveServer,
    clock: ManualClock,
) -> None:
    sm = setup["sm"]
    block_jobs(server)
    arn = start(sm, setup["role"], "exhausted", [{**INTERNAL, "MaxAttempts": 1}])
    failed_jobs(sm, 1)
    waiting_for_retry(sm, arn)
    clock.advance(timedelta(seconds=600))
    execution = ended(sm, arn)
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert execution["FailureReason"].startswith("Step Train failed: InternalServerError")
    step = only_step(sm, arn)
    assert (step["StepStatus"], step["AttemptCount"]) == ("Failed", 2)
    assert len(failed_jobs(sm, 2)) == 2


def test_what_the_user_caused_is_not_retried(setup: dict[str, Any]) -> None:  # noqa: F811
    sm = setup["sm"]
    policies = [
        {
            "ExceptionType": [
                "SageMaker.JOB_INTERNAL_ERROR",
                "SageMaker.CAPACITY_ERROR",
                "SageMaker.RESOURCE_LIMIT",
            ],
            "IntervalSeconds": 0,
            "MaxAttempts": 5,
        }
    ]
    definition = json.loads(training_only(setup["role"], policies))
    definition["Steps"][0]["Arguments"]["HyperParameters"]["objective"] = "no:such"
    sm.create_pipeline(
        PipelineName="user-error", PipelineDefinition=json.dumps(definition), RoleArn=setup["role"]
    )
    arn = sm.start_pipeline_execution(PipelineName="user-error")["PipelineExecutionArn"]
    execution = ended(sm, arn)
    assert execution["PipelineExecutionStatus"] == "Failed"
    step = only_step(sm, arn)
    assert step["AttemptCount"] == 1
    assert not step["FailureReason"].startswith("InternalServerError")


def test_retry_pipeline_execution(setup: dict[str, Any], server: LiveServer) -> None:  # noqa: F811
    sm = setup["sm"]
    blocked = block_jobs(server)
    arn = start(sm, setup["role"], "again", None)
    assert ended(sm, arn)["PipelineExecutionStatus"] == "Failed"
    with pytest.raises(ClientError) as caught:
        sm.retry_pipeline_execution(PipelineExecutionArn=arn + "x", ClientRequestToken="t" * 32)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"
    blocked.unlink()
    sm.retry_pipeline_execution(
        PipelineExecutionArn=arn,
        ClientRequestToken="1" * 32,
        ParallelismConfiguration={"MaxParallelExecutionSteps": 2},
    )
    # The same token again is the same retry, not a refusal.
    sm.retry_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="1" * 32)
    execution = ended(sm, arn)
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution.get("FailureReason")
    assert "FailureReason" not in execution
    assert execution["ParallelismConfiguration"] == {"MaxParallelExecutionSteps": 2}
    step = only_step(sm, arn)
    assert (step["StepStatus"], step["AttemptCount"]) == ("Succeeded", 2)
    with pytest.raises(ClientError) as caught:
        sm.retry_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="2" * 32)
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f"Pipeline execution {arn} is Succeeded: only a Failed or Stopped execution "
        "can be retried.",
    }
