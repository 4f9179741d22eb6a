"""Settings: read once from flags and environment, then passed down explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

# 4566 (LocalStack), 5000 (Flask, moto), 8000 and 8080 (everything) are taken by
# well-known tools; 4716 is not registered to anything people run locally.
DEFAULT_PORT = 4716
DEFAULT_HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
DEFAULT_STATE_DIR = ".airlock"


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one Airlock instance."""

    state_dir: Path = Path(DEFAULT_STATE_DIR)
    database_url: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    region: str = DEFAULT_REGION
    # Run controllers (background workers) inside the server process.
    run_controllers: bool = True
    # Where object bytes live: None for `<state dir>/blobs`, or an S3-compatible
    # URL `s3://bucket/prefix?endpoint=http://host:port&region=…` (credentials from
    # the usual AWS environment).
    blob_url: str | None = None
    # A JSON file mapping further image URIs to local commands (default
    # `<state dir>/images.json`, read when a job or model names an image).
    images: Path | None = None

    @property
    def images_file(self) -> Path:
        """Where the user's image mapping is read from."""
        return self.images or self.state_dir / "images.json"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside the state dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'airlock.db').resolve()}"

    @property
    def endpoint_url(self) -> str:
        """The URL clients use to reach this instance (every place that names it asks here)."""
        # A wildcard address is where a server listens, not one a client can reach.
        host = "localhost" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:  # an IPv6 literal goes in brackets in a URL
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given fields replaced; `None` values are ignored."""
        given = {k: v for k, v in overrides.items() if v is not None}
        for name in ("state_dir", "images"):
            if name in given:
                given[name] = Path(str(given[name]))
        return replace(self, **given)  # type: ignore[arg-type]


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `AIRLOCK_*` environment variables over the defaults."""
    env = os.environ if env is None else env
    port = env.get("AIRLOCK_PORT")
    return Settings().with_overrides(
        state_dir=env.get("AIRLOCK_STATE_DIR"),
        database_url=env.get("AIRLOCK_DATABASE_URL"),
        host=env.get("AIRLOCK_HOST"),
        port=int(port) if port else None,
        region=env.get("AIRLOCK_REGION"),
        blob_url=env.get("AIRLOCK_BLOB_URL"),
        images=env.get("AIRLOCK_IMAGES"),
    )
