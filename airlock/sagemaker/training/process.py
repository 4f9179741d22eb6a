"""One job process, supervised: output streamed in batches, stop requests and a deadline."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

POLL_SECONDS = 0.2
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec: be killed when the server dies (no orphaned jobs)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass(frozen=True)
class Outcome:
    """How the process ended: its exit status, or why it was killed."""

    returncode: int | None
    # "shutdown" (the server is stopping), "Stopped" (asked to), "MaxRuntimeExceeded".
    killed: str | None = None


def supervise(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None,
    max_seconds: float,
    stop_requested: Callable[[], bool],
    shutdown: threading.Event,
    on_line: Callable[[str], None],
    on_batch: Callable[[list[str]], None],
) -> Outcome:
    """Run `command` to its end, or kill its whole process group when it must stop."""
    deadline = time.monotonic() + max_seconds
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(env),
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=_read, args=(process.stdout, lines, on_line), daemon=True)
    reader.start()
    killed = None
    while process.poll() is None:
        if shutdown.is_set():
            killed = "shutdown"
        elif time.monotonic() > deadline:
            killed = "MaxRuntimeExceeded"
        elif stop_requested():
            killed = "Stopped"
        if killed:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            break
        _flush(lines, on_batch)
        shutdown.wait(POLL_SECONDS)
    reader.join(timeout=10)
    process.stdout.close()
    _flush(lines, on_batch)
    return Outcome(None if killed else process.returncode, killed)


def _read(stream: IO[bytes], lines: list[str], on_line: Callable[[str], None]) -> None:
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        on_line(line)
        lines.append(line)


def _flush(lines: list[str], on_batch: Callable[[list[str]], None]) -> None:
    if lines:
        batch = lines[:]
        del lines[: len(batch)]
        on_batch(batch)
