"""Where a running server listens, recorded in its state dir for the other commands.

A server binds first (so `--port 0` has a real port to record), then writes
`<state dir>/server.json`; `airlock env` and the commands that rewrite the AWS
config file read it, so they name the address that answers rather than the
default one. A server killed outright leaves its record behind, so a record is
believed only while its process lives and its address accepts connections.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from airlock import __version__
from airlock.identity.profiles import write_private
from airlock.settings import Settings

RECORD_NAME = "server.json"
# Long enough for a loopback connect on a busy machine, short enough not to
# stall `eval "$(airlock env)"` when the recorded host is unreachable.
PROBE_TIMEOUT = 1.0


@dataclass(frozen=True)
class ServerRecord:
    """What a running server says about itself: its address and its process."""

    url: str
    host: str
    port: int
    pid: int
    started: str
    version: str


def record_path(state_dir: Path) -> Path:
    """The record's file in a state dir."""
    return state_dir / RECORD_NAME


def listen(settings: Settings) -> tuple[socket.socket, Settings]:
    """A listening socket on the settings' host and port, and the settings naming the port bound."""
    sock = socket.create_server((settings.host, settings.port))
    # Accepted connections inherit this: responses go out at once instead of
    # waiting on the client's delayed ACK (a 40 ms stall per request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock, settings.with_overrides(port=sock.getsockname()[1])


class _Terminated(Exception):
    """SIGTERM arrived: unwind (removing the record), then die of the signal after all."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


@contextmanager
def recorded(settings: Settings) -> Iterator[ServerRecord]:
    """Record this process as the state dir's server while the block runs.

    The record goes on SIGTERM too: uvicorn drains on it, then raises it again
    with the handler it found, which would end the process before any cleanup
    ran; the handler found is ours, so the process unwinds first.
    """
    record = ServerRecord(
        url=settings.endpoint_url,
        host=settings.host,
        port=settings.port,
        pid=os.getpid(),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        version=__version__,
    )
    path = record_path(settings.state_dir)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main else None
    terminated = False
    write_private(path, json.dumps(asdict(record), indent=2) + "\n")
    try:
        yield record
    except _Terminated:
        terminated = True
    finally:
        # Another server started on the same state dir since owns the record now.
        try:
            if read_record(path).pid == record.pid:
                path.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
        if main:  # None: a handler not set from Python, so the default one
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    if terminated:
        # Die of the signal, as uvicorn would have: the exit status says SIGTERM.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)


def read_record(path: Path) -> ServerRecord:
    """The record in a file; OSError when it is missing, ValueError when it is garbled."""
    data = json.loads(path.read_text())
    try:
        return ServerRecord(
            url=str(data["url"]),
            host=str(data["host"]),
            port=int(data["port"]),
            pid=int(data["pid"]),
            started=str(data["started"]),
            version=str(data.get("version", "")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError("not a server record") from error


def is_running(record: ServerRecord) -> bool:
    """Whether the recorded process lives and its address accepts a connection."""
    return _alive(record.pid) and _answers(record.url)


def recorded_settings(settings: Settings) -> tuple[Settings, str | None]:
    """The settings with the address of the state dir's running server, or why they have not.

    The second value is a warning for stderr: no record, a garbled one, or one whose
    server is gone (the settings' own address is used then).
    """
    path = record_path(settings.state_dir)
    command = f"`airlock server --state-dir {shlex.quote(str(settings.state_dir))}`"
    fallback = f"(using {settings.endpoint_url} meanwhile)"
    try:
        record = read_record(path)
    except FileNotFoundError:
        return (
            settings,
            f"warning: no server is recorded in {path}; start one with {command} {fallback}",
        )
    except (OSError, ValueError) as error:
        return settings, (
            f"warning: {path} cannot be read ({error}); start a server with {command} {fallback}"
        )
    if not is_running(record):
        return settings, (
            f"warning: the server recorded in {path} (pid {record.pid}, {record.url}) "
            f"is not running; start it with {command} {fallback}"
        )
    return settings.with_overrides(host=record.host, port=record.port), None


def _alive(pid: int) -> bool:
    if pid <= 0:  # 0 and negative numbers would signal process groups
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user
        return True
    return True


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        return False
    try:
        with socket.create_connection((parts.hostname, parts.port), PROBE_TIMEOUT) as sock:
            # With nothing listening, a loopback connect from an ephemeral port to
            # itself can succeed (TCP simultaneous open): that is no server.
            return bool(sock.getsockname() != sock.getpeername())
    except OSError:
        return False
