"""Running builds: each IN_PROGRESS build in a thread of the server, phases written as they change.

A build is taken up once. If the server dies while it runs, the next start finds it taken up
already and ends it FAULT (its process group, if still alive, is killed): CodeBuild never runs
a build twice on its own, and neither does Airlock.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from airlock.core.api import WAKE_WORKERS
from airlock.logs.service import LogsService
from airlock.platform.loop import ThreadPerItem
from airlock.s3.access import ObjectAccess, ObjectAccessError, S3Url
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from .artifacts import ArtifactError, select_files, write_zip
from .buildspec import (
    ArtifactSpec,
    Buildspec,
    BuildspecError,
    load_buildspec_file,
    parse_buildspec,
)
from .environment import BuildEnvironment, create_build_environment
from .events import emit_phase_change, emit_state_change
from .gitsource import GitCloner, GitSourceError, read_clone_ref
from .models import Build
from .operations import log_names
from .phases import (
    COMPLETED,
    DOWNLOAD_SOURCE,
    FAILED,
    FAULT,
    FINALIZING,
    IN_PROGRESS,
    PROVISIONING,
    QUEUED,
    STOPPED,
    SUBMITTED,
    SUCCEEDED,
    UPLOAD_ARTIFACTS,
    PhaseContext,
    PhaseRecord,
    build_status,
)
from .runner import BuildRunner, container_line, kill_process_group
from .service import CODEBUILD, token_digest

log = logging.getLogger("airlock.codebuild")

CLIENT_ERROR = "CLIENT_ERROR"
FLUSH_SECONDS = 0.25
CREDENTIALS_PATH = "/_airlock/codebuild/credentials/"
SHUT_DOWN = (
    "The Airlock server shut down while this build ran, and its processes were killed: start "
    "it again with RetryBuild"
)
RESTARTED = (
    "The Airlock server stopped while this build ran, and CodeBuild never runs a build twice: "
    "start it again with RetryBuild"
)


class SourceError(Exception):
    """The source cannot be downloaded: DOWNLOAD_SOURCE fails with CLIENT_ERROR."""


def _stored(record: PhaseRecord) -> dict[str, Any]:
    entry = record.to_api()
    entry["startTime"] = record.start.isoformat()
    if record.end is not None:
        entry["endTime"] = record.end.isoformat()
    return entry


def _waiters_look(session: Any) -> None:
    """Whoever waits on a build that just ended (a pipeline's build action) looks again at
    once, not at its next poll."""
    session.info[WAKE_WORKERS] = True


def append_log(platform: Any, where: tuple[str, str, str, str], lines: list[str]) -> None:
    """Lines into the build's CloudWatch Logs stream (made on first use)."""
    account, region, group, stream = where
    for attempt in range(3):
        try:
            with platform.db.write() as session:
                LogsService(session, platform.clock).append(account, region, group, stream, lines)
            return
        except IntegrityError:
            if attempt == 2:
                raise


class BuildWorker(ThreadPerItem):
    """Takes up every IN_PROGRESS build, each in a thread of its own.

    A stopping server waits for the builds to record their shutdown FAULT.
    """

    name = "airlock-codebuild"

    def __init__(self, platform: Any) -> None:
        super().__init__()
        self.platform = platform

    def due(self) -> Sequence[int]:
        with self.platform.db.read() as session:
            due: Sequence[int] = session.scalars(
                select(Build.id).where(Build.status == IN_PROGRESS)
            ).all()
        return due

    def run_item(self, item_id: int) -> None:
        run = BuildRun(self.platform, item_id, self.stopping)
        try:
            run.run()
        except Exception as error:
            log.exception("build %d crashed", item_id)
            run.fault(f"Airlock could not run the build: {type(error).__name__}: {error}")


class BuildRun:
    """One run of one build, from SUBMITTED to COMPLETED."""

    def __init__(self, platform: Any, build_id: int, shutdown: threading.Event) -> None:
        self.platform = platform
        self.id = build_id
        self.shutdown = shutdown
        self.pending: list[str] = []
        self.last_flush = time.monotonic()
        self.log_lock = threading.Lock()
        self.flush_lock = threading.Lock()

    # -- state --------------------------------------------------------------------------------

    def _update(self, change: Any) -> None:
        with self.platform.db.write() as session:
            build = session.get(Build, self.id)
            assert build is not None
            change(session, build)

    def _start_phase(self, phase: str, when: datetime | None = None) -> None:
        start = when or self.platform.clock.now()

        def change(session: Any, build: Build) -> None:
            build.phases = [*build.phases, {"phaseType": phase, "startTime": start.isoformat()}]
            build.current_phase = phase

        self._update(change)

    def _end_phase(self, record: PhaseRecord) -> None:
        def change(session: Any, build: Build) -> None:
            phases = list(build.phases)
            if phases and phases[-1]["phaseType"] == record.phase:
                phases[-1] = _stored(record)
            else:
                phases.append(_stored(record))
            build.phases = phases
            emit_phase_change(session, self.platform.clock, build, phases[-1])

        self._update(change)

    def _phase(self, phase: str, status: str, context: PhaseContext | None = None) -> PhaseRecord:
        """End the phase in progress (started by _start_phase) with this status."""
        with self.platform.db.read() as session:
            build = session.get(Build, self.id)
            assert build is not None
            start = datetime.fromisoformat(build.phases[-1]["startTime"])
        record = PhaseRecord(
            phase, start, self.platform.clock.now(), status, (context or PhaseContext("", ""),)
        )
        self._end_phase(record)
        return record

    def _stop_requested(self) -> bool:
        if self.shutdown.is_set():
            return True
        with self.platform.db.read() as session:
            build = session.get(Build, self.id)
            return build is None or build.stop_requested

    # -- logs ---------------------------------------------------------------------------------

    def _log(self, line: str) -> None:
        with self.log_lock:
            self.pending.append(line)
            due = len(self.pending) >= 200 or time.monotonic() - self.last_flush > 0.3
        if due:
            self._flush()

    def _agent(self, text: str) -> None:
        self._log(container_line(text))

    def _flush(self) -> None:
        # One flush at a time, so lines reach the stream in the order they were written.
        with self.flush_lock:
            with self.log_lock:
                lines, self.pending = self.pending, []
                self.last_flush = time.monotonic()
            if lines:
                append_log(self.platform, self.where, lines)

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> None:
        """Run the build, or end it FAULT if a server that died had taken it up already."""
        with self.platform.db.write() as session:
            build = session.get(Build, self.id)
            if build is None or build.status != IN_PROGRESS:
                return
            build.runs += 1
            restarted = build.runs > 1
            self.spec = dict(build.spec)
            self.account, self.region = build.account_id, build.region
            self.build_id, self.arn = build.build_id, build.arn
            self.number, self.initiator = build.build_number, build.initiator
            self.project = build.project_name
            self.uuid = build.build_id.rsplit(":", 1)[1]
            group, stream = log_names(build)
            self.where = (self.account, self.region, group, stream)
            pgid = build.process_group
            if not restarted:
                emit_state_change(session, self.platform.clock, build)
        if restarted:
            if pgid:
                kill_process_group(pgid)
            self.fault(RESTARTED)
            return
        self.root = (
            self.platform.settings.state_dir / "builds" / self.account / self.project / self.uuid
        )
        try:
            self._run()
        finally:
            self._flush()
            shutil.rmtree(self.root, ignore_errors=True)

    def fault(self, reason: str) -> None:
        """End the build FAULT where it stands, the phase in progress saying why."""
        now = self.platform.clock.now()

        def change(session: Any, build: Build) -> None:
            if build.status != IN_PROGRESS:
                return
            phases = list(build.phases)
            if phases and "phaseStatus" not in phases[-1]:
                start = datetime.fromisoformat(phases[-1]["startTime"])
                phases[-1] = _stored(
                    PhaseRecord(
                        phases[-1]["phaseType"], start, now, FAULT, (PhaseContext("", reason),)
                    )
                )
            elif phases and phases[-1].get("phaseStatus") == STOPPED:
                # Stopped by the shutdown, not by StopBuild: the phase says what happened.
                phases[-1] = {
                    **phases[-1],
                    "phaseStatus": FAULT,
                    "contexts": [PhaseContext("", reason).to_api()],
                }
            phases.append({"phaseType": COMPLETED, "startTime": now.isoformat()})
            build.phases = phases
            build.current_phase = COMPLETED
            build.status = FAULT
            build.ended_at = now
            build.process_group = None
            build.credentials_token_sha256 = None
            emit_state_change(session, self.platform.clock, build)
            _waiters_look(session)

        self._update(change)
        if hasattr(self, "where"):
            self._agent(f"Build ended FAULT: {reason}")
            self._flush()

    def _run(self) -> None:
        self._phase(SUBMITTED, SUCCEEDED)
        self._start_phase(QUEUED)
        self._phase(QUEUED, SUCCEEDED)
        self._start_phase(PROVISIONING)
        ended: list[str | None] = [SUCCEEDED, SUCCEEDED]
        spec: Buildspec | None = None
        environment: BuildEnvironment | None = None
        access: ObjectAccess | None = None
        try:
            principal = self._assume_role()
            access = ObjectAccess.as_principal(self.platform, principal, CODEBUILD)
            token = secrets.token_urlsafe(32)
            self._update(lambda s, b: setattr(b, "credentials_token_sha256", token_digest(token)))
            environment = create_build_environment(self.root / "env")
            self._agent("Waiting for agent ping")
            self._agent("Waiting for DOWNLOAD_SOURCE")
        except SourceError as error:
            ended.append(
                self._phase(PROVISIONING, FAILED, PhaseContext(CLIENT_ERROR, str(error))).status
            )
            self._finish(ended)
            return
        ended.append(self._phase(PROVISIONING, SUCCEEDED).status)
        self._start_phase(DOWNLOAD_SOURCE)
        src = self.root / "src"
        assert environment is not None
        try:
            resolved = self._download(access, src, self._cloner(environment, token))
            spec = self._buildspec(src)
        except SourceError as error:
            self._agent(f"Phase complete: DOWNLOAD_SOURCE State: FAILED {error}")
            ended.append(
                self._phase(DOWNLOAD_SOURCE, FAILED, PhaseContext(CLIENT_ERROR, str(error))).status
            )
            self._cleanup(environment)
            self._finish(ended)
            return
        except BuildspecError as error:
            where = f" at line {error.line}" if error.line else ""
            message = f"Phase context status code: YAML_FILE_ERROR Message: {error.message}{where}"
            self._agent(message)
            ended.append(
                self._phase(
                    DOWNLOAD_SOURCE,
                    FAILED,
                    PhaseContext("YAML_FILE_ERROR", f"{error.message}{where}"),
                ).status
            )
            self._cleanup(environment)
            self._finish(ended)
            return
        self._update(lambda s, b: setattr(b, "resolved_source_version", resolved))
        ended.append(self._phase(DOWNLOAD_SOURCE, SUCCEEDED).status)
        timeout = float(self.spec.get("timeoutInMinutes") or 60) * 60
        runner = BuildRunner(
            spec,
            environment,
            src_dir=src,
            variables=self._variables(src, resolved, token),
            on_log=self._log,
            on_phase_start=lambda phase, when: self._runner_phase_start(runner, phase, when),
            on_phase_end=self._end_phase,
            should_stop=self._stop_requested,
            deadline=time.monotonic() + timeout,
        )
        # Output streams live: lines are flushed while a quiet command runs, too.
        done = threading.Event()
        flusher = threading.Thread(target=self._flush_until, args=(done,), daemon=True)
        flusher.start()
        try:
            outcome = runner.run()
        finally:
            done.set()
            flusher.join()
        self._flush()
        if self.shutdown.is_set():
            self._cleanup(environment)
            self.fault(SHUT_DOWN)
            return
        ended += [r.status for r in outcome.phases]
        exported = [{"name": k, "value": v} for k, v in outcome.exported_variables.items()]
        self._update(lambda s, b: setattr(b, "exported_variables", exported))
        if outcome.next_phase == UPLOAD_ARTIFACTS and self.shutdown.is_set() is False:
            self._start_phase(UPLOAD_ARTIFACTS)
            status, context = self._upload(access, spec, src, outcome.artifact_names)
            ended.append(self._phase(UPLOAD_ARTIFACTS, status, context).status)
        self._cleanup(environment)
        self._finish(ended)

    def _runner_phase_start(self, runner: BuildRunner, phase: str, when: datetime) -> None:
        # The runner's process group exists once it runs phases: recorded with the phase, so a
        # restart can kill what a dead server left running.
        group = runner.process_group

        def change(session: Any, build: Build) -> None:
            build.phases = [*build.phases, {"phaseType": phase, "startTime": when.isoformat()}]
            build.current_phase = phase
            build.process_group = group

        self._update(change)

    def _flush_until(self, done: threading.Event) -> None:
        while not done.wait(FLUSH_SECONDS):
            try:
                self._flush()
            except Exception:  # a failed write is retried with the next lines
                log.exception("build log flush failed")

    def _cleanup(self, environment: BuildEnvironment | None) -> None:
        if environment is not None:
            environment.remove()

    def _finish(self, ended: list[str | None]) -> None:
        self._start_phase(FINALIZING)
        self._phase(FINALIZING, SUCCEEDED)
        now = self.platform.clock.now()
        status = build_status(ended)

        def change(session: Any, build: Build) -> None:
            build.phases = [*build.phases, {"phaseType": COMPLETED, "startTime": now.isoformat()}]
            build.current_phase = COMPLETED
            build.status = status
            build.ended_at = now
            build.process_group = None
            build.credentials_token_sha256 = None
            emit_state_change(session, self.platform.clock, build)
            _waiters_look(session)

        self._flush()
        self._update(change)

    def _assume_role(self) -> Any:
        with self.platform.db.read() as session:
            try:
                return assume_role_for_service(
                    session,
                    self.platform.clock,
                    service_principal=CODEBUILD,
                    role_arn=self.spec["serviceRole"],
                    session_name="AWSCodeBuild-" + self.build_id.rsplit(":", 1)[1],
                    source_account=self.account,
                    source_arn=self.arn,
                )
            except ServiceAccessDenied as error:
                raise SourceError(
                    f"CodeBuild could not assume the service role {self.spec['serviceRole']}: "
                    f"{error.message}"
                ) from error

    def _cloner(self, environment: BuildEnvironment, token: str) -> GitCloner | None:
        """What clones CODECOMMIT sources as the build's role (None without git)."""
        git = environment.program("git")
        if git is None:
            return None
        endpoint = self.platform.settings.endpoint_url
        uuid = self.build_id.rsplit(":", 1)[1]
        return GitCloner(
            git=git,
            home=environment.home,
            endpoint=endpoint,
            region=self.region,
            credentials={
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{endpoint}{CREDENTIALS_PATH}{uuid}",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": token,
            },
            log=self._agent,
            deadline=time.monotonic() + float(self.spec.get("timeoutInMinutes") or 60) * 60,
        )

    def _download(
        self, access: ObjectAccess | None, src: Path, cloner: GitCloner | None
    ) -> str | None:
        src.mkdir(parents=True, exist_ok=True)
        source = self.spec["source"]
        self.cloner = cloner
        resolved = self._fetch(
            access, source, self.spec.get("sourceVersion"), src, "primary source"
        )
        for extra in self.spec.get("secondarySources") or []:
            target = self.root / "src2" / extra["sourceIdentifier"]
            target.mkdir(parents=True, exist_ok=True)
            versions = {
                v["sourceIdentifier"]: v["sourceVersion"]
                for v in self.spec.get("secondarySourceVersions") or []
            }
            label = f"secondary source {extra['sourceIdentifier']}"
            self._fetch(access, extra, versions.get(extra["sourceIdentifier"]), target, label)
        return resolved

    def _fetch(
        self,
        access: ObjectAccess | None,
        source: dict[str, Any],
        version: str | None,
        target: Path,
        label: str,
    ) -> str | None:
        kind = source.get("type")
        assert access is not None
        if kind == "NO_SOURCE":
            return None
        if kind == "CODECOMMIT":
            depth = int(source.get("gitCloneDepth") or 0)
            location = str(source.get("location") or "")
            return self._git(lambda c: c.clone(location, version, depth, target, label))
        location = str(source.get("location") or "").removeprefix("s3://")
        bucket, _, key = location.partition("/")
        if not bucket or not key:
            raise SourceError(
                f"{kind} source has no input artifact location (bucket/key of a zip): {location!r}"
            )
        archive = self.root / "source.zip"
        url = S3Url(bucket, key)
        self._agent(f"Downloading source from s3://{bucket}/{key}")
        try:
            info = access.head(url)
            access.download(url, archive)
        except ObjectAccessError as error:
            raise SourceError(f"Could not download the source: {error}") from error
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(target)
        except zipfile.BadZipFile as error:
            raise SourceError(
                f"The source s3://{bucket}/{key} is not a zip file: {error}"
            ) from error
        archive.unlink(missing_ok=True)
        try:
            clone_ref = read_clone_ref(target) if kind == "CODEPIPELINE" else None
        except GitSourceError as error:
            raise SourceError(str(error)) from error
        if clone_ref is not None:
            # A CODEBUILD_CLONE_REF artifact: the build clones the commit it names, as its role.
            return self._git(lambda c: c.clone_ref(clone_ref, self.account, target, label))
        return info.version_id if info.version_id and info.version_id != "null" else None

    def _git(self, clone: Any) -> str:
        """Run a clone with this build's cloner; its failures fail DOWNLOAD_SOURCE."""
        if self.cloner is None:
            raise SourceError(
                "git is not installed on this machine, so CODECOMMIT sources cannot be cloned"
            )
        try:
            return str(clone(self.cloner))
        except GitSourceError as error:
            raise SourceError(str(error)) from error

    def _buildspec(self, src: Path) -> Buildspec:
        text = str(self.spec["source"].get("buildspec") or "")
        if not text:
            return load_buildspec_file(src / "buildspec.yml")
        # As CodeBuild reads it: one line that is no YAML mapping is a path in the source.
        if "\n" not in text.strip() and ":" not in text:
            return load_buildspec_file(src / text.strip())
        return parse_buildspec(text)

    def _variables(self, src: Path, resolved: str | None, token: str) -> dict[str, str]:
        endpoint = self.platform.settings.endpoint_url
        uuid = self.build_id.rsplit(":", 1)[1]
        variables = {
            "CODEBUILD_BUILD_ID": self.build_id,
            "CODEBUILD_BUILD_ARN": self.arn,
            "CODEBUILD_BUILD_NUMBER": str(self.number),
            "CODEBUILD_INITIATOR": self.initiator,
            "CODEBUILD_SRC_DIR": str(src),
            "CODEBUILD_SOURCE_VERSION": str(self.spec.get("sourceVersion") or ""),
            "CODEBUILD_RESOLVED_SOURCE_VERSION": resolved or "",
            "CODEBUILD_BUILD_IMAGE": str(self.spec["environment"].get("image") or ""),
            "CODEBUILD_LOG_PATH": uuid,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{endpoint}{CREDENTIALS_PATH}{uuid}",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": token,
        }
        if self.spec["source"].get("sourceIdentifier"):
            variables[f"CODEBUILD_SRC_DIR_{self.spec['source']['sourceIdentifier']}"] = str(src)
        for extra in self.spec.get("secondarySources") or []:
            identifier = extra["sourceIdentifier"]
            variables[f"CODEBUILD_SRC_DIR_{identifier}"] = str(self.root / "src2" / identifier)
        for variable in self.spec["environment"].get("environmentVariables") or []:
            variables[variable["name"]] = str(variable.get("value", ""))
        return variables

    def _upload(
        self,
        access: ObjectAccess | None,
        spec: Buildspec,
        src: Path,
        names: Any,
    ) -> tuple[str, PhaseContext | None]:
        """The primary artifact, then each secondary one the project and buildspec both name."""
        assert access is not None
        primary = self.spec.get("artifacts") or {}
        wanted: list[tuple[dict[str, Any], ArtifactSpec | None, str | None]] = [
            (primary, spec.artifacts, None)
        ]
        secondary = spec.artifacts.secondary if spec.artifacts is not None else {}
        for project_artifact in self.spec.get("secondaryArtifacts") or []:
            identifier = project_artifact.get("artifactIdentifier")
            wanted.append((project_artifact, secondary.get(identifier or ""), identifier))
        locations: dict[str | None, str] = {}
        for artifacts, selection, identifier in wanted:
            if artifacts.get("type", "NO_ARTIFACTS") == "NO_ARTIFACTS" or selection is None:
                continue
            try:
                locations[identifier] = self._upload_one(
                    access, artifacts, selection, src, names.get(identifier)
                )
            except ArtifactError as error:
                self._agent(f"Phase complete: UPLOAD_ARTIFACTS State: FAILED {error.message}")
                return FAILED, PhaseContext(error.status_code, error.message)
            except ObjectAccessError as error:
                self._agent(f"Phase complete: UPLOAD_ARTIFACTS State: FAILED {error}")
                return FAILED, PhaseContext(CLIENT_ERROR, str(error))
        stored = [{"artifactIdentifier": k, "location": v} for k, v in locations.items() if k]

        def change(session: Any, build: Build) -> None:
            build.artifacts_location = locations.get(None)
            build.secondary_artifacts = stored

        self._update(change)
        return SUCCEEDED, None

    def _upload_one(
        self,
        access: ObjectAccess,
        artifacts: dict[str, Any],
        selection: ArtifactSpec,
        src: Path,
        expanded: str | None,
    ) -> str:
        """One artifact into its bucket; its location as CodeBuild shows it."""
        location = str(artifacts.get("location") or "").removeprefix("s3://")
        bucket, _, prefix = location.partition("/")
        if not bucket:
            raise ArtifactError(
                f"The artifact {artifacts.get('artifactIdentifier') or ''} has no location: "
                "set the bucket it is uploaded to".replace("  ", " ")
            )
        name = expanded or artifacts.get("name") or self.project
        if artifacts.get("type") == "CODEPIPELINE":
            # The pipeline chose the key; the buildspec's artifact name does not move it.
            name = artifacts.get("name") or self.project
        parts = [prefix.strip("/"), str(artifacts.get("path") or "").strip("/")]
        if artifacts.get("namespaceType") == "BUILD_ID":
            parts.append(self.uuid)
        parts.append(name)
        key = "/".join(p for p in parts if p)
        files = select_files(src, selection)
        if artifacts.get("packaging") == "ZIP" or artifacts.get("type") == "CODEPIPELINE":
            archive = write_zip(files, self.root / f"artifact-{secrets.token_hex(4)}.zip")
            self._agent(f"Uploading artifact to s3://{bucket}/{key}")
            access.upload(archive, S3Url(bucket, key), "application/zip")
        else:
            self._agent(f"Uploading {len(files)} artifact files to s3://{bucket}/{key}/")
            for item in files:
                access.upload(item.source, S3Url(bucket, f"{key}/{item.name}"))
        return f"arn:aws:s3:::{bucket}/{key}"
