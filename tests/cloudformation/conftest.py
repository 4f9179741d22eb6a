"""CloudFormation tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.support import LiveServer


@pytest.fixture
def server(server_on_each_database: LiveServer) -> LiveServer:
    """The live server, once per database."""
    return server_on_each_database
