"""The training runner: each job as its own process, through SageMaker's statuses.

Starting (the role is assumed as sagemaker.amazonaws.com) → Downloading (channels
read from S3 with that role) → Training (the program, its output streamed to
CloudWatch Logs) → Uploading (`model.tar.gz` written with the role) → Completed;
or Failed with a FailureReason, or Stopped (StopTrainingJob, MaxRuntimeInSeconds).
A job that was running when the server died runs again from the start.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import re
import sys
import tarfile
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from airlock.logs.service import LogsService
from airlock.platform.loop import ThreadPerItem
from airlock.s3.access import ObjectAccess, ObjectAccessError, S3Url, parse_s3_url
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from . import contract
from .images import XGBOOST, Runtime, UnknownImage, hyperparameter, runtime_for
from .models import TrainingJob
from .process import Outcome, supervise

log = logging.getLogger("airlock.training")

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
POLL_SECONDS = 0.2
DEFAULT_MAX_RUNTIME = 86400
SINGLE_INSTANCE = (
    "ClientError: The built-in XGBoost algorithm trains on one instance in Airlock: set "
    "InstanceCount to 1, or use script mode, where every instance runs your program."
)
MESSAGES = {
    "Restarting": "Restarting the training job: the server stopped while it ran",
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job stopped: MaxRuntimeInSeconds was reached",
}
# The built-in algorithm's per-round line: [3]#011train-merror:0.02#011validation-merror:0.04
_ROUND = re.compile(r"^\[\d+\](?:#011|\t)(.*)$")


class JobFailure(Exception):
    """The job cannot go on; the message is its FailureReason."""


class Interrupted(Exception):
    """The server is stopping: the job stays InProgress and runs again on the next start."""


class Stopped(Exception):
    """The job was stopped (`secondary` says why)."""

    def __init__(self, secondary: str) -> None:
        super().__init__(secondary)
        self.secondary = secondary


def missing_requirements(path: Path) -> list[str]:
    """Requirements (by name) this Python environment lacks; a missing file lacks nothing."""
    if not path.is_file():
        return []
    missing = []
    for line in path.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        name = re.split(r"[\s\[<>=!~;@]", text, maxsplit=1)[0]
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def metrics_from_line(line: str, definitions: list[dict[str, str]]) -> dict[str, float]:
    """Metric values a log line reports: MetricDefinitions regexes, and the built-in's rounds."""
    found: dict[str, float] = {}
    for definition in definitions:
        match = re.search(definition["Regex"], line)
        if match and match.groups():
            try:
                found[definition["Name"]] = float(match.group(1))
            except ValueError:
                continue
    rounds = _ROUND.match(line)
    if rounds:
        for item in re.split(r"#011|\t", rounds.group(1)):
            name, _, value = item.partition(":")
            data, _, metric = name.partition("-")
            try:
                found.setdefault(f"{data}:{metric}", float(value))
            except ValueError:
                continue
    return found


class JobRunner(ThreadPerItem):
    """Runs a kind of job that is InProgress (or Stopping), each in a thread of its own.

    A stopping server waits for each job to leave off (it runs again on the next start).
    """

    def __init__(self, platform: Any, model: Any, run: Any, name: str) -> None:
        super().__init__()
        self.platform = platform
        self.model = model
        self.job_run = run
        self.name = name

    def due(self) -> Sequence[int]:
        with self.platform.db.read() as session:
            due: Sequence[int] = session.scalars(
                select(self.model.id).where(self.model.status.in_(("InProgress", "Stopping")))
            ).all()
        return due

    def run_item(self, item_id: int) -> None:
        try:
            # The tick's list may predate the job's end: a run that finished after it was
            # read (and left the running set) must not start again. Its end committed
            # before it left, so this read sees it.
            with self.platform.db.read() as session:
                job = session.get(self.model, item_id)
                if job is None or job.status not in ("InProgress", "Stopping"):
                    return
            self.job_run(self.platform, item_id, self.stopping).run()
        except Exception as error:
            log.exception("%s: job %d crashed", self.name, item_id)
            self._internal_error(item_id, error)

    def _internal_error(self, job_id: int, error: Exception) -> None:
        """A job Airlock itself failed to run ends Failed with SageMaker's InternalServerError.

        (A retry policy for SageMaker.JOB_INTERNAL_ERROR runs such a step again.)
        """
        now = self.platform.clock.now()
        with self.platform.db.write() as session:
            job = session.get(self.model, job_id)
            if job is None or job.status not in ("InProgress", "Stopping"):
                return
            job.status = "Failed"
            job.failure_reason = (
                f"InternalServerError: Airlock could not run the job: {type(error).__name__}: "
                f"{error}"
            )
            job.ended_at = job.modified_at = now
            if hasattr(job, "secondary_status"):
                job.secondary_status = "Failed"


