"""Running a buildspec's phases for real: INSTALL, PRE_BUILD, BUILD and POST_BUILD.

Each command runs as CodeBuild's agent runs it, as a script of its own for the chosen shell
(bash unless `env/shell` says /bin/sh), and the shell's state is carried from command to command
and from phase to phase: every script starts by sourcing the variables the previous command left
(`set -a`, so plain assignments carry as in one shell session) and going to the directory it
ended in, and an EXIT trap writes both back (`export -p`, `pwd`), also after an `exit`. A command
that reads its standard input reads /dev/null, never the next command. Version 0.1 runs every
command from the build's first state instead, as CodeBuild documents.

All processes of a build are in one process group (a holder process leads it), so a stop or a
timeout kills the whole tree with one `os.killpg`, backgrounded grandchildren included; the
group also dies when the build ends, as a CodeBuild container does. Output goes through one
pipe to `on_log`, line by line, in order with the agent's own `[Container] …` lines.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
import select
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .buildspec import Buildspec
from .environment import BuildEnvironment
from .phases import (
    BUILDSPEC_PHASES,
    FAILED,
    FINALIZING,
    INSTALL,
    STOPPED,
    SUCCEEDED,
    TIMED_OUT,
    PhaseContext,
    PhaseRecord,
    buildspec_key,
    next_phase,
)

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
COMMAND_EXECUTION_ERROR = "COMMAND_EXECUTION_ERROR"
SUCCEEDING = "CODEBUILD_BUILD_SUCCEEDING"
PR_SET_PDEATHSIG = 1
# Marks the agent's own lines in the output pipe, so a command's unfinished last line
# ("printf foo") still ends up as a line of its own before the agent's next line.
_MARK = b"\x00"
_DRAIN_SECONDS = 2.0


def container_line(text: str, when: datetime | None = None) -> str:
    """A log line as CodeBuild's agent writes it: `[Container] 2024/03/05 18:49:31.181522 …`."""
    moment = when or datetime.now(UTC)
    return f"[Container] {moment:%Y/%m/%d %H:%M:%S.%f} {text}"


def kill_process_group(pgid: int) -> None:
    """Kill a build's whole process tree (also one left by a server that died)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _die_with_parent() -> None:
    """In the child before exec: be killed when the server dies (no orphaned builds)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


_SETPRIV = shutil.which("setpriv", path=os.defpath + ":/usr/bin:/bin")


