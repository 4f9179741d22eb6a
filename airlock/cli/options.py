"""Options every command shares, turned into one Settings object."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from airlock.settings import Settings, settings_from_env

from .address import recorded_settings

StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Where Airlock keeps its data [env: AIRLOCK_STATE_DIR; default .airlock]",
    ),
]
Profile = Annotated[
    str, typer.Option("--profile", help="Profile (account) whose resources to show")
]
Host = Annotated[str | None, typer.Option("--host", help="Address to serve on [env: AIRLOCK_HOST]")]
Port = Annotated[
    int | None,
    typer.Option(
        "--port", help="Port to serve on, 0 for any free one [env: AIRLOCK_PORT; default 4716]"
    ),
]
ServerHost = Annotated[
    str | None,
    typer.Option(
        "--host",
        help="The server's address [env: AIRLOCK_HOST; default the one the running server "
        "recorded in the state dir, else 127.0.0.1]",
    ),
]
ServerPort = Annotated[
    int | None,
    typer.Option(
        "--port",
        help="The server's port [env: AIRLOCK_PORT; default the one the running server "
        "recorded in the state dir, else 4716]",
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL; default a SQLite file in the state dir [env: AIRLOCK_DATABASE_URL]",
    ),
]
Region = Annotated[
    str | None, typer.Option("--region", help="Default region [env: AIRLOCK_REGION]")
]
BlobUrl = Annotated[
    str | None,
    typer.Option(
        "--blob-url",
        help="Where object bytes live: default <state dir>/blobs, or "
        "s3://BUCKET/PREFIX?endpoint=URL&region=NAME for an S3-compatible service "
        "[env: AIRLOCK_BLOB_URL]",
    ),
]

Images = Annotated[
    Path | None,
    typer.Option(
        "--images",
        help="JSON file mapping further image URIs to local commands; default "
        "<state dir>/images.json [env: AIRLOCK_IMAGES]",
    ),
]


def make_settings(
    state_dir: Path | None,
    host: str | None = None,
    port: int | None = None,
    database_url: str | None = None,
    region: str | None = None,
    blob_url: str | None = None,
    images: Path | None = None,
) -> Settings:
    """Flags over environment variables over defaults."""
    return settings_from_env().with_overrides(
        state_dir=state_dir,
        host=host,
        port=port,
        database_url=database_url,
        region=region,
        blob_url=blob_url,
        images=images,
    )


def client_settings(
    state_dir: Path | None,
    host: str | None = None,
    port: int | None = None,
    database_url: str | None = None,
    region: str | None = None,
) -> tuple[Settings, str | None]:
    """Settings for a command that names the server's address (or writes it to the AWS config).

    The address is the flags', then `AIRLOCK_HOST`/`AIRLOCK_PORT`'s, then the one the
    state dir's running server recorded, then the default; the second value is a
    warning when no running server is recorded (and the defaults are used).
    """
    settings = make_settings(state_dir, host, port, database_url, region)
    named = host is not None or port is not None
    if named or os.environ.get("AIRLOCK_HOST") or os.environ.get("AIRLOCK_PORT"):
        return settings, None
    return recorded_settings(settings)
