"""Pipelines and executions of one database session: every change, with its events."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from airlock.core.pipeline_actions import ActionProvider
from airlock.platform.clock import Clock

from .errors import (
    PipelineExecutionNotFound,
    PipelineNameInUse,
    PipelineNotFound,
    StageNotFound,
)
from .events import emit_action, emit_pipeline, emit_stage, pipeline_arn
from .models import ActionExecution, Pipeline, PipelineExecution, StageExecution

ACTIVE = ("InProgress", "Stopping")


class CodePipelineService:
    """Pipelines, executions, stages and actions; `known` are the action types there are."""

    def __init__(self, session: Session, clock: Clock, known: Mapping[str, ActionProvider]):
        self.session = session
        self.clock = clock
        self.known = known

    # -- pipelines ----------------------------------------------------------------------------

    def pipeline(self, account: str, region: str, name: str) -> Pipeline | None:
        """The pipeline of that name, if any."""
        return self.session.scalars(
            select(Pipeline).where(
                Pipeline.account_id == account, Pipeline.region == region, Pipeline.name == name
            )
        ).first()

    def require_pipeline(self, account: str, region: str, name: str) -> Pipeline:
        """The pipeline, or PipelineNotFoundException as CodePipeline words it."""
        found = self.pipeline(account, region, name)
        if found is None:
            raise PipelineNotFound(
                f"Account '{account}' does not have a pipeline with name '{name}'"
            )
        return found

    def pipelines(self, account: str, region: str) -> list[Pipeline]:
        """Every pipeline of the account in the region, by name."""
        return list(
            self.session.scalars(
                select(Pipeline)
                .where(Pipeline.account_id == account, Pipeline.region == region)
                .order_by(Pipeline.name)
            )
        )

    def create_pipeline(
        self, account: str, region: str, declaration: dict[str, Any], tags: list[dict[str, str]]
    ) -> Pipeline:
        """A new pipeline at version 1 (checked already)."""
        name = declaration["name"]
        if self.pipeline(account, region, name) is not None:
            raise PipelineNameInUse(
                f"A pipeline with the name '{name}' already exists in account '{account}'"
            )
        now = self.clock.now()
        pipeline = Pipeline(
            account_id=account,
            region=region,
            name=name,
            arn=pipeline_arn(account, region, name),
            version=1,
            declaration=declaration,
            history={"1": copy.deepcopy(declaration)},
            tags=list(tags),
            disabled_transitions={},
            polled={},
            next_seq=1,
            created_at=now,
            updated_at=now,
        )
        self.session.add(pipeline)
        self.session.flush()
        return pipeline

    def update_pipeline(self, pipeline: Pipeline, declaration: dict[str, Any]) -> Pipeline:
        """The next version; executions in flight end Cancelled."""
        pipeline.version += 1
        pipeline.declaration = declaration
        pipeline.history = {**pipeline.history, str(pipeline.version): copy.deepcopy(declaration)}
        stages = {s["name"] for s in declaration["stages"]}
        pipeline.disabled_transitions = {
            k: v for k, v in pipeline.disabled_transitions.items() if k in stages
        }
        pipeline.updated_at = self.clock.now()
        for ex in self.executions(pipeline, active_only=True):
            self.end_execution(ex, "Cancelled", "The pipeline was updated while this ran")
        return pipeline

    def delete_pipeline(self, pipeline: Pipeline) -> None:
        """The pipeline goes, and its executions with it."""
        for ex in self.executions(pipeline, active_only=True):
            self.end_execution(ex, "Cancelled", "The pipeline was deleted")
        self.session.flush()
        self.session.delete(pipeline)

    # -- executions ---------------------------------------------------------------------------

    def executions(
        self, pipeline: Pipeline, *, active_only: bool = False, summaries: bool = False
    ) -> list[PipelineExecution]:
        """The pipeline's executions, newest first.

        With `summaries`, the columns a summary does not show (the declaration each
        execution runs, its artifacts and variables) load only when read: decoding them
        for a long history was most of ListPipelineExecutions' time.
        """
        query = select(PipelineExecution).where(PipelineExecution.pipeline_pk == pipeline.id)
        if active_only:
            query = query.where(PipelineExecution.status.in_(ACTIVE))
        if summaries:
            query = query.options(
                defer(PipelineExecution.declaration),
                defer(PipelineExecution.artifacts),
                defer(PipelineExecution.namespaces),
                defer(PipelineExecution.variables),
            )
        return list(self.session.scalars(query.order_by(PipelineExecution.seq.desc())))

    def execution(
        self, pipeline: Pipeline, execution_id: str, *, lock: bool = False
    ) -> PipelineExecution:
        """One execution of the pipeline, or PipelineExecutionNotFoundException.

        `lock` takes its row for the transaction, so the engine's next step waits for it.
        """
        query = select(PipelineExecution).where(
            PipelineExecution.pipeline_pk == pipeline.id,
            PipelineExecution.execution_id == execution_id,
        )
        found = self.session.scalars(query.with_for_update() if lock else query).first()
        if found is None:
            raise PipelineExecutionNotFound(
                f"Pipeline execution with id '{execution_id}' does not exist in pipeline with "
                f"name '{pipeline.name}'"
            )
        return found

    def start_execution(
        self,
        pipeline: Pipeline,
        trigger: dict[str, str],
        variables: list[dict[str, str]],
        *,
        token: str | None = None,
        revisions: list[dict[str, str]] | None = None,
    ) -> PipelineExecution:
        """A new execution at the entry of the first stage (variables resolved already)."""
        now = self.clock.now()
        seq = pipeline.next_seq
        pipeline.next_seq = seq + 1
        ex = PipelineExecution(
            execution_id=str(uuid.uuid4()),
            pipeline_pk=pipeline.id,
            account_id=pipeline.account_id,
            region=pipeline.region,
            pipeline_name=pipeline.name,
            pipeline_version=pipeline.version,
            declaration=copy.deepcopy(pipeline.declaration),
            execution_mode=pipeline.declaration.get("executionMode", "SUPERSEDED"),
            status="InProgress",
            seq=seq,
            trigger=trigger,
            variables=variables,
            requested_revisions=list(revisions or []),
            source_revisions=[],
            client_request_token=token,
            stage_index=0,
            at_entry=True,
            artifacts={},
            namespaces={},
            started_at=now,
            updated_at=now,
        )
        self.session.add(ex)
        self.session.flush()
        emit_pipeline(self.session, self.clock, ex)
        return ex

    def by_token(self, pipeline: Pipeline, token: str) -> PipelineExecution | None:
        """The execution an earlier StartPipelineExecution with this token started."""
        return self.session.scalars(
            select(PipelineExecution).where(
                PipelineExecution.pipeline_pk == pipeline.id,
                PipelineExecution.client_request_token == token,
            )
        ).first()

    def end_execution(self, ex: PipelineExecution, status: str, summary: str | None = None) -> None:
        """The execution ends with `status`; its stage and running actions end with it."""
        ex.status = status
        if summary is not None:
            ex.status_summary = summary
        ex.updated_at = self.clock.now()
        stage = self.current_stage(ex)
        if stage is not None and stage.status in ACTIVE and not ex.at_entry:
            stage_status = "Stopped" if status == "Stopped" else status
            if status in ("Cancelled", "Superseded"):
                stage_status = "Cancelled"
            for action in self.stage_actions(stage):
                if action.status == "InProgress":
                    self.set_action(ex, action, "Abandoned")
                    action.abandon_pending = True
            self.set_stage(ex, stage, stage_status)
        emit_pipeline(self.session, self.clock, ex)

    # -- stages and actions -------------------------------------------------------------------

    def stage_declaration(self, ex: PipelineExecution, index: int | None = None) -> dict[str, Any]:
        """The declaration of the execution's current stage (or of stage `index`)."""
        stages: list[dict[str, Any]] = ex.declaration["stages"]
        return stages[ex.stage_index if index is None else index]

    def current_stage(self, ex: PipelineExecution) -> StageExecution | None:
        """The latest run of the stage the execution is in."""
        name = self.stage_declaration(ex)["name"]
        return self.session.scalars(
            select(StageExecution)
            .where(StageExecution.execution_pk == ex.id, StageExecution.stage_name == name)
            .order_by(StageExecution.id.desc())
        ).first()

    def enter_stage(self, ex: PipelineExecution, retry_mode: str = "ALL_ACTIONS") -> StageExecution:
        """The execution enters (or retries) its current stage."""
        now = self.clock.now()
        stage = StageExecution(
            execution_pk=ex.id,
            pipeline_pk=ex.pipeline_pk,
            stage_name=self.stage_declaration(ex)["name"],
            status="InProgress",
            retry_mode=retry_mode,
            started_at=now,
            updated_at=now,
        )
        self.session.add(stage)
        ex.at_entry = False
        ex.updated_at = now
        self.session.flush()
        emit_stage(self.session, self.clock, ex, stage.stage_name, "InProgress")
        return stage

    def set_stage(self, ex: PipelineExecution, stage: StageExecution, status: str) -> None:
        """A stage's new status, with its event."""
        stage.status = status
        stage.updated_at = self.clock.now()
        emit_stage(self.session, self.clock, ex, stage.stage_name, status)

    def stage_actions(self, stage: StageExecution) -> list[ActionExecution]:
        """The action executions of one stage run, oldest first."""
        return list(
            self.session.scalars(
                select(ActionExecution)
                .where(ActionExecution.stage_pk == stage.id)
                .order_by(ActionExecution.id)
            )
        )

    def earlier_actions(self, ex: PipelineExecution, stage_name: str) -> list[ActionExecution]:
        """Every action execution of a stage in this execution (every run), oldest first."""
        return list(
            self.session.scalars(
                select(ActionExecution)
                .where(
                    ActionExecution.execution_pk == ex.id,
                    ActionExecution.stage_name == stage_name,
                )
                .order_by(ActionExecution.id)
            )
        )

    def set_action(self, ex: PipelineExecution, action: ActionExecution, status: str) -> None:
        """An action's new status, with its event."""
        action.status = status
        action.updated_at = self.clock.now()
        emit_action(self.session, self.clock, ex, action)

    def action_by_id(self, pk: int) -> ActionExecution | None:
        """An action execution by its row id."""
        return self.session.get(ActionExecution, pk)

    def stage_names(self, pipeline: Pipeline) -> list[str]:
        """The stages of the pipeline's current version."""
        return [s["name"] for s in pipeline.declaration["stages"]]

    def require_stage(self, pipeline: Pipeline, name: str) -> dict[str, Any]:
        """A stage of the current version, or StageNotFoundException."""
        for stage in pipeline.declaration["stages"]:
            if stage["name"] == name:
                return dict(stage)
        raise StageNotFound(f"Stage '{name}' not found in pipeline '{pipeline.name}'")

    def all_actions(self, ex: PipelineExecution) -> list[ActionExecution]:
        """Every action execution of the execution, oldest first."""
        return list(
            self.session.scalars(
                select(ActionExecution)
                .where(ActionExecution.execution_pk == ex.id)
                .order_by(ActionExecution.id)
            )
        )

    def succeeded_in(self, ex: PipelineExecution, stage_name: str) -> bool:
        """Whether the execution's run of a stage succeeded."""
        return (
            self.session.scalars(
                select(StageExecution.id).where(
                    StageExecution.execution_pk == ex.id,
                    StageExecution.stage_name == stage_name,
                    StageExecution.status == "Succeeded",
                )
            ).first()
            is not None
        )

    def latest_stage_run(self, pipeline: Pipeline, stage_name: str) -> StageExecution | None:
        """The newest run of a stage by any execution."""
        return self.session.scalars(
            select(StageExecution)
            .where(
                StageExecution.pipeline_pk == pipeline.id, StageExecution.stage_name == stage_name
            )
            .order_by(StageExecution.id.desc())
        ).first()
