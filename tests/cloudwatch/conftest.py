"""CloudWatch tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.support import LiveServer


@pytest.fixture
def server(server_on_each_database: LiveServer) -> LiveServer:
    """This package's tests run on each database backend."""
    return server_on_each_database
