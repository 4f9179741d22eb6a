"""The server's address, recorded in its state dir, is what `airlock env` and aws/config name."""

from __future__ import annotations

import configparser
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from airlock.cli.address import ServerRecord, record_path, recorded_settings
from airlock.cli.main import app
from airlock.settings import Settings
from tests.support import free_socket, refusing_port, server_process, unused_port

BIN = Path(sys.executable).parent
FALLBACK = "http://127.0.0.1:4716"


def airlock_env(*args: str) -> tuple[dict[str, str], str]:
    """`airlock env ARGS`: its exports (stdout, export lines only) and its stderr."""
    result = CliRunner().invoke(app, ["env", *args])
    assert result.exit_code == 0, result.output
    exports: dict[str, str] = {}
    for line in result.stdout.splitlines():
        words = shlex.split(line)
        assert words[0] == "export" and len(words) == 2, line
        name, _, value = words[1].partition("=")
        exports[name] = value
    return exports, result.stderr


def config_endpoints(state: Path) -> set[str]:
    """The endpoint_url of every profile in the state dir's AWS config file."""
    config = configparser.ConfigParser()
    config.read(state / "aws" / "config")
    return {config[section]["endpoint_url"] for section in config.sections()}


def stale_warning(state: Path, pid: int, url: str) -> str:
    """What `airlock env` says of a record whose server is gone."""
    return (
        f"warning: the server recorded in {state / 'server.json'} (pid {pid}, {url}) is not "
        f"running; start it with `airlock server --state-dir {state}` (using {FALLBACK} "
        "meanwhile)\n"
    )


def use_exports(monkeypatch: pytest.MonkeyPatch, exports: dict[str, str]) -> None:
    """Set the variables `airlock env` printed, as `eval` would."""
    for name, value in exports.items():
        monkeypatch.setenv(name, value)


def test_env_and_the_config_name_the_port_the_server_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    port = unused_port()
    url = f"http://127.0.0.1:{port}"
    with server_process(state, port) as process:
        record = json.loads(record_path(state).read_text())
        assert (record["url"], record["port"], record["pid"]) == (url, port, process.pid)
        assert config_endpoints(state) == {url}

        exports, stderr = airlock_env("--state-dir", str(state))
        assert exports["AWS_ENDPOINT_URL"] == url
        assert stderr == ""
        use_exports(monkeypatch, exports)
        created = (
            boto3.session.Session().client("organizations").create_organization(FeatureSet="ALL")
        )
        caller = boto3.session.Session().client("sts").get_caller_identity()
        assert caller["Account"] == created["Organization"]["MasterAccountId"]
        # Without the variable, the config file's endpoint_url leads to the server too.
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        described = boto3.session.Session().client("organizations").describe_organization()
        assert described["Organization"]["Id"] == created["Organization"]["Id"]

        # Another command that rewrites the config file keeps the server's address in it.
        made = CliRunner().invoke(app, ["accounts", "create", "Extra", "--state-dir", str(state)])
        assert made.exit_code == 0, made.output
        assert config_endpoints(state) == {url}

        # Flags, and then AIRLOCK_PORT, win over the record.
        flagged, stderr = airlock_env("--state-dir", str(state), "--port", "4999")
        assert (flagged["AWS_ENDPOINT_URL"], stderr) == ("http://127.0.0.1:4999", "")
        monkeypatch.setenv("AIRLOCK_PORT", "4998")
        from_env, stderr = airlock_env("--state-dir", str(state))
        assert (from_env["AWS_ENDPOINT_URL"], stderr) == ("http://127.0.0.1:4998", "")
        monkeypatch.delenv("AIRLOCK_PORT")

    # A clean stop takes the record away; env says no server is recorded and exits 0.
    assert process.returncode == -signal.SIGTERM
    assert not record_path(state).exists()
    exports, stderr = airlock_env("--state-dir", str(state))
    assert exports["AWS_ENDPOINT_URL"] == FALLBACK
    assert stderr == (
        f"warning: no server is recorded in {state / 'server.json'}; start one with "
        f"`airlock server --state-dir {state}` (using {FALLBACK} meanwhile)\n"
    )


