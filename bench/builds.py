"""Measure CodeBuild from CodeCommit, and CodeCommit's git: builds, pushes, clones.

Run: .venv/bin/python -m bench.builds [--builds 20] [--runs 5]
Starts `airlock server` as its own process, then:
- build: `--builds` times, StartBuild of a project whose CODECOMMIT source holds a
  one-command buildspec (`echo hello`), to the first BatchGetBuilds that shows SUCCEEDED
  (polled every 20 ms); the source is cloned as the build's role each time (p50, p95);
- push: `--runs` times, `git push` of a new 1,000-file commit (a fresh branch each time),
  from starting git to the `CodeCommit Repository State Change` event reaching the
  HTTP endpoint behind an API destination that a rule on the default bus targets
  (also: git push's own duration);
- clone: `--runs` times, `git clone` of that repository (all branches, 1,000 files each).
git authenticates with an IAM user's HTTPS Git credentials (a credential store file in
the benchmark's own HOME); the aws CLI's credential helper adds its own start-up, printed
on its own. Prints figures; asserts only that builds succeed and events arrive.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from tests.support import process_client, server_process, service_trust, unused_port

POLL = 0.02
BUILDSPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hello\n"


def percentiles(samples: list[float]) -> str:
    """p50 and p95 of durations in seconds, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
        f"(min {ordered[0] * 1000:.0f}, max {ordered[-1] * 1000:.0f}, {len(ordered)} runs)"
    )


class Arrivals:
    """When each event (by its detail's commitId) reached the endpoint."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.changed = threading.Condition()

    def wait(self, commit: str, timeout: float = 60) -> float:
        """The arrival time of the event of `commit`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while commit not in self.times:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"the event of commit {commit} never arrived")
                self.changed.wait(left)
            return self.times[commit]


def endpoint(arrivals: Arrivals) -> ThreadingHTTPServer:
    """A local HTTP endpoint that records when each event arrives."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            now = time.perf_counter()
            commit = json.loads(body)["detail"].get("commitId", "")
            with arrivals.changed:
                arrivals.times[commit] = now
                arrivals.changed.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class GitUser:
    """git with its own HOME and an IAM user's HTTPS Git credentials in a store file."""

    def __init__(self, home: Path, url: str, user: str, password: str) -> None:
        self.home = home
        home.mkdir(parents=True)
        parts = urlsplit(url)
        (home / ".git-credentials").write_text(
            f"{parts.scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{parts.netloc}\n"
        )
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Bench\n\temail = bench@example.com\n"
            "[credential]\n\thelper = store\n[init]\n\tdefaultBranch = main\n"
        )
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }

    def run(self, cwd: Path, *args: str) -> float:
        """Run git (failing the benchmark if it fails); how long it took."""
        started = time.perf_counter()
        done = subprocess.run(["git", *args], cwd=cwd, env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"git {' '.join(args)} failed: {done.stderr}")
        return time.perf_counter() - started

    def output(self, cwd: Path, *args: str) -> str:
        """git's standard output."""
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()


