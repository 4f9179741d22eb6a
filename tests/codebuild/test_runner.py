"""The runner with real processes: phases, shell state, failures, exports, stops and timeouts."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from airlock.codebuild.buildspec import parse_buildspec
from airlock.codebuild.environment import BuildEnvironment, create_build_environment
from airlock.codebuild.phases import PhaseRecord
from airlock.codebuild.runner import BuildOutcome, BuildRunner, container_line
from airlock.platform.polling import wait_until


@dataclass
class Run:
    """One build's outcome with everything its callbacks saw."""

    outcome: BuildOutcome
    lines: list[str]
    started: list[str] = field(default_factory=list)
    ended: list[PhaseRecord] = field(default_factory=list)

    @property
    def output(self) -> list[str]:
        """The commands' own lines (not the agent's)."""
        return [line for line in self.lines if not line.startswith("[Container] ")]

    @property
    def agent(self) -> list[str]:
        """The agent's lines without their timestamps."""
        return [line.split(" ", 3)[3] for line in self.lines if line.startswith("[Container] ")]

    def status(self, phase: str) -> str | None:
        """The status a phase ended with (None if it did not run)."""
        return next((r.status for r in self.outcome.phases if r.phase == phase), None)


@pytest.fixture
def environment(tmp_path: Path) -> BuildEnvironment:
    return create_build_environment(tmp_path / "build")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "src"
    path.mkdir()
    return path


@pytest.fixture
def run(environment: BuildEnvironment, src: Path) -> Callable[..., Run]:
    def run_build(text: str, **options: Any) -> Run:
        lines: list[str] = []
        result = Run(BuildOutcome((), "", None, True, {}, {}), lines)

        def started(phase: str, when: datetime) -> None:
            result.started.append(phase)

        runner = BuildRunner(
            parse_buildspec(text),
            environment,
            src_dir=src,
            variables={"CODEBUILD_SRC_DIR": str(src), **options.pop("variables", {})},
            on_log=options.pop("on_log", lines.append),
            on_phase_start=started,
            on_phase_end=result.ended.append,
            **options,
        )
        result.outcome = runner.run()
        return result

    return run_build


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_phases_run_in_order_with_codebuild_log_lines(run: Callable[..., Run]) -> None:
    build = run(
        "version: 0.2\nphases:\n  install:\n    commands: [echo installing]\n"
        "  build:\n    commands:\n      - echo building\n      - echo to stderr >&2\n"
    )
    assert build.started == ["INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD"]
    assert [(r.phase, r.status) for r in build.ended] == [
        ("INSTALL", "SUCCEEDED"),
        ("PRE_BUILD", "SUCCEEDED"),
        ("BUILD", "SUCCEEDED"),
        ("POST_BUILD", "SUCCEEDED"),
    ]
    assert build.outcome.phases == tuple(build.ended)
    assert build.outcome.next_phase == "UPLOAD_ARTIFACTS"
    assert build.outcome.succeeding is True
    assert build.outcome.ended is None
    assert build.agent == [
        "Entering phase INSTALL",
        "No runtime version selected in buildspec.",
        "Running command echo installing",
        "Phase complete: INSTALL State: SUCCEEDED",
        "Phase context status code:  Message: ",
        "Entering phase PRE_BUILD",
        "Phase complete: PRE_BUILD State: SUCCEEDED",
        "Phase context status code:  Message: ",
        "Entering phase BUILD",
        "Running command echo building",
        "Running command echo to stderr >&2",
        "Phase complete: BUILD State: SUCCEEDED",
        "Phase context status code:  Message: ",
        "Entering phase POST_BUILD",
        "Phase complete: POST_BUILD State: SUCCEEDED",
        "Phase context status code:  Message: ",
    ]
    # Output comes between the agent's lines, in order.
    building = build.lines.index("building")
    assert build.lines[building - 1].endswith("Running command echo building")
    assert build.lines[building + 2] == "to stderr"
    assert all(r.end is not None and r.end >= r.start for r in build.ended)


