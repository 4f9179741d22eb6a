"""The engine with a scripted action type: runOrder, parallel actions, saved state handed
back on every step, output variables in later configuration, failure and retry."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from airlock.core.pipeline_actions import ActionJob, ActionOutcome, ConfigurationProperty
from tests.codepipeline.helpers import (
    declaration,
    first_execution,
    s3_source,
    setup,
    wait_status,
)
from tests.support import LiveServer


@dataclass
class Scripted:
    """Build/Custom/Scripted: runs `Steps` steps, then succeeds (or fails if `Fail` is set)."""

    category: str = "Build"
    owner: str = "Custom"
    provider: str = "Scripted"
    version: str = "1"
    configuration: tuple[ConfigurationProperty, ...] = (
        ConfigurationProperty("Steps", required=True),
        ConfigurationProperty("Fail"),
        ConfigurationProperty("Echo"),
    )
    input_artifacts: tuple[int, int] = (0, 1)
    output_artifacts: tuple[int, int] = (0, 1)
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    running: set[str] = field(default_factory=set)
    overlap: int = 0
    fail_once: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, configuration: Mapping[str, str]) -> str | None:
        return None if configuration["Steps"].isdigit() else "Steps must be a number"

    def step(self, platform: Any, job: ActionJob) -> ActionOutcome:
        with self.lock:
            self.seen.append((job.action_name, dict(job.state)))
            self.running.add(job.action_name)
            self.overlap = max(self.overlap, len(self.running))
        done = int(job.state.get("done", 0)) + 1
        if done < int(job.configuration["Steps"]):
            return ActionOutcome("InProgress", state={"done": done}, external_execution_id="x-1")
        with self.lock:
            self.running.discard(job.action_name)
        if job.action_name in self.fail_once:
            self.fail_once.discard(job.action_name)
            return ActionOutcome.failed("it broke", state={"done": done})
        for artifact in job.outputs:
            data = job.read_artifact(job.inputs[0].name) if job.inputs else b""
            job.write_artifact(artifact.name, data + job.action_name.encode())
        return ActionOutcome(
            "Succeeded",
            state={"done": done},
            summary=f"{job.action_name} done",
            output_variables={"Echo": job.configuration.get("Echo", "")},
        )

    def abandon(self, platform: Any, job: ActionJob) -> None:
        return None


def scripted(name: str, order: int, steps: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "actionTypeId": {
            "category": "Build",
            "owner": "Custom",
            "provider": "Scripted",
            "version": "1",
        },
        "runOrder": order,
        "configuration": {"Steps": str(steps), **extra.pop("configuration", {})},
        **extra,
    }


@pytest.fixture
def provider(server: LiveServer) -> Scripted:
    made = Scripted()
    server.airlock.platform.calls.pipeline_actions["Build/Custom/Scripted"] = made
    return made


def test_run_order_state_and_variables(server: LiveServer, provider: Scripted) -> None:
    cp, role = setup(server)
    build = [
        scripted(
            "A",
            1,
            3,
            namespace="AVars",
            configuration={"Echo": "#{SourceVariables.VersionId}"},
            inputArtifacts=[{"name": "SourceArtifact"}],
            outputArtifacts=[{"name": "Built"}],
        ),
        scripted("B", 1, 3),
        scripted("C", 2, 1, configuration={"Echo": "after #{AVars.Echo}"}),
    ]
    cp.create_pipeline(
        pipeline=declaration(
            role,
            [{"name": "Source", "actions": [s3_source()]}, {"name": "Build", "actions": build}],
        )
    )
    first = first_execution(cp, "pipe")
    wait_status(cp, "pipe", first, "Succeeded")
    # A and B ran side by side; C only after both; every step got the state the last saved.
    assert provider.overlap >= 2
    names = [name for name, _ in provider.seen]
    assert names.index("C") > max(i for i, n in enumerate(names) if n in "AB")
    assert [state for name, state in provider.seen if name == "A"] == [{}, {"done": 1}, {"done": 2}]
    details = {
        d["actionName"]: d
        for d in cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
    }
    version = server.client("s3").head_object(Bucket="source", Key="app.zip")["VersionId"]
    assert details["A"]["output"]["outputVariables"] == {"Echo": version}
    assert details["C"]["input"]["resolvedConfiguration"]["Echo"] == f"after {version}"
    assert details["A"]["output"]["executionResult"]["externalExecutionSummary"] == "A done"
    location = details["A"]["output"]["outputArtifacts"][0]["s3location"]
    built = server.client("s3").get_object(Bucket=location["bucket"], Key=location["key"])
    source = server.client("s3").get_object(Bucket="source", Key="app.zip")["Body"].read()
    assert built["Body"].read() == source + b"A"


def test_failure_then_retry_failed_actions(server: LiveServer, provider: Scripted) -> None:
    cp, role = setup(server)
    provider.fail_once.add("B")
    cp.create_pipeline(
        pipeline=declaration(
            role,
            [
                {"name": "Source", "actions": [s3_source()]},
                {"name": "Build", "actions": [scripted("A", 1, 1), scripted("B", 1, 1)]},
            ],
        )
    )
    first = first_execution(cp, "pipe")
    failed = wait_status(cp, "pipe", first, "Failed")
    assert failed["statusSummary"] == "Action B of stage Build failed: it broke"
    state = cp.get_pipeline_state(name="pipe")["stageStates"][1]
    assert state["latestExecution"]["status"] == "Failed"
    errors = {a["actionName"]: a["latestExecution"] for a in state["actionStates"]}
    assert errors["B"]["errorDetails"] == {"code": "JobFailed", "message": "it broke"}
    runs_of_a = sum(1 for name, _ in provider.seen if name == "A")
    cp.retry_stage_execution(
        pipelineName="pipe",
        stageName="Build",
        pipelineExecutionId=first,
        retryMode="FAILED_ACTIONS",
    )
    wait_status(cp, "pipe", first, "Succeeded")
    assert sum(1 for name, _ in provider.seen if name == "A") == runs_of_a, "A is not run again"
    statuses = [
        (d["actionName"], d["status"])
        for d in cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
    ]
    assert statuses.count(("B", "Succeeded")) == 1 and statuses.count(("B", "Failed")) == 1


def test_configuration_check_and_unresolved_variable(
    server: LiveServer, provider: Scripted
) -> None:
    from botocore.exceptions import ClientError

    cp, role = setup(server)
    with pytest.raises(ClientError) as caught:
        cp.create_pipeline(
            pipeline=declaration(
                role,
                [
                    {"name": "Source", "actions": [s3_source()]},
                    {"name": "Build", "actions": [scripted("A", 1, configuration={"Steps": "x"})]},
                ],
            )
        )
    assert caught.value.response["Error"]["Code"] == "InvalidActionDeclarationException"
    assert caught.value.response["Error"]["Message"] == "Action 'A': Steps must be a number"
    cp.create_pipeline(
        pipeline=declaration(
            role,
            [
                {"name": "Source", "actions": [s3_source()]},
                {
                    "name": "Build",
                    "actions": [
                        scripted("A", 1, 1, configuration={"Echo": "#{SourceVariables.Nope}"})
                    ],
                },
            ],
        )
    )
    first = first_execution(cp, "pipe")
    failed = wait_status(cp, "pipe", first, "Failed")
    assert failed["statusSummary"] == (
        "Action A of stage Build failed: The variable #{SourceVariables.Nope} could not be "
        "resolved: the namespace SourceVariables has no variable Nope"
    )
