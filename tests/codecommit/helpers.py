"""What CodeCommit tests share: errors, a repository with commits, its directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


def refused(call: Any, **params: Any) -> tuple[str, str]:
    """The error code and message a call is refused with."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error
    return str(error["Code"]), str(error["Message"])


def seeded(cc: Any, name: str = "demo", files: dict[str, bytes] | None = None) -> str:
    """A repository whose main branch holds `files` (or a README); the head commit's id."""
    cc.create_repository(repositoryName=name)
    entries = files or {"README.md": b"# demo\n"}
    out = cc.create_commit(
        repositoryName=name,
        branchName="main",
        putFiles=[{"filePath": k, "fileContent": v} for k, v in entries.items()],
        commitMessage="seed",
        authorName="Seeder",
        email="seed@example.com",
    )
    return str(out["commitId"])


def repository_dir(server: LiveServer, cc: Any, name: str) -> Path:
    """The repository's bare directory under the server's state dir."""
    meta = cc.get_repository(repositoryName=name)["repositoryMetadata"]
    return Path(
        server.settings.state_dir.resolve()
        / "codecommit"
        / meta["accountId"]
        / server.settings.region
        / f"{meta['repositoryId']}.git"
    )