def test_cd_and_variables_carry_across_commands_and_phases(
    run: Callable[..., Run], src: Path
) -> None:
    build = run(
        """\
version: 0.2
phases:
  install:
    commands:
      - mkdir -p work/deeper && cd work
      - export EXPORTED=one; PLAIN=two; DOOMED=three
      - cd deeper; exit 0
  pre_build:
    commands:
      - unset DOOMED
      - COUNT=1
  build:
    commands:
      - pwd
      - echo "$EXPORTED $PLAIN ${DOOMED:-unset}"
      - COUNT=$((COUNT + 1)); echo "count $COUNT"
      - sh -c 'echo "child sees $PLAIN"'
"""
    )
    assert build.output == [
        str(src / "work" / "deeper"),
        "one two unset",
        "count 2",
        "child sees two",
    ]


def test_a_failing_command_fails_its_phase_with_codebuilds_context(
    run: Callable[..., Run],
) -> None:
    build = run(
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo before\n"
        "      - ls /no/such/dir\n      - echo never\n"
        "  post_build:\n    commands:\n      - echo post $CODEBUILD_BUILD_SUCCEEDING\n"
    )
    failed = next(r for r in build.ended if r.phase == "BUILD")
    assert failed.status == "FAILED"
    assert [c.to_api() for c in failed.contexts] == [
        {
            "statusCode": "COMMAND_EXECUTION_ERROR",
            "message": "Error while executing command: ls /no/such/dir. Reason: exit status 2",
        }
    ]
    assert "Command did not exit successfully ls /no/such/dir exit status 2" in build.agent
    assert "never" not in build.output
    # BUILD failing still runs POST_BUILD, told the build is failing; then upload is attempted.
    assert build.status("POST_BUILD") == "SUCCEEDED"
    assert "post 0" in build.output
    assert build.outcome.next_phase == "UPLOAD_ARTIFACTS"
    assert build.outcome.succeeding is False


def test_codebuild_build_succeeding(run: Callable[..., Run]) -> None:
    build = run(
        """\
version: 0.2
phases:
  pre_build:
    commands: [echo pre $CODEBUILD_BUILD_SUCCEEDING]
  build:
    commands: [false]
    finally: [echo finally $CODEBUILD_BUILD_SUCCEEDING]
  post_build:
    commands: [echo post $CODEBUILD_BUILD_SUCCEEDING]
"""
    )
    assert build.output == ["pre 1", "finally 0", "post 0"]


def test_a_failed_install_skips_to_finalizing(run: Callable[..., Run]) -> None:
    build = run(
        "version: 0.2\nphases:\n  install:\n    commands: [exit 3]\n"
        "  build:\n    commands: [echo never]\n"
    )
    assert [(r.phase, r.status) for r in build.outcome.phases] == [("INSTALL", "FAILED")]
    assert build.started == ["INSTALL"]
    assert build.outcome.next_phase == "FINALIZING"
    assert build.ended[0].contexts[0].message == (
        "Error while executing command: exit 3. Reason: exit status 3"
    )


def test_on_failure_continue_goes_on_to_the_next_phase(run: Callable[..., Run]) -> None:
    build = run(
        "version: 0.2\nphases:\n  install:\n    on-failure: CONTINUE\n    commands: [false]\n"
        "  pre_build:\n    commands: [echo pre_build ran]\n"
    )
    assert build.status("INSTALL") == "FAILED"
    assert build.status("PRE_BUILD") == "SUCCEEDED"
    assert build.output == ["pre_build ran"]
    assert build.outcome.succeeding is False
    assert build.outcome.next_phase == "UPLOAD_ARTIFACTS"


def test_finally_runs_after_a_failure_and_can_fail_the_phase(run: Callable[..., Run]) -> None:
    build = run(
        "version: 0.2\nphases:\n  pre_build:\n    commands: [echo one, false, echo skipped]\n"
        "    finally: [echo cleanup one, echo cleanup two]\n"
        "  build:\n    commands: [echo fine]\n    finally: [echo failing finally; exit 4]\n"
    )
    assert build.output == ["one", "cleanup one", "cleanup two"]
    assert build.status("PRE_BUILD") == "FAILED"
    assert build.status("BUILD") is None  # PRE_BUILD failing skips to FINALIZING
    only_finally = run(
        "version: 0.2\nphases:\n  build:\n    commands: [echo fine]\n"
        "    finally: [echo failing finally; exit 4]\n"
    )
    assert only_finally.status("BUILD") == "FAILED"
    assert only_finally.ended[2].contexts[0].message == (
        "Error while executing command: echo failing finally; exit 4. Reason: exit status 4"
    )


