"""examples/multi-account/README.md: every `bash` block, in order, as one script, with the aws
CLI against a live server as the data science account's root."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import LiveServer

from .multi_account_support import EXAMPLE

BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)


def walkthrough() -> str:
    """The README's bash blocks joined into one script."""
    blocks = BLOCK.findall((EXAMPLE / "README.md").read_text())
    assert len(blocks) > 10, "the README has the walkthrough's blocks"
    return "\n".join(blocks)


def test_the_readme_walkthrough_runs(server: LiveServer, tmp_path: Path) -> None:
    access_key, secret = server.root_keys(server.first_account_id())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
        HOME=str(tmp_path),
        AWS_ENDPOINT_URL=server.url,
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_DEFAULT_REGION=server.settings.region,
        AWS_PAGER="",
    )
    script = tmp_path / "walkthrough.sh"
    script.write_text(walkthrough())
    done = subprocess.run(
        ["bash", str(script)],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    # The production endpoint ran two instances and answered with a class of iris.
    assert re.search(r"^2$", done.stdout, re.M), done.stdout[-2000:]
    assert re.search(r"^prediction: 0(\.0)?$", done.stdout, re.M), done.stdout[-2000:]
    sm = server.client("sagemaker")
    assert sm.list_projects()["ProjectSummaryList"] == []
