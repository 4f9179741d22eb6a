"""IAM fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import LiveServer


@pytest.fixture
def iam(server: LiveServer, account_id: str) -> Any:
    """IAM client of the first account's root user."""
    return server.client("iam", account_id)
