"""Options every command shares, turned into one Settings object."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from airlock.settings import Settings, settings_from_env

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
    int | None, typer.Option("--port", help="Port to serve on [env: AIRLOCK_PORT; default 4716]")
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
