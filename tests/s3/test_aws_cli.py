"""`aws s3` (cp, sync, ls) against Airlock, and objects surviving a restart."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.support import LiveServer, aws_cli, file_sha256, live_server

BIN = Path(sys.executable).parent
MB = 1024 * 1024


def aws(server: LiveServer, home: Path, *args: str) -> str:
    """Run the aws CLI with the first account's root keys; its output."""
    result = aws_cli(server, home, *args)
    assert result.returncode == 0, f"aws {' '.join(args)}: {result.stderr}"
    return result.stdout


def test_cp_100mb_sync_ls_and_restart(tmp_path: Path) -> None:
    big = tmp_path / "train.bin"
    with big.open("wb") as handle:
        for _ in range(100):
            handle.write(os.urandom(MB))
    folder = tmp_path / "project"
    for name in ("code/train.py", "code/lib/util.py", "data/iris.csv", "README.md"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"contents of {name}\n")
    home = tmp_path / "home"
    state = tmp_path / "state"
    with live_server(state) as server:
        aws(server, home, "s3", "mb", "s3://ml-data")
        aws(server, home, "s3", "cp", str(big), "s3://ml-data/big/train.bin")
        head = server.client("s3").head_object(Bucket="ml-data", Key="big/train.bin")
        assert head["ContentLength"] == 100 * MB
        assert head["ETag"].endswith('-13"'), "100 MB goes up in 8 MB parts"
        aws(server, home, "s3", "cp", "s3://ml-data/big/train.bin", str(tmp_path / "down.bin"))
        assert file_sha256(tmp_path / "down.bin") == file_sha256(big)
        out = aws(server, home, "s3", "sync", str(folder), "s3://ml-data/project")
        assert out.count("upload:") == 4
        again = aws(server, home, "s3", "sync", str(folder), "s3://ml-data/project")
        assert "upload:" not in again, "a second sync finds nothing changed"
        listing = aws(server, home, "s3", "ls", "--recursive", "s3://ml-data/")
        keys = sorted(line.split()[-1] for line in listing.splitlines())
        assert keys == [
            "big/train.bin",
            "project/README.md",
            "project/code/lib/util.py",
            "project/code/train.py",
            "project/data/iris.csv",
        ]
        top = aws(server, home, "s3", "ls", "s3://ml-data/")
        assert "PRE big/" in top and "PRE project/" in top
        aws(server, home, "s3", "sync", "s3://ml-data/project", str(tmp_path / "back"))
        assert (tmp_path / "back" / "code" / "lib" / "util.py").read_text() == (
            "contents of code/lib/util.py\n"
        )
    with live_server(state) as restarted:
        aws(restarted, home, "s3", "cp", "s3://ml-data/big/train.bin", str(tmp_path / "again.bin"))
        assert file_sha256(tmp_path / "again.bin") == file_sha256(big)
        listed = restarted.client("s3").list_objects_v2(Bucket="ml-data", Prefix="project/")
        assert listed["KeyCount"] == 4
