"""Measure S3 throughput of a large object through the `aws` CLI, and the server's memory.

Run: .venv/bin/python -m bench.s3_throughput [--size-mb 1024]
Starts `airlock server` as its own process (so its memory is its own), uploads a
file of random bytes with `aws s3 cp`, downloads it again, checks both copies are
identical and prints MB/s each way plus the server's resident memory before and
its peak (VmHWM) after. Prints figures; asserts only that the bytes round-trip.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support import file_sha256, unused_port

BIN = Path(sys.executable).parent
MB = 1024 * 1024


def _memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the server did not start within 60 s")


def main() -> None:
    """Upload and download one large object; print throughput and memory."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = unused_port()
        state = root / "state"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["PATH"] = f"{BIN}:{env['PATH']}"
        env["HOME"] = str(root / "home")
        server = subprocess.Popen(
            [str(BIN / "airlock"), "server", "--state-dir", str(state), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(f"http://127.0.0.1:{port}/", server)
            exports = subprocess.run(
                [str(BIN / "airlock"), "env", "--state-dir", str(state), "--port", str(port)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for line in exports.splitlines():
                if line.startswith("export "):
                    name, _, value = line[len("export ") :].partition("=")
                    env[name] = value.strip("'\"")
            source = root / "upload.bin"
            with source.open("wb") as handle:
                for _ in range(args.size_mb):
                    handle.write(os.urandom(MB))
            rss_before = _memory_kb(server.pid, "VmRSS")

            def aws(*words: str) -> float:
                started = time.perf_counter()
                subprocess.run(
                    [str(BIN / "aws"), *words], env=env, check=True, stdout=subprocess.DEVNULL
                )
                return time.perf_counter() - started

            aws("s3", "mb", "s3://bench")
            up = aws("s3", "cp", str(source), "s3://bench/object.bin")
            down = aws("s3", "cp", "s3://bench/object.bin", str(root / "download.bin"))
            peak = _memory_kb(server.pid, "VmHWM")
            same = file_sha256(source) == file_sha256(root / "download.bin")
        finally:
            server.terminate()
            server.wait(timeout=30)
    if not same:
        raise SystemExit("the downloaded bytes differ from the uploaded ones")
    print(f"object: {args.size_mb} MB, through `aws s3 cp` (multipart, 8 MB parts)")
    print(f"upload: {up:.1f} s, {args.size_mb / up:.0f} MB/s")
    print(f"download: {down:.1f} s, {args.size_mb / down:.0f} MB/s")
    print(f"server memory: {rss_before / 1024:.0f} MB resident before, peak {peak / 1024:.0f} MB")


if __name__ == "__main__":
    main()