def _spawn(argv: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """Start a build process that is killed when the server dies (no orphaned builds).

    util-linux's `setpriv --pdeathsig` sets that up in the child. Python's own way, a
    `preexec_fn`, makes subprocess fork the whole server where it could vfork, and that
    fork of a large, threaded process cost a build 50 to 500 ms per process on a busy
    machine; the preexec_fn is the fallback where setpriv is missing.
    """
    if _SETPRIV is not None:
        return subprocess.Popen([_SETPRIV, "--pdeathsig", "KILL", "--", *argv], **options)
    return subprocess.Popen(argv, preexec_fn=_die_with_parent, **options)


def _reason(returncode: int) -> str:
    """How a command ended, in the words of CodeBuild's (Go) agent: `exit status 2`."""
    if returncode >= 0:
        return f"exit status {returncode}"
    name = signal.strsignal(-returncode) or f"signal {-returncode}"
    return f"signal: {name.lower()}"


@dataclass(frozen=True)
class BuildOutcome:
    """What running the buildspec's phases came to, for the service to carry on from."""

    phases: tuple[PhaseRecord, ...]
    # UPLOAD_ARTIFACTS, or FINALIZING when an earlier failure, a stop or a timeout skips it.
    next_phase: str
    # STOPPED or TIMED_OUT when the build was cut short, else None.
    ended: str | None
    succeeding: bool
    exported_variables: Mapping[str, str]
    # Artifact names after shell expansion (`myname-$(date +%Y-%m-%d)`): None is the
    # primary artifact, other keys are secondary artifact identifiers.
    artifact_names: Mapping[str | None, str]


class BuildRunner:
    """Runs one build's buildspec phases in its environment, reporting as it goes."""

    def __init__(
        self,
        spec: Buildspec,
        environment: BuildEnvironment,
        *,
        src_dir: Path,
        variables: Mapping[str, str],
        on_log: Callable[[str], None],
        on_phase_start: Callable[[str, datetime], None] | None = None,
        on_phase_end: Callable[[PhaseRecord], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        deadline: float | None = None,
    ) -> None:
        """`variables` are the build's (CODEBUILD_*, the project's and the overrides'); they
        win over the buildspec's env/variables. `deadline` is a time.monotonic() value."""
        self.spec = spec
        self.environment = environment
        self.src_dir = src_dir
        self.variables = dict(variables)
        self.on_log = on_log
        self.on_phase_start = on_phase_start
        self.on_phase_end = on_phase_end
        self.should_stop = should_stop or (lambda: False)
        self.deadline = deadline
        self.agent = environment.root / "agent"
        self.process_group: int | None = None
        self._holder: subprocess.Popen[bytes] | None = None
        self._write_fd = -1
        self._draining = threading.Event()
        self._ended: str | None = None
        self._succeeding = True
        self._shell_name = "bash" if spec.env.shell == "bash" else "sh"
        self._shell = environment.program(self._shell_name)

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> BuildOutcome:
        """Run INSTALL to POST_BUILD as the phase transitions say; returns what came of it."""
        self.agent.mkdir(parents=True, exist_ok=True)
        read_fd, self._write_fd = os.pipe()
        reader = threading.Thread(target=self._read, args=(read_fd,), daemon=True)
        reader.start()
        records: list[PhaseRecord] = []
        following = FINALIZING
        exported: dict[str, str] = {}
        names: dict[str | None, str] = {}
        try:
            self._start_group()
            self._write_first_state()
            for line in (*self.spec.warnings, *self.environment.notes):
                self._log(line)
            if self.spec.env.git_credential_helper:
                self.environment.enable_git_credential_helper()
                self._log("Setting up git credential helper for CodeCommit")
            phase: str | None = INSTALL
            while phase in BUILDSPEC_PHASES:
                record, on_failure = self._run_phase(phase)
                records.append(record)
                if self._ended:
                    break
                assert record.status is not None
                phase = next_phase(phase, record.status, on_failure=on_failure)
            if not self._ended:
                exported, names = self._collect()
            following = FINALIZING if self._ended or phase is None else phase
        finally:
            self._end_group()
            os.close(self._write_fd)
            self._draining.set()
            reader.join()
            os.close(read_fd)
        return BuildOutcome(
            tuple(records), following, self._ended, self._succeeding, exported, names
        )

    def _start_group(self) -> None:
        # A holder leads the group for the whole build: each command joins it, and it stays
        # joinable between commands.
        path = self.environment.variables.get("PATH", os.defpath)
        sleep = shutil.which("sleep", path=path) or shutil.which("sleep", path=os.defpath)
        self._holder = _spawn(
            [sleep or "sleep", "infinity"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            process_group=0,
            env={},
        )
        self.process_group = self._holder.pid

    def _end_group(self) -> None:
        if self.process_group is not None:
            kill_process_group(self.process_group)
        if self._holder is not None:
            self._holder.wait()

    def _run_phase(self, phase: str) -> tuple[PhaseRecord, str]:
        spec = self.spec.phase(buildspec_key(phase))
        start = datetime.now(UTC)
        if self.on_phase_start is not None:
            self.on_phase_start(phase, start)
        self._log(f"Entering phase {phase}")
        if phase == INSTALL:
            for note in self.environment.runtime_notes(spec.runtime_versions):
                self._log(note)
        status = SUCCEEDED
        context = PhaseContext("", "")
        failure = self._run_commands(spec.commands, phase_failed=False)
        if failure is not None:
            status, context = self._ended or FAILED, failure
        # finally runs after a failed command too, but not after a stop or a timeout.
        if spec.finally_commands and not self._ended:
            failure = self._run_commands(spec.finally_commands, phase_failed=status == FAILED)
            if failure is not None and (self._ended or status == SUCCEEDED):
                status, context = self._ended or FAILED, failure
        if status != SUCCEEDED:
            self._succeeding = False
        self._log(f"Phase complete: {phase} State: {status}")
        self._log(f"Phase context status code: {context.status_code} Message: {context.message}")
        record = PhaseRecord(phase, start, datetime.now(UTC), status, (context,))
        if self.on_phase_end is not None:
            self.on_phase_end(record)
        return record, spec.on_failure

    def _run_commands(
        self, commands: tuple[str, ...], *, phase_failed: bool
    ) -> PhaseContext | None:
        """Run commands until one fails; its context (or the stop's), or None if all passed."""
        for command in commands:
            if self._check_ended():
                return self._ended_context()
            self._log(f"Running command {command}")
            succeeding = self._succeeding and not phase_failed
            try:
                returncode = self._run_script(self._command_script(command, succeeding))
            except OSError as error:  # the shell itself cannot be started
                self._log(f"Command did not exit successfully {command} {error}")
                return PhaseContext(
                    COMMAND_EXECUTION_ERROR,
                    f"Error while executing command: {command}. Reason: {error}",
                )
            if returncode is None:
                return self._ended_context()
            if returncode != 0:
                reason = _reason(returncode)
                self._log(f"Command did not exit successfully {command} {reason}")
                return PhaseContext(
                    COMMAND_EXECUTION_ERROR,
                    f"Error while executing command: {command}. Reason: {reason}",
                )
        return None

    def _ended_context(self) -> PhaseContext:
        if self._ended == TIMED_OUT:
            return PhaseContext("", "The build ran past its timeout; its processes were killed")
        return PhaseContext("", "The build was stopped; its processes were killed")

    def _check_ended(self) -> bool:
        if self._ended is None:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self._ended = TIMED_OUT
            elif self.should_stop():
                self._ended = STOPPED
        return self._ended is not None

    # -- shell state --------------------------------------------------------------------------

    @property
    def _state(self) -> Path:
        return self.agent / "env.sh"

    @property
    def _dir(self) -> Path:
        return self.agent / "dir"

    def _write_first_state(self) -> None:
        # Lowest to highest precedence: the environment, the buildspec, the build's variables.
        first = {**self.environment.variables, **self.spec.env.variables, **self.variables}
        first[SUCCEEDING] = "1"
        lines = [
            f"export {name}={shlex.quote(value)}\n"
            for name, value in first.items()
            if name.isidentifier() and name.isascii()
        ]
        self._state.write_text("".join(lines), encoding="utf-8")
        self._dir.write_text(str(self.src_dir), encoding="utf-8")

    def _prologue(self, succeeding: bool) -> list[str]:
        q = shlex.quote
        directory = self._dir.read_text(encoding="utf-8").rstrip("\n") or str(self.src_dir)
        return [
            "set -a",
            f". {q(str(self._state))}",
            f"{SUCCEEDING}={1 if succeeding else 0}",
            f"cd -- {q(directory)} 2>/dev/null || cd -- {q(str(self.src_dir))}",
        ]

    def _command_script(self, command: str, succeeding: bool) -> str:
        q = shlex.quote
        lines = []
        if self.spec.version != "0.1":
            # Defined before `set -a`, so the helper is not exported to the command's children.
            lines += [
                "__airlock_save_state() {",
                f"  export -p > {q(str(self.agent / 'env.next'))}",
                f"  pwd > {q(str(self.agent / 'dir.next'))}",
                "}",
                "trap __airlock_save_state EXIT",
            ]
        return "\n".join([*lines, *self._prologue(succeeding), command, ""])

    def _run_script(self, text: str) -> int | None:
        """Run one script in the build's group; its exit status, or None if the build ended."""
        if self._shell is None:
            raise FileNotFoundError(f"{self._shell_name} is not on the build environment's PATH")
        script = self.agent / "script.sh"
        script.write_text(text, encoding="utf-8")
        for stale in ("env.next", "dir.next"):
            (self.agent / stale).unlink(missing_ok=True)
        process = _spawn(
            [self._shell, str(script)],
            cwd=self.src_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._write_fd,
            stderr=self._write_fd,
            # Everything comes from the state file, so `unset` in one command sticks.
            env={},
            process_group=self.process_group,
        )
        while True:
            try:
                returncode = process.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if self._check_ended():
                    assert self.process_group is not None
                    kill_process_group(self.process_group)
                    process.wait()
                    return None
        if self.spec.version != "0.1":
            for name, target in (("env.next", self._state), ("dir.next", self._dir)):
                saved = self.agent / name
                if saved.exists():
                    os.replace(saved, target)
        return returncode

    def _collect(self) -> tuple[dict[str, str], dict[str | None, str]]:
        """After POST_BUILD: the exported variables' values, and the artifact names expanded."""
        q = shlex.quote
        exported_file = self.agent / "exported.out"
        names_file = self.agent / "names.out"
        lines = self._prologue(self._succeeding)
        lines.append(f": > {q(str(exported_file))}")
        for name in self.spec.env.exported_variables:
            lines.append(
                f'if [ "${{{name}+x}}" = x ]; then printf "%s\\0%s\\0" {name} "${name}" '
                f">> {q(str(exported_file))}; fi"
            )
        artifacts = self.spec.artifacts
        named: list[tuple[str | None, str]] = []
        if artifacts is not None:
            if artifacts.name:
                named.append((None, artifacts.name))
            named += [(key, spec.name) for key, spec in artifacts.secondary.items() if spec.name]
        lines.append(f": > {q(str(names_file))}")
        for _, name in named:
            # An unquoted here-document: the shell expands $VAR and $(…) as in a word.
            delimiter = f"AIRLOCK_{secrets.token_hex(8)}"
            lines += [f"cat >> {q(str(names_file))} <<{delimiter}", name, delimiter]
            lines.append(f"printf '\\0' >> {q(str(names_file))}")
        exported: dict[str, str] = {}
        names: dict[str | None, str] = {}
        try:
            returncode = self._run_script("\n".join([*lines, ""]))
        except OSError as error:
            self._log(f"Cannot read the exported variables and artifact names: {error}")
            return exported, names
        if returncode is None:
            return exported, names
        if exported_file.exists():
            fields = exported_file.read_bytes().decode("utf-8", "replace").split("\0")
            for i in range(0, len(fields) - 1, 2):
                exported[fields[i]] = fields[i + 1]
        if names_file.exists():
            values = names_file.read_bytes().decode("utf-8", "replace").split("\0")
            for (key, written), value in zip(named, values, strict=False):
                names[key] = value.removesuffix("\n") or written
        return exported, names

    # -- output -------------------------------------------------------------------------------

    def _log(self, text: str) -> None:
        """An agent line, through the pipe so it stays in order with the commands' output."""
        os.write(self._write_fd, _MARK + container_line(text).encode("utf-8") + b"\n")

    def _read(self, fd: int) -> None:
        buffer = b""
        drain_until: float | None = None
        while True:
            ready, _, _ = select.select([fd], [], [], POLL_SECONDS)
            if self._draining.is_set() and drain_until is None:
                drain_until = time.monotonic() + _DRAIN_SECONDS
            if not ready:
                if drain_until is not None:
                    break  # nothing left, or only a process that escaped the group holds it
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                self._emit(line)
            if drain_until is not None and time.monotonic() > drain_until:
                break
        if buffer:
            self._emit(buffer)

    def _emit(self, raw: bytes) -> None:
        pieces = raw.split(_MARK)
        if not pieces[0] and len(pieces) > 1:
            pieces = pieces[1:]
        for piece in pieces:
            try:
                self.on_log(piece.decode("utf-8", "replace"))
            except Exception:  # a failing log sink must not stall the build's output
                log.exception("build log callback failed")