def test_exported_variables_and_artifact_names(run: Callable[..., Run]) -> None:
    build = run(
        """\
version: 0.2
env:
  variables:
    FROM_SPEC: spec
    OVERRIDDEN: spec
  exported-variables: [IMAGE_TAG, FROM_SPEC, OVERRIDDEN, NEVER_SET, AWS_REGION, MULTI]
phases:
  build:
    commands:
      - export IMAGE_TAG=v1.2
      - MULTI="$(printf 'line one\\nline two')"
artifacts:
  files: ['**/*']
  name: app-$IMAGE_TAG-$(echo built)
  secondary-artifacts:
    docs:
      files: ['**/*']
      name: "docs \\"$FROM_SPEC\\""
    plain:
      files: ['**/*']
""",
        variables={"OVERRIDDEN": "project", "AWS_REGION": "eu-west-1"},
    )
    assert dict(build.outcome.exported_variables) == {
        "IMAGE_TAG": "v1.2",
        "FROM_SPEC": "spec",
        "OVERRIDDEN": "project",
        "MULTI": "line one\nline two",
    }
    assert dict(build.outcome.artifact_names) == {None: "app-v1.2-built", "docs": 'docs "spec"'}


def test_stop_kills_the_whole_tree_with_backgrounded_grandchildren(
    run: Callable[..., Run], src: Path
) -> None:
    stop = threading.Event()
    pid_file = src / "grandchild.pid"

    def stop_once_started() -> None:
        wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), timeout=30)
        stop.set()

    watcher = threading.Thread(target=stop_once_started)
    watcher.start()
    build = run(
        "version: 0.2\nphases:\n  build:\n    commands:\n"
        "      - (sleep 600 & echo $! > grandchild.pid; wait) &\n"
        "      - sleep 600\n    finally: [echo not after a stop]\n"
        "  post_build:\n    commands: [echo never]\n",
        should_stop=stop.is_set,
    )
    watcher.join()
    assert build.outcome.ended == "STOPPED"
    assert build.status("BUILD") == "STOPPED"
    assert build.outcome.next_phase == "FINALIZING"
    assert build.ended[-1].contexts[0].message == (
        "The build was stopped; its processes were killed"
    )
    assert "not after a stop" not in build.output
    assert build.status("POST_BUILD") is None
    grandchild = int(pid_file.read_text())
    wait_until(lambda: _gone(grandchild), timeout=10, what=f"process {grandchild} to be killed")


def test_the_deadline_times_the_build_out(run: Callable[..., Run]) -> None:
    build = run(
        "version: 0.2\nphases:\n  install:\n    commands: [sleep 600]\n",
        deadline=time.monotonic() + 0.5,
    )
    assert build.outcome.ended == "TIMED_OUT"
    assert build.status("INSTALL") == "TIMED_OUT"
    assert build.outcome.next_phase == "FINALIZING"


def test_processes_left_running_end_with_the_build(run: Callable[..., Run], src: Path) -> None:
    build = run(
        "version: 0.2\nphases:\n  build:\n    commands:\n"
        "      - nohup sleep 600 > /dev/null 2>&1 & echo $! > daemon.pid\n"
    )
    assert build.status("BUILD") == "SUCCEEDED"
    daemon = int((src / "daemon.pid").read_text())
    wait_until(lambda: _gone(daemon), timeout=10, what=f"process {daemon} to be killed")


def test_commands_read_no_input_and_partial_lines_stay_lines(run: Callable[..., Run]) -> None:
    build = run(
        "version: 0.2\nphases:\n  build:\n    commands:\n"
        "      - cat; echo cat ended\n      - printf 'no newline'\n      - echo next\n"
        "      - if read line; then echo read; else echo nothing to read; fi\n"
    )
    assert build.output == ["cat ended", "no newline", "next", "nothing to read"]
    assert "Running command cat; echo cat ended" in build.agent


def test_a_command_killed_by_a_signal(run: Callable[..., Run]) -> None:
    build = run("version: 0.2\nphases:\n  build:\n    commands: ['kill -9 $$']\n")
    assert build.ended[2].contexts[0].message == (
        "Error while executing command: kill -9 $$. Reason: signal: killed"
    )


