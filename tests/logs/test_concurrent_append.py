"""Two writers making the same log group at once (PostgreSQL: SQLite serializes writers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from airlock.identity import IdentityService
from airlock.logs.models import LogEvent, LogGroup
from airlock.logs.service import LogsService
from airlock.platform import Platform
from airlock.platform.blobs import open_blob_store
from airlock.platform.clock import ManualClock
from airlock.platform.db import Database, migrate
from airlock.platform.tasks import Controllers
from airlock.sagemaker.training.runner import append_log
from airlock.settings import Settings
from tests.support import postgres_schema

GROUP = "/aws/sagemaker/TrainingJobs"
ACCOUNT = "111111111111"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with postgres_schema() as url:
        settings = Settings(state_dir=tmp_path, database_url=url, run_controllers=False)
        db = Database(settings.resolved_database_url)
        migrate(db)
        clock = ManualClock()
        with db.write() as session:
            IdentityService(session, clock).create_account("jobs", "jobs@example.com", ACCOUNT)
        yield Platform(settings, db, clock, Controllers(db, clock), open_blob_store(settings))
        db.dispose()


@pytest.mark.postgres
def test_a_group_made_between_lookup_and_insert_is_retried(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked = LogsService._group
    raced: list[str] = []

    def lookup_then_lose_the_race(self: LogsService, *args: Any) -> LogGroup | None:
        found = looked(self, *args)
        if not raced:  # another job commits the same group right after this lookup
            raced.append("other")
            with platform.db.write() as other:
                LogsService(other, platform.clock).append(
                    ACCOUNT, "us-east-1", GROUP, "other-job", ["other"]
                )
        return found

    monkeypatch.setattr(LogsService, "_group", lookup_then_lose_the_race)
    append_log(platform, ACCOUNT, "us-east-1", GROUP, "this-job", ["mine"])

    with platform.db.read() as session:
        groups = session.scalars(select(LogGroup).where(LogGroup.name == GROUP)).all()
        assert len(groups) == 1
        messages = sorted(session.scalars(select(LogEvent.message)).all())
    assert raced == ["other"]
    assert messages == ["mine", "other"]
