"""Settings: flags over AIRLOCK_* environment variables over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.cli.options import make_settings
from airlock.settings import settings_from_env


def test_environment_then_defaults() -> None:
    settings = settings_from_env(
        {
            "AIRLOCK_STATE_DIR": "/srv/airlock",
            "AIRLOCK_PORT": "5001",
            "AIRLOCK_BLOB_URL": "s3://blobs/x?endpoint=http://127.0.0.1:9000",
            "AIRLOCK_IMAGES": "/etc/airlock/images.json",
        }
    )
    assert settings.state_dir == Path("/srv/airlock")
    assert settings.port == 5001
    assert settings.blob_url == "s3://blobs/x?endpoint=http://127.0.0.1:9000"
    assert settings.images_file == Path("/etc/airlock/images.json")
    assert settings_from_env({"AIRLOCK_STATE_DIR": "/s"}).images_file == Path("/s/images.json")


def test_flags_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRLOCK_IMAGES", "/from/env.json")
    monkeypatch.setenv("AIRLOCK_REGION", "eu-west-1")
    settings = make_settings(Path("/state"), images=Path("/from/flag.json"))
    assert settings.images_file == Path("/from/flag.json")
    assert settings.region == "eu-west-1"
    assert settings.state_dir == Path("/state")
