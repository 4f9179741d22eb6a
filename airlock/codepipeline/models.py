"""CodePipeline's tables: pipelines, their executions, stage executions and action executions.

Everything the engine knows about a run is in these rows, so a server killed at any moment
finds each execution where its last commit left it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Pipeline(Base):
    """A pipeline: its current declaration, the earlier versions, tags and disabled transitions."""

    __tablename__ = "codepipeline_pipelines"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    arn: Mapped[str] = mapped_column(String(512), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The declaration as GetPipeline returns it (without `version`).
    declaration: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Every version's declaration, by str(version), for GetPipeline's `version`.
    history: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # Disabled inbound transitions by stage name: {lastChangedBy, lastChangedAt, disabledReason}.
    disabled_transitions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What polling saw of each polling source action: {actionName: {revision, at}}.
    polled: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The order number the next execution gets (QUEUED and SUPERSEDED compare them).
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PipelineExecution(Base):
    """One execution: the declaration it runs, where it is, and what it produced so far."""

    __tablename__ = "codepipeline_executions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(String(36), unique=True)
    pipeline_pk: Mapped[int] = mapped_column(
        ForeignKey("codepipeline_pipelines.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    pipeline_name: Mapped[str] = mapped_column(String(100))
    pipeline_version: Mapped[int] = mapped_column(Integer)
    declaration: Mapped[dict[str, Any]] = mapped_column(JSON)
    execution_mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_summary: Mapped[str | None] = mapped_column(Text, default=None)
    seq: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[dict[str, str]] = mapped_column(JSON)
    # [{name, resolvedValue}] of the pipeline variables.
    variables: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # StartPipelineExecution's sourceRevisions, as given.
    requested_revisions: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # What the source actions produced: [{actionName, revisionId, revisionSummary, revisionUrl}].
    source_revisions: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    client_request_token: Mapped[str | None] = mapped_column(String(128), default=None)
    # The stage the execution is in or waits to enter, by index in the declaration.
    stage_index: Mapped[int] = mapped_column(Integer, default=0)
    at_entry: Mapped[bool] = mapped_column(default=True)
    # Output artifacts so far: name -> {bucket, key}.
    artifacts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Output variables so far: namespace -> {variable: value}.
    namespaces: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stop_reason: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StageExecution(Base):
    """One execution's run (or retry) of one stage."""

    __tablename__ = "codepipeline_stage_executions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_pk: Mapped[int] = mapped_column(
        ForeignKey("codepipeline_executions.id", ondelete="CASCADE"), index=True
    )
    pipeline_pk: Mapped[int] = mapped_column(Integer, index=True)
    stage_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    # FAILED_ACTIONS keeps the actions that succeeded before; ALL_ACTIONS (and a first run)
    # runs every action.
    retry_mode: Mapped[str] = mapped_column(String(16), default="ALL_ACTIONS")
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ActionExecution(Base):
    """One run of one action: its resolved input, its provider's saved state, its result."""

    __tablename__ = "codepipeline_action_executions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_execution_id: Mapped[str] = mapped_column(String(36), unique=True)
    execution_pk: Mapped[int] = mapped_column(
        ForeignKey("codepipeline_executions.id", ondelete="CASCADE"), index=True
    )
    stage_pk: Mapped[int] = mapped_column(Integer, index=True)
    pipeline_pk: Mapped[int] = mapped_column(Integer, index=True)
    stage_name: Mapped[str] = mapped_column(String(100))
    action_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # ListActionExecutions' `input`: type, configuration, resolved configuration, role,
    # region, input artifacts with their locations, namespace.
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    # [{name, s3location: {bucket, key}}] of the output artifacts.
    output_artifacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    external_execution_id: Mapped[str | None] = mapped_column(String(1500), default=None)
    external_execution_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    summary: Mapped[str | None] = mapped_column(Text, default=None)
    output_variables: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    error_code: Mapped[str | None] = mapped_column(String(128), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    # An approval's token, and when it expires.
    token: Mapped[str | None] = mapped_column(String(36), default=None)
    deadline: Mapped[datetime | None] = mapped_column(default=None)
    updated_by: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Abandoned, and the provider's `abandon` not called yet.
    abandon_pending: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