def job_access(platform: Any, role_arn: str, account: str, job_arn: str) -> ObjectAccess:
    """S3 access as the job's role, assumed by sagemaker.amazonaws.com for this job."""
    with platform.db.read() as session:
        try:
            principal = assume_role_for_service(
                session,
                platform.clock,
                service_principal="sagemaker.amazonaws.com",
                role_arn=role_arn,
                session_name="SageMaker",
                source_account=account,
                source_arn=job_arn,
            )
        except ServiceAccessDenied as error:
            raise JobFailure(
                f"ClientError: SageMaker could not assume the role {role_arn}: {error.message}"
            ) from error
    return ObjectAccess.as_principal(platform, principal, "sagemaker.amazonaws.com")


def append_log(
    platform: Any, account: str, region: str, group: str, stream: str, lines: list[str]
) -> None:
    """Lines into a job's log stream (the group and stream made on first use)."""
    for attempt in range(3):
        try:
            with platform.db.write() as session:
                LogsService(session, platform.clock).append(account, region, group, stream, lines)
            return
        except IntegrityError:
            # Another job made the same group or stream at the same moment: it exists now.
            if attempt == 2:
                raise


def training_runner(platform: Any) -> JobRunner:
    """The runner of training jobs."""
    return JobRunner(platform, TrainingJob, Job, "airlock-training")


