"""The store and the controllers, on SQLite and PostgreSQL, without HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.core.context import RequestContext, root_principal
from airlock.identity import IdentityService
from airlock.organizations import CREATE_ACCOUNT_TASK, OrganizationsService, create_account_step
from airlock.platform import Platform
from airlock.platform.blobs import open_blob_store
from airlock.platform.clock import ManualClock
from airlock.platform.db import Database, migrate
from airlock.platform.tasks import Again, Controllers, Done, Task, enqueue
from airlock.services import SERVICES
from airlock.settings import Settings


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Platform]:
    """A migrated database with controllers that only run when a test says so."""
    settings = Settings(state_dir=tmp_path, database_url=database_url, run_controllers=False)
    db = Database(settings.resolved_database_url)
    migrate(db)
    clock = ManualClock()
    platform = Platform(settings, db, clock, Controllers(db, clock), open_blob_store(settings))
    with db.write() as session:  # the seed data every start writes (AWS managed policies)
        for api in SERVICES:
            if api.bootstrap is not None:
                api.bootstrap(platform, session)
    yield platform
    db.dispose()


def ctx_for(account_id: str, platform: Platform) -> RequestContext:
    """A request context for an account's root user."""
    return RequestContext(
        request_id="test",
        account_id=account_id,
        region="us-east-1",
        principal=root_principal(account_id),
        source_ip="127.0.0.1",
        time=platform.clock.now(),
        service="organizations",
    )


def test_migrations_are_idempotent(store: Platform) -> None:
    migrate(store.db)  # a second start changes nothing and does not fail
    with store.db.read() as session:
        assert IdentityService(session, store.clock).list_accounts() == []


def test_create_account_advances_one_controller_step(store: Platform) -> None:
    store.controllers.register(
        CREATE_ACCOUNT_TASK, lambda session, task: create_account_step(store, session, task)
    )
    with store.db.write() as session:
        management = IdentityService(session, store.clock).create_account("m", "m@example.com")
        ctx = ctx_for(management.id, store)
        orgs = OrganizationsService(session, store.clock)
        orgs.create_organization(ctx, "ALL")
        request_id = orgs.request_account(
            ctx, name="staging", email="s@example.com", role_name=None, billing=None, tags=[]
        ).id

    with store.db.read() as session:
        org = OrganizationsService(session, store.clock)
        assert org.account_request(org.member_org(ctx), request_id).state == "IN_PROGRESS"

    assert store.controllers.run_once() is True
    assert store.controllers.run_once() is False  # nothing else is due

    with store.db.read() as session:
        org = OrganizationsService(session, store.clock)
        request = org.account_request(org.member_org(ctx), request_id)
        assert request.state == "SUCCEEDED"
        assert request.account_id is not None
        assert session.scalars(select(Task)).all() == []


def test_failed_step_is_retried_with_backoff_and_rolled_back(store: Platform) -> None:
    calls: list[int] = []

    def flaky(session: Session, task: Task) -> Done | Again:
        calls.append(task.attempts)
        if len(calls) == 1:
            IdentityService(session, store.clock).create_account("half", "half@example.com")
            raise RuntimeError("boom")
        return Done()

    store.controllers.register("test.flaky", flaky)
    with store.db.write() as session:
        enqueue(session, store.clock, "test.flaky", "one")
    assert store.controllers.run_once() is True
    with store.db.read() as session:
        task = session.scalars(select(Task)).one()
        assert task.attempts == 1
        assert task.last_error == "RuntimeError: boom"
        # The failed step's writes were rolled back with it.
        assert IdentityService(session, store.clock).account_by_email("half@example.com") is None
    assert store.controllers.run_once() is False  # backing off: not due yet
    assert isinstance(store.clock, ManualClock)
    store.clock.advance(timedelta(seconds=5))
    assert store.controllers.run_once() is True
    assert calls == [1, 2]
    with store.db.read() as session:
        assert session.scalars(select(Task)).all() == []


def test_commit_callbacks_wait_for_the_outer_commit(store: Platform) -> None:
    """A savepoint released inside a write (a controller step runs in one) is not a commit:
    the callbacks run once, after the outer transaction commits, and see its changes."""
    seen: list[list[str]] = []

    def accounts(session: Session) -> None:
        with store.db.read() as reader:
            seen.append([a.name for a in IdentityService(reader, store.clock).list_accounts()])

    store.db.on_commit(accounts)
    with store.db.write() as session:
        with session.begin_nested():
            IdentityService(session, store.clock).create_account("nested", "n@example.com")
        assert seen == []
    assert seen == [["nested"]]