def test_a_killed_server_leaves_a_record_env_calls_stale(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = unused_port()
    with server_process(state, port) as process:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert json.loads(record_path(state).read_text())["pid"] == process.pid

    exports, stderr = airlock_env("--state-dir", str(state))
    assert exports["AWS_ENDPOINT_URL"] == FALLBACK
    assert stderr == stale_warning(state, process.pid, f"http://127.0.0.1:{port}")
    assert config_endpoints(state) == {FALLBACK}

    # In a shell the warning stays on stderr: eval gets export lines only.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRLOCK_"))}
    env["PATH"] = f"{BIN}:{env['PATH']}"
    script = f'eval "$(airlock env --state-dir {state})" && printf %s "$AWS_ENDPOINT_URL"'
    shell = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert (shell.returncode, shell.stdout) == (0, FALLBACK), shell.stderr
    assert shell.stderr == stale_warning(state, process.pid, f"http://127.0.0.1:{port}")

    flagged, stderr = airlock_env("--state-dir", str(state), "--host", "localhost")
    assert (flagged["AWS_ENDPOINT_URL"], stderr) == ("http://localhost:4716", "")


def test_port_zero_records_the_port_the_server_got(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    with server_process(state, 0) as process:
        record = json.loads(record_path(state).read_text())
        port = record["port"]
        assert port > 0 and record["url"] == f"http://127.0.0.1:{port}"
        assert config_endpoints(state) == {record["url"]}
        exports, stderr = airlock_env("--state-dir", str(state))
        assert (exports["AWS_ENDPOINT_URL"], stderr) == (record["url"], "")
        use_exports(monkeypatch, exports)
        assert boto3.session.Session().client("sts").get_caller_identity()["Account"]
    assert process.returncode == -signal.SIGTERM
    assert not record_path(state).exists()


def write_record(state: Path, pid: int, port: int) -> str:
    """A record in the state dir, as a server writes it; its URL."""
    state.mkdir()
    url = f"http://127.0.0.1:{port}"
    record = ServerRecord(url, "127.0.0.1", port, pid, "2026-01-01T00:00:00+00:00", "0")
    record_path(state).write_text(json.dumps(record.__dict__))
    return url


def test_a_record_is_used_while_its_process_lives_and_its_address_answers(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    with free_socket() as sock:
        port = sock.getsockname()[1]
        write_record(state, os.getpid(), port)
        settings, warning = recorded_settings(Settings(state_dir=state))
    assert (settings.endpoint_url, warning) == (f"http://127.0.0.1:{port}", None)


def test_a_record_whose_address_refuses_is_stale_though_its_pid_lives(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with refusing_port() as port:
        url = write_record(state, os.getpid(), port)
        settings, warning = recorded_settings(Settings(state_dir=state))
    assert settings.endpoint_url == FALLBACK
    assert f"{warning}\n" == stale_warning(state, os.getpid(), url)


def test_a_garbled_record_is_reported_and_ignored(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    record_path(state).write_text('{"url": "http://127.0.0.1:1"}')
    settings, warning = recorded_settings(Settings(state_dir=state))
    assert settings.endpoint_url == FALLBACK
    assert warning == (
        f"warning: {state / 'server.json'} cannot be read (not a server record); start a "
        f"server with `airlock server --state-dir {state}` (using {FALLBACK} meanwhile)"
    )


def test_the_endpoint_url_of_wildcard_and_ipv6_hosts() -> None:
    assert Settings(host="0.0.0.0", port=1).endpoint_url == "http://localhost:1"
    assert Settings(host="::", port=1).endpoint_url == "http://localhost:1"
    assert Settings(host="::1", port=1).endpoint_url == "http://[::1]:1"
