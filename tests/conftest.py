"""Fixtures shared by every test: live servers, accounts and clients."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airlock.platform.clock import ManualClock
from tests.support import LiveServer, live_server, postgres_schema


@pytest.fixture(autouse=True)
def _isolated_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the developer's own AWS configuration or credentials."""
    for name in list(__import__("os").environ):
        if name.startswith("AWS_") or (
            name.startswith("AIRLOCK_") and name != "AIRLOCK_TEST_DATABASE_URL"
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (SQLite in the state dir) or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield None
    else:
        with postgres_schema() as url:
            yield url


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A live server on SQLite in a temporary state dir."""
    with live_server(tmp_path / "state") as live:
        yield live


@pytest.fixture
def clock() -> ManualClock:
    """A server's clock that the test moves (it follows real time until then)."""
    return ManualClock()


@pytest.fixture
def clocked_server(tmp_path: Path, clock: ManualClock) -> Iterator[LiveServer]:
    """A live server on SQLite on the test's clock."""
    with live_server(tmp_path / "state", clock=clock) as live:
        yield live


@pytest.fixture
def server_on_each_database(tmp_path: Path, database_url: str | None) -> Iterator[LiveServer]:
    """A live server on SQLite, and again on PostgreSQL (for services' store tests)."""
    with live_server(tmp_path / "state", database_url) as live:
        yield live


@pytest.fixture
def region(server: LiveServer) -> str:
    """The server's default region."""
    return server.settings.region


@pytest.fixture
def account_id(server: LiveServer) -> str:
    """The first (management) account."""
    return server.first_account_id()


@pytest.fixture
def org_client(server: LiveServer, account_id: str) -> Any:
    """Organizations client of the management account."""
    return server.client("organizations", account_id)


# Conformance suites report pass counts at the end of the run: a test joins a
# suite by calling `record_property("conformance", "<suite>")`.
_CONFORMANCE: dict[str, Counter[str]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count conformance outcomes per suite."""
    suites = [value for key, value in report.user_properties if key == "conformance"]
    if not suites or (report.when != "call" and not report.skipped):
        return
    outcome = "excluded" if report.skipped else report.outcome
    _CONFORMANCE.setdefault(str(suites[0]), Counter())[outcome] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the conformance pass counts."""
    if not _CONFORMANCE:
        return
    terminalreporter.section("conformance")
    for suite in sorted(_CONFORMANCE):
        counts = _CONFORMANCE[suite]
        total = sum(counts.values())
        terminalreporter.write_line(
            f"{suite}: {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['excluded']} excluded, of {total} cases"
        )