class Job:
    """One run of one training job."""

    def __init__(self, platform: Any, job_id: int, shutdown: threading.Event) -> None:
        self.platform = platform
        self.job_id = job_id
        self.shutdown = shutdown
        with platform.db.write() as session:
            job = session.get(TrainingJob, job_id)
            assert job is not None
            job.runs += 1
            self.rerun = job.runs > 1
            self.spec = dict(job.spec)
            self.name, self.account, self.region = job.name, job.account_id, job.region
            self.stopping = job.status == "Stopping"
        self.ml = platform.settings.state_dir / "jobs" / "training" / self.account / self.name
        # One /opt/ml and one log stream per host (algo-1 is the job's own folder).
        self.hosts = contract.hosts_of(self.spec)
        self.mls = {
            host: self.ml if host == contract.HOST else self.ml.with_name(f"{self.name}.{host}")
            for host in self.hosts
        }
        epoch = int(time.time())
        self.streams = {host: f"{self.name}/{host}-{epoch}" for host in self.hosts}
        self.stream = self.streams[contract.HOST]
        self.metrics: dict[str, tuple[float, datetime]] = {}

    # Status ------------------------------------------------------------------------------

    def _transition(self, secondary: str, status: str | None = None, **changes: Any) -> None:
        now = self.platform.clock.now()
        with self.platform.db.write() as session:
            job = session.get(TrainingJob, self.job_id)
            assert job is not None
            transitions = [dict(t) for t in job.transitions]
            if transitions and "EndTime" not in transitions[-1]:
                transitions[-1]["EndTime"] = now.isoformat()
            if secondary not in ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded") or (
                not transitions or transitions[-1]["Status"] != secondary
            ):
                transitions.append(
                    {
                        "Status": secondary,
                        "StartTime": now.isoformat(),
                        "StatusMessage": MESSAGES[secondary],
                    }
                )
            if secondary in ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded"):
                transitions[-1]["EndTime"] = now.isoformat()
            job.transitions = transitions
            job.secondary_status = secondary
            if status is not None:
                job.status = status
            for key, value in changes.items():
                setattr(job, key, value)
            job.modified_at = now

    def _stop_requested(self) -> bool:
        with self.platform.db.read() as session:
            job = session.get(TrainingJob, self.job_id)
            return job is None or job.stop_requested

    # Run -----------------------------------------------------------------------------

    def run(self) -> None:
        started = self.platform.clock.now()
        try:
            if self.stopping:
                raise Stopped("Stopped")
            if self.rerun:  # the server died while the job ran: it runs again from the start
                self._transition("Restarting")
            self._transition("Starting", started_at=started)
            runtime = self._runtime()
            access = self._access()
            self._transition("Downloading")
            for host, ml in self.mls.items():
                contract.prepare(ml, self.spec, host, self.hosts)
            self._download(access)
            if runtime.script:
                self._fetch_source(access, runtime)
            self._transition("Training")
            self._train(runtime)
            self._transition("Uploading")
            artifact = self._upload(access)
            self._transition(
                "Completed",
                "Completed",
                ended_at=self.platform.clock.now(),
                model_artifacts=artifact,
                final_metrics=self._final_metrics(),
            )
        except JobFailure as failure:
            self._log([f"Training job failed: {failure}"])
            self._transition(
                "Failed",
                "Failed",
                ended_at=self.platform.clock.now(),
                failure_reason=str(failure),
                final_metrics=self._final_metrics(),
            )
        except Interrupted:
            log.info("training job %s interrupted by shutdown; it runs again on restart", self.name)
        except Stopped as stopped:
            self._transition(
                stopped.secondary,
                "Stopped",
                ended_at=self.platform.clock.now(),
                final_metrics=self._final_metrics(),
            )

    def _runtime(self) -> Runtime:
        algorithm = self.spec.get("AlgorithmSpecification") or {}
        image = algorithm.get("TrainingImage") or ""
        try:
            runtime = runtime_for(
                image, self.spec.get("HyperParameters") or {}, self.platform.settings.images_file
            )
        except UnknownImage as error:
            raise JobFailure(str(error)) from error
        if runtime == XGBOOST and len(self.hosts) > 1:
            raise JobFailure(SINGLE_INSTANCE)
        return runtime

    def _access(self) -> ObjectAccess:
        arn = f"arn:aws:sagemaker:{self.region}:{self.account}:training-job/{self.name.lower()}"
        return job_access(self.platform, self.spec["RoleArn"], self.account, arn)

    def _download(self, access: ObjectAccess) -> None:
        for channel in self.spec.get("InputDataConfig") or []:
            name = channel["ChannelName"]
            source = (channel.get("DataSource") or {}).get("S3DataSource")
            if source is None:
                raise JobFailure(f"ClientError: channel {name} has no S3DataSource.")
            mode = channel.get("InputMode") or (self.spec.get("AlgorithmSpecification") or {}).get(
                "TrainingInputMode", "File"
            )
            if mode != "File":
                raise JobFailure(f"ClientError: channel {name}: only File input mode is supported.")
            try:
                url = parse_s3_url(source["S3Uri"])
                if source.get("S3DataType", "S3Prefix") == "ManifestFile":
                    for ml in self.mls.values():
                        self._download_manifest(access, url, ml / "input" / "data" / name)
                    continue
                # ShardedByS3Key: each host gets every n-th object, as SageMaker shards.
                sharded = source.get("S3DataDistributionType") == "ShardedByS3Key"
                found = [
                    access.download_prefix(
                        url,
                        ml / "input" / "data" / name,
                        (index, len(self.hosts)) if sharded else None,
                    )
                    for index, ml in enumerate(self.mls.values())
                ]
                if not any(found):
                    raise JobFailure(
                        f'ClientError: No S3 objects found under S3 URL "{source["S3Uri"]}" '
                        f"given in input data source (channel {name})."
                    )
            except ObjectAccessError as error:
                raise JobFailure(
                    f"ClientError: Data download failed for channel {name}: {error}"
                ) from error
            except ValueError as error:
                raise JobFailure(f"ClientError: channel {name}: {error}") from error

    def _download_manifest(self, access: ObjectAccess, manifest: S3Url, target: Path) -> None:
        entries = json.loads(b"".join(access.read(manifest)))
        prefix = parse_s3_url(entries[0]["prefix"])
        for relative in entries[1:]:
            access.download(prefix.child(prefix.key + relative), target / relative)

    def _fetch_source(self, access: ObjectAccess, runtime: Runtime) -> None:
        """Script mode: the source directory into `code/`, its requirements checked."""
        code = self.ml / "code"
        if runtime.source:
            archive = self.ml / "sourcedir.tar.gz"
            try:
                access.download(parse_s3_url(runtime.source), archive)
            except (ObjectAccessError, ValueError) as error:
                raise JobFailure(
                    f"ClientError: Could not download the source directory {runtime.source}: "
                    f"{error}"
                ) from error
            for ml in self.mls.values():
                with tarfile.open(archive) as tar:
                    tar.extractall(ml / "code", filter="data")
        if not (code / str(runtime.script)).is_file():
            raise JobFailure(
                f"ClientError: The entry point {runtime.script} is not in the source directory."
            )
        missing = missing_requirements(code / "requirements.txt")
        if missing:
            raise JobFailure(
                "ClientError: requirements.txt asks for packages Airlock's Python environment "
                f"does not have ({', '.join(missing)}); Airlock does not install packages into "
                "it. Install them where Airlock runs, or remove them from requirements.txt."
            )

    def _train(self, runtime: Runtime) -> None:
        """Every host's process at once; the first to fail stops the others and the job."""
        program = runtime.command
        workdir = None
        if runtime.script:
            hyperparameters = self.spec.get("HyperParameters") or {}
            arguments = []
            for name in sorted(hyperparameters):
                if not name.startswith("sagemaker_"):
                    arguments += [f"--{name}", hyperparameter(hyperparameters, name) or ""]
            program = (sys.executable, "-u", str(runtime.script), *arguments)
            workdir = f"{contract.CONTAINER_ROOT}/code"
        etc_hosts = None
        if len(self.hosts) > 1:
            etc_hosts = contract.write_hosts_file(
                self.ml.with_name(f"{self.name}.hosts"), self.hosts
            )
        peer_failed = threading.Event()
        outcomes: dict[str, Outcome] = {}

        def run(host: str) -> None:
            outcome = self._run_host(host, runtime, program, workdir, etc_hosts, peer_failed)
            outcomes[host] = outcome
            if outcome.returncode:
                peer_failed.set()

        threads = [threading.Thread(target=run, args=(host,)) for host in self.hosts[1:]]
        for thread in threads:
            thread.start()
        run(contract.HOST)
        for thread in threads:
            thread.join()
        if any(o.killed == "shutdown" for o in outcomes.values()):
            raise Interrupted()
        for host in self.hosts:
            if outcomes[host].returncode:
                failure = self.mls[host] / "output" / "failure"
                reason = failure.read_text().strip() if failure.exists() else ""
                where = f" on {host}" if len(self.hosts) > 1 else ""
                raise JobFailure(
                    reason
                    or f"AlgorithmError: the training program exited with status "
                    f"{outcomes[host].returncode}{where}"
                )
        for outcome in outcomes.values():
            if outcome.killed is not None:
                raise Stopped(outcome.killed)

    def _run_host(
        self,
        host: str,
        runtime: Runtime,
        program: tuple[str, ...],
        workdir: str | None,
        etc_hosts: Path | None,
        peer_failed: threading.Event,
    ) -> Outcome:
        ml = self.mls[host]
        command, root = contract.command(ml, program, workdir, etc_hosts)
        if root != contract.CONTAINER_ROOT:
            self._log(
                [
                    "Airlock: private mount namespaces are refused here (unshare failed); the job "
                    f"runs with its SM_* paths under {ml} instead of /opt/ml."
                ],
                host,
            )
        env = {**os.environ, **contract.environment(root, self.spec, self.name, host, self.hosts)}
        if runtime.script:
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [f"{root}/code", os.environ.get("PYTHONPATH")])
            )
            env["SM_USER_ENTRY_POINT"] = str(runtime.script)
            env["SM_MODULE_DIR"] = runtime.source or ""
        limit = (self.spec.get("StoppingCondition") or {}).get(
            "MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME
        )
        return supervise(
            command,
            env=env,
            cwd=ml / "code" if runtime.script and root != contract.CONTAINER_ROOT else None,
            max_seconds=float(limit),
            stop_requested=lambda: peer_failed.is_set() or self._stop_requested(),
            shutdown=self.shutdown,
            # Metrics come from the first host's log, as SageMaker reads them.
            on_line=self._metrics_of if host == contract.HOST else lambda line: None,
            on_batch=lambda batch: self._log(batch, host),
        )

    def _metrics_of(self, line: str) -> None:
        now = self.platform.clock.now()
        definitions = (self.spec.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
        for name, value in metrics_from_line(line, definitions).items():
            self.metrics[name] = (value, now)

    def _log(self, batch: list[str], host: str = contract.HOST) -> None:
        stream = self.streams[host]
        append_log(self.platform, self.account, self.region, LOG_GROUP, stream, batch)

    def _upload(self, access: ObjectAccess) -> str:
        output = (self.spec.get("OutputDataConfig") or {}).get("S3OutputPath", "").rstrip("/")
        archive = self.ml / "output" / "model.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            for path in sorted((self.ml / "model").rglob("*")):
                tar.add(path, arcname=str(path.relative_to(self.ml / "model")), recursive=False)
        url = f"{output}/{self.name}/output/model.tar.gz"
        try:
            access.upload(archive, parse_s3_url(url), "application/x-tar")
        except (ObjectAccessError, ValueError) as error:
            raise JobFailure(
                f"ClientError: Could not upload the model to {url}: {error}"
            ) from error
        return url

    def _final_metrics(self) -> list[dict[str, Any]]:
        return [
            {"MetricName": name, "Value": value, "Timestamp": moment.isoformat()}
            for name, (value, moment) in sorted(self.metrics.items())
        ]
