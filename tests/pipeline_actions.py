"""Running one CodePipeline action type against a live server, without the pipeline engine.

The provider's tests use this to step an action as the engine does: as a role assumed by
codepipeline.amazonaws.com, with artifacts in a real bucket of the live server, until
the outcome is no longer InProgress. Repeating a step with the same state (as after a
crash) is the caller's to ask for, with `repeat_first_step`.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airlock.core.calls import acting_context
from airlock.core.pipeline_actions import ActionJob, ActionOutcome, ArtifactLocation, action_key
from airlock.sts import assume_role_for_service
from tests.support import LiveServer, wait_for

PIPELINE_PRINCIPAL = "codepipeline.amazonaws.com"


def zipped(files: Mapping[str, str | bytes]) -> bytes:
    """A zip of `files` (name → content), as artifacts are stored."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def unzipped(data: bytes) -> dict[str, bytes]:
    """The files of an artifact zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@dataclass
class ActionRun:
    """One action of a made-up pipeline, stepped like the engine steps it."""

    server: LiveServer
    key: str  # action_key, e.g. "Build/AWS/CodeBuild"
    configuration: dict[str, str]
    role_arn: str
    bucket: str
    account_id: str
    inputs: dict[str, bytes] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    source_revision: str | None = None
    job_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: dict[str, Any] = field(default_factory=dict)
    steps: list[ActionOutcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        # One client for the run: making a botocore client costs far more than a call.
        self._s3 = self.server.client("s3", self.account_id)
        for name, data in self.inputs.items():
            self._s3.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)

    def _key(self, name: str) -> str:
        return f"test-pipeline/{name[:20]}/{self.job_id[:8]}"

    def location(self, name: str) -> ArtifactLocation:
        """Where artifact `name` of this run is."""
        return ArtifactLocation(name, self.bucket, self._key(name))

    def read(self, name: str) -> bytes:
        """An artifact's bytes (an input, or an output the action wrote)."""
        answer = self._s3.get_object(Bucket=self.bucket, Key=self._key(name))
        return bytes(answer["Body"].read())

    def _write(self, name: str, data: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)

    def job(self) -> ActionJob:
        """The job as the engine would hand it to the provider now."""
        platform = self.server.airlock.platform
        with platform.db.read() as session:
            principal = assume_role_for_service(
                session,
                platform.clock,
                service_principal=PIPELINE_PRINCIPAL,
                role_arn=self.role_arn,
                session_name=f"test-{self.job_id[:8]}",
                source_account=self.account_id,
            )
        ctx = acting_context(platform, principal, via=PIPELINE_PRINCIPAL, service="codepipeline")
        return ActionJob(
            job_id=self.job_id,
            pipeline_name="test-pipeline",
            pipeline_execution_id=self.job_id,
            stage_name="Stage",
            action_name="Action",
            account_id=self.account_id,
            region=platform.settings.region,
            configuration=dict(self.configuration),
            inputs=tuple(self.location(name) for name in self.inputs),
            outputs=tuple(self.location(name) for name in self.outputs),
            ctx=ctx,
            state=dict(self.state),
            source_revision=self.source_revision,
            read_artifact=self.read,
            write_artifact=self._write,
        )

    def provider(self) -> Any:
        """The registered action type under test."""
        return self.server.airlock.platform.calls.pipeline_actions[self.key]

    def step(self) -> ActionOutcome:
        """One step; its saved state is what the next step gets."""
        outcome: ActionOutcome = self.provider().step(self.server.airlock.platform, self.job())
        self.steps.append(outcome)
        self.state = dict(outcome.state)
        return outcome

    def run(self, timeout: float = 60.0) -> ActionOutcome:
        """Step until the outcome is Succeeded or Failed."""

        def done() -> ActionOutcome | None:
            outcome = self.step()
            return None if outcome.status == "InProgress" else outcome

        return wait_for(done, timeout=timeout, interval=0.05, what=f"{self.key} to finish")


__all__ = ["ActionRun", "action_key", "unzipped", "zipped"]