def setup(state: Path, port: int, scratch: Path, hook: str) -> tuple[GitUser, str, Any]:
    """A repository, a pusher with HTTPS Git credentials, a build role and the event rule."""
    iam = process_client(state, port, "iam")
    cc = process_client(state, port, "codecommit")
    events = process_client(state, port, "events")
    url = cc.create_repository(repositoryName="bench")["repositoryMetadata"]["cloneUrlHttp"]
    iam.create_user(UserName="pusher")
    iam.put_user_policy(
        UserName="pusher",
        PolicyName="git",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "codecommit:Git*", "Resource": "*"}],
            }
        ),
    )
    credential = iam.create_service_specific_credential(
        UserName="pusher", ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    git = GitUser(
        scratch / "home", url, credential["ServiceUserName"], credential["ServicePassword"]
    )
    connection = events.create_connection(
        Name="bench",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
    )
    destination = events.create_api_destination(
        Name="bench",
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint=hook,
        HttpMethod="POST",
    )
    events.put_rule(
        Name="pushes",
        EventPattern=json.dumps(
            {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"]}
        ),
    )
    events.put_targets(
        Rule="pushes", Targets=[{"Id": "hook", "Arn": destination["ApiDestinationArn"]}]
    )
    return git, url, cc


def bench_builds(state: Path, port: int, git: GitUser, url: str, work: Path, builds: int) -> None:
    """StartBuild → SUCCEEDED for a one-command buildspec from a CODECOMMIT source."""
    iam = process_client(state, port, "iam")
    cb = process_client(state, port, "codebuild")
    role = iam.create_role(
        RoleName="build", AssumeRolePolicyDocument=service_trust("codebuild.amazonaws.com")
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="build",
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["codecommit:GitPull", "logs:*"], "Resource": "*"}
                ],
            }
        ),
    )
    git.run(work.parent, "clone", "-q", url, work.name)
    (work / "buildspec.yml").write_text(BUILDSPEC)
    git.run(work, "add", "buildspec.yml")
    git.run(work, "commit", "-q", "-m", "buildspec")
    git.run(work, "push", "-q", "origin", "HEAD:main")
    cb.create_project(
        name="bench",
        source={"type": "CODECOMMIT", "location": url},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=role,
    )
    samples: list[float] = []
    server_side: list[float] = []
    phases: dict[str, list[float]] = {}
    gaps: dict[str, list[float]] = {}
    for _ in range(builds):
        started = time.perf_counter()
        build_id = cb.start_build(projectName="bench")["build"]["id"]
        while True:
            build = cb.batch_get_builds(ids=[build_id])["builds"][0]
            if build["buildStatus"] != "IN_PROGRESS":
                break
            time.sleep(POLL)
        if build["buildStatus"] != "SUCCEEDED":
            raise SystemExit(f"build {build_id} ended {build['buildStatus']}: {build['phases']}")
        samples.append(time.perf_counter() - started)
        first, last = build["phases"][0], build["phases"][-1]
        server_side.append((last["startTime"] - first["startTime"]).total_seconds())
        for before, after in zip(build["phases"], build["phases"][1:], strict=False):
            if "endTime" in before:
                took = (after["startTime"] - before["endTime"]).total_seconds()
                gaps.setdefault(f"{before['phaseType']}→{after['phaseType']}", []).append(took)
        for phase in build["phases"]:
            if "endTime" in phase:
                took = (phase["endTime"] - phase["startTime"]).total_seconds()
                phases.setdefault(phase["phaseType"], []).append(took)
    print(f"StartBuild → SUCCEEDED, CODECOMMIT source, one command: {percentiles(samples)}")
    print(f"  SUBMITTED → COMPLETED as the build records it:          {percentiles(server_side)}")
    print(
        "  phase medians: "
        + ", ".join(
            f"{name} {statistics.median(values) * 1000:.0f} ms" for name, values in phases.items()
        )
    )
    print(
        "  between phases (medians): "
        + ", ".join(f"{name} {statistics.median(v) * 1000:.0f} ms" for name, v in gaps.items())
    )


def bench_push_and_clone(
    git: GitUser, url: str, work: Path, arrivals: Arrivals, runs: int, scratch: Path
) -> None:
    """git push of a 1,000-file commit → the state-change event; then git clone."""
    to_event, pushing = [], []
    for run in range(runs):
        git.run(work, "checkout", "-q", "-B", f"files-{run}", "main")
        folder = work / "files"
        folder.mkdir(exist_ok=True)
        for index in range(1000):
            (folder / f"f{index:04d}.txt").write_text(f"run {run} file {index}\n" * 4)
        git.run(work, "add", "files")
        git.run(work, "commit", "-q", "-m", f"1000 files, run {run}")
        commit = git.output(work, "rev-parse", "HEAD")
        started = time.perf_counter()
        pushing.append(git.run(work, "push", "-q", "origin", f"files-{run}"))
        to_event.append(arrivals.wait(commit) - started)
    print(f"git push of a 1,000-file commit → event at the rule's target: {percentiles(to_event)}")
    print(f"  git push itself:                                          {percentiles(pushing)}")
    clones = []
    for run in range(runs):
        clones.append(git.run(scratch, "clone", "-q", url, f"clone-{run}"))
    print(f"git clone of the repository ({runs} branches of 1,000 files): {percentiles(clones)}")


def helper_cost(runs: int) -> None:
    """What the aws CLI's credential helper costs per git command that authenticates."""
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            ["aws", "codecommit", "credential-helper", "--ignore-host-check", "get"],
            input="protocol=http\nhost=127.0.0.1\npath=v1/repos/bench\n\n",
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(time.perf_counter() - started)
    print(f"aws codecommit credential-helper get (per git command):     {percentiles(samples)}")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    arrivals = Arrivals()
    hook = endpoint(arrivals)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        state = scratch / "state"
        port = unused_port()
        with server_process(state, port):
            git, url, _ = setup(state, port, scratch, f"http://127.0.0.1:{hook.server_port}/")
            work = git.home / "bench"
            bench_builds(state, port, git, url, work, args.builds)
            bench_push_and_clone(git, url, work, arrivals, args.runs, scratch)
        helper_cost(args.runs)
    hook.shutdown()


if __name__ == "__main__":
    main()
