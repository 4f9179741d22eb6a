"""CODECOMMIT sources: a real `git clone` of the repository, as the build's service role.

The clone goes over Airlock's git smart HTTP (`/v1/repos/<name>`), so `codecommit:GitPull` is
IAM's decision for the role, and the trail records it, as for any other git client. For each
git command that goes to the server, fresh credentials come from the build's container
credentials endpoint (as an SDK in the build gets them), and git is handed the user name and
password that the aws CLI's `codecommit credential-helper` would make of them, as an
`Authorization` header in its environment (never its command line). That signs the same
password without the helper's start-up (most of a second) and without git's 401 round trip.
git runs with the build's own HOME and no system or global configuration, so the machine's git
settings play no part.

`sourceVersion` is what CodeBuild takes for CodeCommit: a branch, a tag, a commit id,
`refs/heads/<branch>`, `refs/tags/<tag>`, or a reference pinned to a commit
(`refs/heads/<branch>^{<commit>}`); by default the repository's default branch. A branch is
checked out as a local branch that tracks origin's; a tag or a commit leaves HEAD detached.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from airlock.auth.git_credentials import git_signature

CLONE_REF_FILE = ".airlock-clone-ref.json"
_AWS_HOST = re.compile(r"git-codecommit(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com")
_REPO_PATH = re.compile(r"/v1/repos/([^/]+?)(?:\.git)?/?")
_COMMIT = re.compile(r"[0-9a-fA-F]{7,40}")
_FULL_COMMIT = re.compile(r"[0-9a-f]{40}")
# What CodeBuild's agent says of a clone the server refused, by the HTTP status git saw.
_REFUSALS = (
    ("error: 403", "authorization failed"),
    ("error: 401", "authentication required"),
    ("Authentication failed", "authentication required"),
    ("error: 404", "repository not found"),
)


class GitSourceError(Exception):
    """The source cannot be cloned or checked out (DOWNLOAD_SOURCE fails with CLIENT_ERROR)."""


def airlock_clone_url(location: str, endpoint: str, region: str) -> str:
    """Airlock's URL of the repository a CODECOMMIT location names.

    Airlock's own cloneUrlHttp is taken as it is; AWS's
    `https://git-codecommit.<region>.amazonaws.com/v1/repos/<name>` names the repository of
    that name here. Any other host is refused: the build's credentials go to Airlock only.
    """
    parts = urlsplit(location.strip())
    match = _REPO_PATH.fullmatch(parts.path)
    if parts.scheme not in ("http", "https") or match is None:
        raise GitSourceError(
            f"The CODECOMMIT source location {location} is not a repository's HTTPS clone URL "
            "(cloneUrlHttp, .../v1/repos/<repository name>)"
        )
    name = match.group(1)
    own = urlsplit(endpoint)
    aws = _AWS_HOST.fullmatch(parts.hostname or "")
    if aws is not None:
        if aws.group(1) != region:
            raise GitSourceError(
                f"The CODECOMMIT source location {location} is a repository in region "
                f"{aws.group(1)}, but the build runs in region {region}"
            )
    elif (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
        raise GitSourceError(
            f"The CODECOMMIT source location {location} is not a repository of this Airlock "
            f"({endpoint}/v1/repos/<name>) or of CodeCommit "
            f"(https://git-codecommit.{region}.amazonaws.com/v1/repos/<name>)"
        )
    return f"{endpoint.rstrip('/')}/v1/repos/{name}"


@dataclass(frozen=True)
class CloneRef:
    """A CODEBUILD_CLONE_REF artifact: which commit of which repository to clone."""

    clone_url: str
    repository: str
    branch: str
    commit: str
    account: str
    region: str


def read_clone_ref(directory: Path) -> CloneRef | None:
    """The clone ref, if the extracted source artifact is exactly that one file."""
    entries = list(directory.iterdir())
    if [e.name for e in entries] != [CLONE_REF_FILE] or not entries[0].is_file():
        return None
    try:
        data: Any = json.loads(entries[0].read_text(encoding="utf-8"))
        ref = CloneRef(
            str(data["cloneUrlHttp"]),
            str(data["repositoryName"]),
            str(data["branch"]),
            str(data["commitId"]),
            str(data["accountId"]),
            str(data["region"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise GitSourceError(
            f"The source artifact's {CLONE_REF_FILE} is not a clone ref "
            f"(cloneUrlHttp, repositoryName, branch, commitId, accountId, region): {error}"
        ) from error
    if not _FULL_COMMIT.fullmatch(ref.commit):
        raise GitSourceError(f"The clone ref's commitId {ref.commit!r} is not a full commit id")
    return ref


class GitCloner:
    """Clones sources for one build with its git, HOME and container credentials."""

    def __init__(
        self,
        *,
        git: str,
        home: Path,
        endpoint: str,
        region: str,
        credentials: Mapping[str, str],
        log: Callable[[str], None],
        deadline: float,
    ) -> None:
        """`credentials`: the build's AWS_CONTAINER_CREDENTIALS_FULL_URI and its token."""
        self.git = git
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.log = log
        self.deadline = deadline
        self.env = {
            "HOME": str(home),
            "PATH": str(Path(git).parent),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_TERMINAL_PROMPT": "0",
            "LANG": "C",
        }
        self.config = ["-c", "advice.detachedHead=false"]
        self.url = ""

    # -- what the worker asks for -------------------------------------------------------------

    def clone(
        self, location: str, version: str | None, depth: int, target: Path, label: str
    ) -> str:
        """Clone a CODECOMMIT source into `target` at `version`; the commit checked out."""
        url = airlock_clone_url(location, self.endpoint, self.region)
        shown = version or "HEAD"
        self.log(f"Cloning {url} for {label} and source version {shown}")
        self._clone(url, depth, target, f"for {label} and source version {shown}")
        return self._checkout(target, version, depth, f"for {label} and source version {shown}")

    def clone_ref(self, ref: CloneRef, account: str, target: Path, label: str) -> str:
        """Clone what a CODEBUILD_CLONE_REF artifact names: its branch at its commit."""
        if ref.account != account:
            raise GitSourceError(
                f"The clone ref names repository {ref.repository} of account {ref.account}, but "
                f"the build's service role is of account {account}: git serves a role the "
                "repositories of its own account only"
            )
        (target / CLONE_REF_FILE).unlink()
        version = f"refs/heads/{ref.branch}^{{{ref.commit}}}"
        return self.clone(ref.clone_url, version, 0, target, label)

    # -- git ----------------------------------------------------------------------------------

    def _authorization(self) -> dict[str, str]:
        """git's environment for one command to the server, signed as the role just now."""
        request = urllib.request.Request(
            self.credentials["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
            headers={"Authorization": self.credentials["AWS_CONTAINER_AUTHORIZATION_TOKEN"]},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                issued: dict[str, str] = json.load(response)
        except (OSError, ValueError) as error:
            raise GitSourceError(
                f"The build's container credentials could not be fetched: {error}"
            ) from error
        parts = urlsplit(self.url)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        signature = git_signature(
            issued["SecretAccessKey"], stamp, self.region, parts.path, parts.netloc
        )
        user = issued["AccessKeyId"] + (f"%{issued['Token']}" if issued.get("Token") else "")
        basic = base64.b64encode(f"{user}:{stamp}Z{signature}".encode()).decode()
        # Configuration by environment (git 2.31+): not on a command line others can read.
        return {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
        }

    def _run(
        self, cwd: Path, *args: str, network: bool = False
    ) -> subprocess.CompletedProcess[str]:
        remaining = max(1.0, self.deadline - time.monotonic())
        env = {**self.env, **self._authorization()} if network else self.env
        try:
            return subprocess.run(
                [self.git, *self.config, *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=remaining,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise GitSourceError(f"git {args[0]} ran past the build's timeout") from error

    def _clone(self, url: str, depth: int, target: Path, what: str) -> None:
        args = ["clone", "--quiet", "--no-checkout", "--origin", "origin"]
        if depth > 0:
            args += ["--depth", str(depth), "--no-single-branch"]
        self.url = url
        done = self._run(target.parent, *args, url, str(target), network=True)
        if done.returncode != 0:
            raise GitSourceError(refusal(done.stderr, what))

    def _rev(self, target: Path, name: str) -> str | None:
        done = self._run(target, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}")
        return done.stdout.strip() if done.returncode == 0 else None

    def _deepen(self, target: Path, depth: int, *refspecs: str) -> None:
        """Fetch what a shallow clone left out (all history, or the refspecs given)."""
        if depth <= 0:
            return
        args = ["fetch", "--quiet", "origin", *refspecs]
        if not refspecs:
            args.insert(2, "--unshallow")
        else:
            args.insert(2, f"--depth={depth}")
        self._run(target, *args, network=True)

    def _checkout(self, target: Path, version: str | None, depth: int, what: str) -> str:
        branch, tag, commit = _parse_version(version)
        if version is None:
            head = self._run(target, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
            branch = head or None
        elif branch is None and tag is None and commit is None:
            if self._rev(target, f"refs/remotes/origin/{version}") is not None:
                branch = version
            elif self._rev(target, f"refs/tags/{version}") is not None:
                tag = version
            elif _COMMIT.fullmatch(version):
                commit = version
            else:
                raise GitSourceError(f"reference not found {what}")
        if tag is not None and self._rev(target, f"refs/tags/{tag}") is None:
            self._deepen(target, depth, f"+refs/tags/{tag}:refs/tags/{tag}")
        if commit is not None and self._rev(target, commit) is None:
            self._deepen(target, depth)
        tracked = f"refs/remotes/origin/{branch}" if branch is not None else None
        start = commit or tracked or f"refs/tags/{tag}"
        resolved = self._rev(target, start)
        if resolved is None:
            if version is None:
                raise GitSourceError(f"reference not found {what}: the repository has no commits")
            raise GitSourceError(f"reference not found {what}")
        if branch is None:
            args = ["checkout", "--quiet", "--force", "--detach", resolved]
        elif start == tracked:
            # The branch as origin has it, tracking origin's (so `git pull` and `git log` work).
            args = ["checkout", "--quiet", "--force", "-B", branch, "--track", f"origin/{branch}"]
        else:
            args = ["checkout", "--quiet", "--force", "-B", branch, resolved]
        done = self._run(target, *args)
        if done.returncode != 0:
            raise GitSourceError(f"checkout failed {what}: {_last_line(done.stderr)}")
        if branch is not None and start != tracked and self._rev(target, f"origin/{branch}"):
            self._run(target, "branch", "--quiet", f"--set-upstream-to=origin/{branch}")
        return resolved


def _parse_version(version: str | None) -> tuple[str | None, str | None, str | None]:
    """(branch, tag, commit) that a version names outright; all None for a bare name."""
    if version is None:
        return None, None, None
    ref, caret, pinned = version.partition("^{")
    commit = pinned.rstrip("}") if caret else None
    if ref.startswith("refs/heads/"):
        return ref.removeprefix("refs/heads/"), None, commit
    if ref.startswith("refs/tags/"):
        return None, ref.removeprefix("refs/tags/"), commit
    if commit is not None:
        return ref, None, commit
    return None, None, None


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def refusal(stderr: str, what: str) -> str:
    """CodeBuild's words for a failed clone, with the server's explanation after them."""
    reason = next((words for marker, words in _REFUSALS if marker in stderr), None)
    remote = " ".join(
        line.removeprefix("remote: ").strip()
        for line in stderr.splitlines()
        if line.startswith("remote: ")
    )
    if reason is None:
        return f"git clone failed {what}: {remote or _last_line(stderr)}"
    return f"{reason} {what}" + (f": {remote}" if remote else "")
