"""CloudFormation tests run on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airlock.cloudformation.stack_sets import StackSetEngine
from tests.cloudformation.sets import engine_of
from tests.support import LiveServer


@pytest.fixture
def server(server_on_each_database: LiveServer) -> LiveServer:
    """The live server, once per database."""
    return server_on_each_database


@pytest.fixture
def paused(server: LiveServer) -> Iterator[StackSetEngine]:
    """The stack set engine stopped, so operations stay where they are until resumed."""
    engine = engine_of(server)
    engine.stop()
    try:
        yield engine
    finally:
        engine.start()