def test_sh_is_the_shell_when_asked(run: Callable[..., Run], src: Path) -> None:
    build = run(
        "version: 0.2\nenv:\n  shell: /bin/sh\n  variables:\n    V: from spec\n"
        "phases:\n  build:\n    commands:\n      - 'echo \"bash=${BASH_VERSION:-none}\"'\n"
        '      - cd /tmp; X=1\n      - echo "$(pwd) $X $V"\n'
    )
    assert build.output == ["bash=none", "/tmp 1 from spec"]


def test_version_0_1_runs_each_command_on_its_own(run: Callable[..., Run], src: Path) -> None:
    build = run(
        "version: 0.1\nphases:\n  build:\n    commands:\n      - cd /tmp; export X=1\n"
        '      - echo "$(pwd) ${X:-unset}"\n'
    )
    assert build.output == [f"{src} unset"]


def test_the_builds_variables_win_over_the_buildspecs(run: Callable[..., Run]) -> None:
    build = run(
        "version: 0.2\nenv:\n  variables:\n    A: spec\n    B: spec\n"
        "phases:\n  build:\n    commands: ['echo \"$A $B $CODEBUILD_SRC_DIR\"']\n",
        variables={"B": "override"},
    )
    assert build.output[0].startswith("spec override /")


def test_warnings_and_runtime_notes_are_logged(run: Callable[..., Run]) -> None:
    build = run(
        "version: 0.2\ncache:\n  paths: [x]\nphases:\n  install:\n    runtime-versions:\n"
        "      python: 2.7\n"
    )
    assert (
        "cache is accepted and ignored: every Airlock build starts from a fresh environment"
        in (build.agent[0])
    )
    assert any(line.startswith("Selecting 'python' runtime version") for line in build.agent)


def test_a_failing_log_callback_does_not_stall_the_build(run: Callable[..., Run]) -> None:
    seen: list[str] = []

    def flaky(line: str) -> None:
        seen.append(line)
        if line == "boom":
            raise RuntimeError("log sink down")

    build = run(
        "version: 0.2\nphases:\n  build:\n    commands: [echo boom, echo after]\n", on_log=flaky
    )
    assert build.status("BUILD") == "SUCCEEDED"
    assert "after" in seen


def test_container_line_format() -> None:
    when = datetime(2024, 3, 5, 18, 49, 31, 181522)
    assert container_line("Entering phase BUILD", when) == (
        "[Container] 2024/03/05 18:49:31.181522 Entering phase BUILD"
    )


def test_the_server_environment_does_not_leak_into_builds(
    tmp_path: Path, src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "server-secret")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    environment = create_build_environment(tmp_path / "isolated")
    lines: list[str] = []
    BuildRunner(
        parse_buildspec(
            "version: 0.2\nphases:\n  build:\n    commands:\n"
            '      - echo "${AWS_SECRET_ACCESS_KEY:-no secret} ${PYTHONPATH:-no path} $HOME"\n'
        ),
        environment,
        src_dir=src,
        variables={},
        on_log=lines.append,
    ).run()
    assert f"no secret no path {environment.home}" in lines
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == "server-secret"


def test_a_shell_that_is_not_there_fails_the_phase(tmp_path: Path, src: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    environment = create_build_environment(tmp_path / "bare", server_env={"PATH": str(empty)})
    lines: list[str] = []
    outcome = BuildRunner(
        parse_buildspec("version: 0.2\nphases:\n  build:\n    commands: [make]\n"),
        environment,
        src_dir=src,
        variables={},
        on_log=lines.append,
    ).run()
    build = next(r for r in outcome.phases if r.phase == "BUILD")
    assert build.status == "FAILED"
    assert build.contexts[0].message == (
        "Error while executing command: make. Reason: bash is not on the build environment's PATH"
    )


def test_build_processes_die_with_the_process_that_started_them(tmp_path: Path) -> None:
    # A parent that starts a build process as the runner does, prints its pid and dies.
    pid_file = tmp_path / "pid"
    parent = (
        "import sys\n"
        "from airlock.codebuild.runner import _spawn\n"
        "child = _spawn(['sleep', '60'], process_group=0)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
    )
    subprocess.run([sys.executable, "-c", parent], check=True, timeout=60)
    pid = int(pid_file.read_text())

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie of an exited parent is reaped by init; its state says it is dead.
        with contextlib.suppress(OSError):
            return Path(f"/proc/{pid}/stat").read_text().split()[2] in ("Z", "X")
        return True

    wait_until(gone, timeout=10, what="the orphaned build process to be killed")
