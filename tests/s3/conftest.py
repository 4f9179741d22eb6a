"""S3 tests run on SQLite and on PostgreSQL (key order, JSON columns, locking differ)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import LiveServer, live_server


@pytest.fixture
def server(tmp_path: Path, database_url: str | None) -> Iterator[LiveServer]:
    """A live server on each database backend."""
    with live_server(tmp_path / "state", database_url) as live:
        yield live
