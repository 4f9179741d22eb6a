"""What the multi-account crash test adds to the example's helpers: the example's story
driven against a server process (killed with SIGKILL and started again on the same store),
and seed code whose builds wait at a gate the test opens, so a kill lands in a build."""

from __future__ import annotations

import configparser
import io
import signal
import subprocess
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from airlock.settings import Settings
from tests.support import LiveServer, RestartableServer, wait_for

from .multi_account_support import seed_zip

# The first command of each build phase: wait until the test opens the build's gate (a file
# named after the build's id, less its project name).
GATE = 'while [ ! -f "{gates}/${{CODEBUILD_BUILD_ID#*:}}" ]; do sleep 0.1; done'


class ProcessServer(LiveServer):
    """The example's helpers take a LiveServer; this one is a RestartableServer's process,
    reached as any AWS client would, with the accounts' keys from the state dir's profiles.

    It does not start an in-process server (LiveServer.__init__ is not called): only the
    client side of LiveServer is used.
    """

    def __init__(self, harness: RestartableServer) -> None:
        self.harness = harness
        self.settings = Settings(
            state_dir=harness.state, database_url=harness.database_url, port=harness.port
        )
        self._stack = ExitStack()
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self) -> None:
        """Start the server process on the store."""
        assert self.process is None, "the server already runs"
        self.process = self._stack.enter_context(self.harness.running())

    def kill(self) -> None:
        """SIGKILL the process: nothing of it runs its shutdown."""
        assert self.process is not None, "the server does not run"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None
        self._stack.close()
        self._stack = ExitStack()

    def restart(self) -> None:
        """Kill the process and start another on the same store and port."""
        self.kill()
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        """Stop the process (terminated, as at the end of any test)."""
        self._stack.close()
        self.process = None

    def _profiles(self) -> dict[str, tuple[str, str]]:
        """Account id -> its root keys, from the config and credentials files the server
        writes in its state dir (one profile per account)."""
        folder = self.harness.state / "aws"
        credentials = configparser.ConfigParser(interpolation=None)
        credentials.read(folder / "credentials")
        found: dict[str, tuple[str, str]] = {}
        name = ""
        for line in (folder / "config").read_text().splitlines():
            if line.startswith("["):
                name = line.strip("[]").removeprefix("profile ")
            elif line.startswith("# account "):
                keys = credentials[name]
                pair = (keys["aws_access_key_id"], keys["aws_secret_access_key"])
                found.setdefault(line.removeprefix("# account ").strip(), pair)
        return found

    def root_keys(self, account_id: str) -> tuple[str, str]:
        """The root keys of an account (its profile's)."""
        # The server rewrites the files after the commit that made the account.
        return wait_for(
            lambda: self._profiles().get(account_id), what=f"a profile for account {account_id}"
        )

    def first_account_id(self) -> str:
        """The account created on first start (the default profile's)."""
        account: str = self.harness.client("sts").get_caller_identity()["Account"]
        return account

    def create_account(self, name: str, email: str | None = None) -> str:
        """Not available on a process: accounts come from Organizations here."""
        raise NotImplementedError("create accounts with Organizations on a server process")


def gated_seed_zip(gates: Path) -> bytes:
    """The example's seed code with each buildspec's build phase starting at a gate."""
    source = zipfile.ZipFile(io.BytesIO(seed_zip()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("buildspec.yml"):
                text = data.decode()
                marker = "  build:\n    commands:\n"
                assert marker in text, f"{item.filename} has no build commands"
                gate = GATE.format(gates=gates)
                text = text.replace(marker, f"{marker}      - '{gate}'\n", 1)
                data = text.encode()
            archive.writestr(item, data)
    return buffer.getvalue()


def open_gate(gates: Path, build_id: str) -> None:
    """Let a waiting build go on."""
    gates.mkdir(parents=True, exist_ok=True)
    (gates / build_id.split(":", 1)[1]).write_text("go")


def stack_set_operations(cfn: Any, name: str) -> list[dict[str, Any]]:
    """The stack set's operations (none while it does not exist yet)."""
    try:
        found = cfn.list_stack_set_operations(StackSetName=name)["Summaries"]
    except cfn.exceptions.StackSetNotFoundException:
        return []
    return list(found)
