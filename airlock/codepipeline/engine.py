"""The execution engine: a background worker that moves every active execution on.

All it knows is in the database. Each pass takes one decision per execution in a short
write transaction (enter a stage or wait at its entry, start the next actions by runOrder,
end the stage and the execution), then steps the running actions outside any transaction,
each outcome committed in one of its own with its events. A server killed at any moment
starts again from the last commit: an approval still waits, an action in progress is
stepped again with the state it saved, and nothing is done twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from airlock.core.calls import acting_context
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import ActionJob, ActionOutcome, ArtifactLocation, action_key
from airlock.platform.loop import BackgroundLoop
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from .artifacts import ArtifactError, artifact_key, reader, writer
from .events import pipeline_arn
from .locks import Position, decide
from .models import ActionExecution, Pipeline, PipelineExecution, StageExecution
from .operations import PRINCIPAL, known_types
from .polling import poll
from .roles import action_context
from .service import ACTIVE, CodePipelineService
from .structure import artifact_bucket
from .variables import UnresolvedVariable, resolve_configuration, scopes_of

log = logging.getLogger("airlock.codepipeline")
# How often the engine looks whether a polling source is due.
POLL_CHECK = timedelta(seconds=5)


class PipelineEngine(BackgroundLoop):
    """Advances every execution InProgress or Stopping, oldest first."""

    name = "airlock-codepipeline"

    def __init__(self, platform: Any) -> None:
        super().__init__()
        self.platform = platform
        # Sources are due every POLL_INTERVAL (30 s): reading every pipeline on every tick
        # (a tick is a fraction of a second while executions run) would be wasted work.
        self._next_poll: datetime | None = None

    def tick(self) -> float:
        """One pass over the abandoned actions and the active executions."""
        with self.platform.db.read() as session:
            abandoned = session.scalars(
                select(ActionExecution.id).where(ActionExecution.abandon_pending.is_(True))
            ).all()
            active = session.scalars(
                select(PipelineExecution.id)
                .where(PipelineExecution.status.in_(ACTIVE))
                .order_by(PipelineExecution.pipeline_pk, PipelineExecution.seq)
            ).all()
        for pk in abandoned:
            ActionStep(self.platform, pk).abandon()
        changed = False
        now = self.platform.clock.now()
        if self._next_poll is None or now >= self._next_poll:
            self._next_poll = now + POLL_CHECK
            try:
                changed |= poll(self.platform)
            except Exception:
                log.exception("polling the pipelines' sources failed")
        for pk in active:
            try:
                changed |= Advance(self.platform, pk).run()
            except Exception:
                log.exception("pipeline execution %d could not advance", pk)
        if changed or abandoned:
            return 0.0
        return 0.25 if active else 2.0


class Advance:
    """One decision for one execution, then one step of each of its running actions."""

    def __init__(self, platform: Any, pk: int) -> None:
        self.platform = platform
        self.pk = pk

    def run(self) -> bool:
        """Whether anything changed (the engine looks again at once if so)."""
        to_step: list[int] = []
        with self.platform.db.write() as session:
            svc = CodePipelineService(session, self.platform.clock, known_types(self.platform))
            ex = session.get(PipelineExecution, self.pk, with_for_update=True)
            if ex is None or ex.status not in ACTIVE:
                return False
            if ex.at_entry:
                return self._entry(svc, ex)
            changed = self._stage(svc, ex, to_step)
        for pk in to_step:
            changed |= ActionStep(self.platform, pk).step()
        return changed

    def _entry(self, svc: CodePipelineService, ex: PipelineExecution) -> bool:
        if ex.status == "Stopping":
            svc.end_execution(ex, "Stopped")
            return True
        pipeline = svc.session.get(Pipeline, ex.pipeline_pk)
        assert pipeline is not None
        stage = svc.stage_declaration(ex)["name"]
        others = [
            Position(o.seq, o.stage_index, o.at_entry)
            for o in svc.executions(pipeline, active_only=True)
            if o.id != ex.id
        ]
        me = Position(ex.seq, ex.stage_index, True)
        enabled = stage not in pipeline.disabled_transitions
        decision = decide(ex.execution_mode, me, others, enabled)
        if decision == "superseded":
            svc.end_execution(
                ex, "Superseded", f"Superseded by a newer execution waiting for stage {stage}"
            )
            return True
        if decision == "enter":
            svc.enter_stage(ex)
            return True
        return False

    def _stage(self, svc: CodePipelineService, ex: PipelineExecution, to_step: list[int]) -> bool:
        stage = svc.current_stage(ex)
        assert stage is not None
        declared = svc.stage_declaration(ex)
        current = {a.action_name: a for a in svc.stage_actions(stage)}
        before = {a.action_name: a for a in svc.earlier_actions(ex, stage.stage_name)}

        def status_of(name: str) -> str | None:
            if name in current:
                return current[name].status
            kept = before.get(name)
            if stage.retry_mode == "FAILED_ACTIONS" and kept and kept.status == "Succeeded":
                return "Succeeded"
            return None

        for order in sorted({a["runOrder"] for a in declared["actions"]}):
            group = [a for a in declared["actions"] if a["runOrder"] == order]
            statuses = {a["name"]: status_of(a["name"]) for a in group}
            running = [current[n] for n, s in statuses.items() if s == "InProgress"]
            if running:
                now = svc.clock.now()
                # A waiting approval needs a step only once its deadline has passed.
                to_step.extend(a.id for a in running if a.deadline is None or a.deadline <= now)
                return False
            if all(s == "Succeeded" for s in statuses.values()):
                continue
            if ex.status == "Stopping" or any(s == "Abandoned" for s in statuses.values()):
                svc.end_execution(ex, "Stopped")
                return True
            failed = [n for n, s in statuses.items() if s == "Failed"]
            if failed:
                row = current[failed[0]]
                svc.set_stage(ex, stage, "Failed")
                ex.status = "Failed"
                ex.status_summary = (
                    f"Action {row.action_name} of stage {row.stage_name} failed: "
                    f"{row.error_message or row.error_code or 'no reason given'}"
                )
                ex.updated_at = svc.clock.now()
                from .events import emit_pipeline

                emit_pipeline(svc.session, svc.clock, ex)
                return True
            for action in group:
                if statuses[action["name"]] is None:
                    row = self._begin(svc, ex, stage, action)
                    if row.status == "InProgress":
                        to_step.append(row.id)
            return True
        svc.set_stage(ex, stage, "Succeeded")
        if ex.status == "Stopping":
            svc.end_execution(ex, "Stopped")
            return True
        if ex.stage_index + 1 < len(ex.declaration["stages"]):
            ex.stage_index += 1
            ex.at_entry = True
            ex.updated_at = svc.clock.now()
        else:
            svc.end_execution(ex, "Succeeded")
        return True

    def _begin(
        self,
        svc: CodePipelineService,
        ex: PipelineExecution,
        stage: StageExecution,
        action: dict[str, Any],
    ) -> ActionExecution:
        """A new action execution with its resolved input, InProgress (or Failed at once)."""
        bucket = artifact_bucket(ex.declaration, ex.region)
        inputs = []
        for artifact in action["inputArtifacts"]:
            where = ex.artifacts.get(artifact["name"], {"bucket": bucket, "key": ""})
            inputs.append({"name": artifact["name"], "s3location": dict(where)})
        outputs = [
            {
                "name": a["name"],
                "s3location": {"bucket": bucket, "key": artifact_key(ex.pipeline_name, a["name"])},
            }
            for a in action["outputArtifacts"]
        ]
        configuration = dict(action.get("configuration") or {})
        error = None
        try:
            scopes = scopes_of(ex.execution_id, ex.variables, ex.namespaces)
            resolved = resolve_configuration(configuration, scopes)
        except UnresolvedVariable as problem:
            resolved, error = configuration, str(problem)
        now = svc.clock.now()
        row = ActionExecution(
            action_execution_id=str(uuid.uuid4()),
            execution_pk=ex.id,
            stage_pk=stage.id,
            pipeline_pk=ex.pipeline_pk,
            stage_name=stage.stage_name,
            action_name=action["name"],
            status="InProgress",
            input={
                "actionTypeId": dict(action["actionTypeId"]),
                "configuration": configuration,
                "resolvedConfiguration": resolved,
                "roleArn": action.get("roleArn") or ex.declaration["roleArn"],
                "region": action.get("region") or ex.region,
                "inputArtifacts": inputs,
                **({"namespace": action["namespace"]} if action.get("namespace") else {}),
            },
            output_artifacts=outputs,
            state={},
            output_variables={},
            started_at=now,
            updated_at=now,
        )
        svc.session.add(row)
        svc.session.flush()
        svc.set_action(ex, row, "InProgress")
        if error is not None:
            row.error_code, row.error_message = "ConfigurationError", error
            svc.set_action(ex, row, "Failed")
        return row


def _principal_ctx(
    platform: Any, session: Any, role: str, ex: PipelineExecution, name: str
) -> RequestContext:
    principal = assume_role_for_service(
        session,
        platform.clock,
        service_principal=PRINCIPAL,
        role_arn=role,
        session_name=name,
        source_account=ex.account_id,
        source_arn=pipeline_arn(ex.account_id, ex.region, ex.pipeline_name),
    )
    return acting_context(
        platform, principal, via=PRINCIPAL, service="codepipeline", region=ex.region
    )


class ActionStep:
    """One step (or the abandoning) of one action execution, as its role."""

    def __init__(self, platform: Any, pk: int) -> None:
        self.platform = platform
        self.pk = pk

    def _job(self) -> tuple[Any, ActionJob] | str:
        """The provider and the job, or why the action cannot run."""
        known = known_types(self.platform)
        with self.platform.db.read() as session:
            row = session.get(ActionExecution, self.pk)
            assert row is not None
            ex = session.get(PipelineExecution, row.execution_pk)
            assert ex is not None
            type_id = row.input["actionTypeId"]
            provider = known.get(
                action_key(type_id["category"], type_id["owner"], type_id["provider"])
            )
            if provider is None:
                return f"The action type {type_id} is no longer available"
            name = f"codepipeline-{row.action_execution_id}"
            pipeline_role, action_role = ex.declaration["roleArn"], row.input["roleArn"]
            try:
                pipeline_ctx = _principal_ctx(self.platform, session, pipeline_role, ex, name)
            except ServiceAccessDenied as error:
                return f"CodePipeline could not assume the pipeline's role: {error.message}"
            inputs = tuple(
                ArtifactLocation(a["name"], a["s3location"]["bucket"], a["s3location"]["key"])
                for a in row.input["inputArtifacts"]
            )
            outputs = tuple(
                ArtifactLocation(a["name"], a["s3location"]["bucket"], a["s3location"]["key"])
                for a in row.output_artifacts
            )
            revision = next(
                (
                    r["revisionValue"]
                    for r in ex.requested_revisions
                    if r["actionName"] == row.action_name
                ),
                None,
            )
            job = ActionJob(
                job_id=row.action_execution_id,
                pipeline_name=ex.pipeline_name,
                pipeline_execution_id=ex.execution_id,
                stage_name=row.stage_name,
                action_name=row.action_name,
                account_id=ex.account_id,
                region=ex.region,
                configuration=dict(row.input["resolvedConfiguration"]),
                inputs=inputs,
                outputs=outputs,
                ctx=pipeline_ctx,
                state=dict(row.state),
                source_revision=revision,
                read_artifact=reader(self.platform, pipeline_ctx, inputs),
                write_artifact=writer(self.platform, pipeline_ctx, outputs),
            )
        # Outside the read: assuming the action's role is a call of its own.
        try:
            ctx = action_context(self.platform, pipeline_ctx, pipeline_role, action_role, name)
        except ServiceError as error:
            return (
                f"The pipeline's role could not assume the action's role {action_role}: "
                f"{error.code}: {error.message}"
            )
        return provider, replace(job, ctx=ctx)

    def step(self) -> bool:
        """Step the action; whether its status or state changed."""
        prepared = self._job()
        if isinstance(prepared, str):
            outcome = ActionOutcome.failed(prepared)
        else:
            provider, job = prepared
            try:
                outcome = provider.step(self.platform, job)
            except ServiceError as error:
                outcome = ActionOutcome.failed(
                    f"{error.code}: {error.message}", state=dict(job.state)
                )
            except ArtifactError as error:
                outcome = ActionOutcome.failed(str(error), state=dict(job.state))
            except Exception as error:
                log.exception("action execution %d failed to step", self.pk)
                outcome = ActionOutcome.failed(
                    f"Airlock could not run the action: {type(error).__name__}: {error}",
                    state=dict(job.state),
                )
        return self._record(outcome)

    def _record(self, outcome: ActionOutcome) -> bool:
        with self.platform.db.write() as session:
            svc = CodePipelineService(session, self.platform.clock, known_types(self.platform))
            # The execution's row first, then the action's: the order StopPipelineExecution
            # takes them in, so the two never wait for each other.
            execution_pk = session.scalar(
                select(ActionExecution.execution_pk).where(ActionExecution.id == self.pk)
            )
            ex = session.get(PipelineExecution, execution_pk, with_for_update=True)
            row = session.get(ActionExecution, self.pk, with_for_update=True)
            assert row is not None
            if row.status != "InProgress" or ex is None or ex.status not in ACTIVE:
                return False  # approved, abandoned or cancelled while it stepped
            changed = outcome.status != "InProgress" or outcome.state != row.state
            row.state = dict(outcome.state)
            if "token" in outcome.state and row.token is None:
                row.token = str(outcome.state["token"])
                row.deadline = datetime.fromisoformat(str(outcome.state["deadline"]))
            for member in ("external_execution_id", "external_execution_url", "summary"):
                value = getattr(outcome, member)
                if value is not None:
                    setattr(row, member, value)
            if outcome.status == "InProgress":
                row.updated_at = self.platform.clock.now() if changed else row.updated_at
                return changed
            if outcome.status == "Succeeded":
                row.output_variables = dict(outcome.output_variables)
                namespace = row.input.get("namespace")
                if namespace:
                    ex.namespaces = {**ex.namespaces, namespace: dict(outcome.output_variables)}
                ex.artifacts = {
                    **ex.artifacts,
                    **{a["name"]: dict(a["s3location"]) for a in row.output_artifacts},
                }
                if outcome.source_revision is not None:
                    revision = {"actionName": row.action_name, **outcome.source_revision}
                    if row.output_artifacts:
                        revision["artifactName"] = row.output_artifacts[0]["name"]
                    ex.source_revisions = [*ex.source_revisions, revision]
            else:
                row.error_code = outcome.error_code or "JobFailed"
                row.error_message = outcome.error_message or ""
            svc.set_action(ex, row, outcome.status)
            return True

    def abandon(self) -> None:
        """Stop what an abandoned action started (once), then forget it is pending."""
        prepared = self._job()
        if not isinstance(prepared, str):
            provider, job = prepared
            try:
                provider.abandon(self.platform, job)
            except Exception:
                log.exception("action execution %d could not be abandoned", self.pk)
        with self.platform.db.write() as session:
            row = session.get(ActionExecution, self.pk)
            if row is not None:
                row.abandon_pending = False
