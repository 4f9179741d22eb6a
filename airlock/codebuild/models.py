"""CodeBuild's tables: build projects and their builds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class BuildProject(Base):
    """A build project: its definition as CodeBuild shows it, and its build counter."""

    __tablename__ = "codebuild_projects"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    arn: Mapped[str] = mapped_column(String(512), unique=True)
    # The project's members as BatchGetProjects returns them (without the times and ARN).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The number the next build gets (CODEBUILD_BUILD_NUMBER counts from 1 per project).
    next_build_number: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class Build(Base):
    """One build: what it runs (resolved from the project and the overrides), and how it went."""

    __tablename__ = "codebuild_builds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    project_name: Mapped[str] = mapped_column(String(255), index=True)
    # `<project>:<uuid>`, the build id CodeBuild shows.
    build_id: Mapped[str] = mapped_column(String(300), unique=True)
    arn: Mapped[str] = mapped_column(String(600), unique=True)
    build_number: Mapped[int] = mapped_column(Integer)
    # Source, environment, artifacts, buildspec, role, timeouts and variables for this build.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    current_phase: Mapped[str] = mapped_column(String(32))
    phases: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    initiator: Mapped[str] = mapped_column(String(1024))
    exported_variables: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    resolved_source_version: Mapped[str | None] = mapped_column(String(256), default=None)
    artifacts_location: Mapped[str | None] = mapped_column(String(2048), default=None)
    # [{artifactIdentifier, location}] of the secondary artifacts uploaded.
    secondary_artifacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    stop_requested: Mapped[bool] = mapped_column(default=False)
    # How many times a runner took the build up: a second time means the server died while it
    # ran, and the build ends FAULT instead of running again.
    runs: Mapped[int] = mapped_column(Integer, default=0)
    # The process group of the running build's commands, killed if the server died.
    process_group: Mapped[int | None] = mapped_column(Integer, default=None)
    # SHA-256 of the token the build presents to the container credentials endpoint.
    credentials_token_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
