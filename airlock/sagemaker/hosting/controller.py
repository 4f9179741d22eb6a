"""The hosting controller: brings endpoints' fleets up, shifts traffic, keeps them alive.

Each tick reconciles every endpoint with what runs in this process:
- Creating: build the target config's fleet (model data read with each model's
  execution role, checked against what CreateModel saw), start it, and once every
  instance answers its ping, route traffic to it: InService. An instance that dies
  first, or a fleet not healthy in time, fails the endpoint with the reason.
- Updating to another config: the same, then traffic moves from the old fleet to
  the new one as the blue/green policy says (all at once, canary, linear), the
  old fleet drains its in-flight requests and stops. If the new fleet never gets
  healthy, it is stopped and the endpoint stays InService on the old config, with
  the reason recorded.
- Updating weights and capacities: instances are added or removed, weights change.
- InService after a restart: the deployed fleet is started again and routed to once
  healthy. A crashed instance is restarted with backoff; requests go to the others.
- Deleting: the fleets stop and the endpoint is gone.
"""

from __future__ import annotations

import logging
import os
import sys
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from airlock.platform.loop import BackgroundLoop
from airlock.s3.access import ObjectAccessError, parse_s3_url

from ..training import contract
from ..training.images import UnknownImage, check_image, mapped_command, repository_of
from ..training.runner import JobFailure, job_access
from .capture import FLUSH_SECONDS, Capture, Target, object_key
from .endpoint_operations import desired_variants
from .events import set_status
from .fleet import Fleet, Fleets, Instance, shares_after
from .models import Endpoint

log = logging.getLogger("airlock.hosting")

HEALTHY_WITHIN = 120.0
DRAIN_WITHIN = 60.0


def mapped_server(
    mapped: tuple[str, ...], model_dir: Path, environment: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    """A mapped image served as SageMaker runs a container: its command with `serve`.

    The model data is at /opt/ml/model (or SM_MODEL_DIR where mount namespaces are
    refused), the server listens on SAGEMAKER_BIND_TO_PORT, and the model's
    Environment is the process's environment.
    """
    command, root = contract.command(model_dir.parent, (*mapped, "serve"))
    env = {
        **os.environ,
        **environment,
        "SAGEMAKER_BIND_TO_PORT": "{port}",
        "SM_MODEL_DIR": f"{root}/model",
    }
    return command, env


class DeployFailure(Exception):
    """A fleet cannot be built or started; the message is the endpoint's FailureReason."""


@dataclass
class Pending:
    """A fleet on its way up: a new deployment, or the deployed one after a restart."""

    fleet: Fleet
    started: float
    restore: bool = False
    # How long the fleet may take to answer its pings (MaximumExecutionTimeoutInSeconds).
    within: float = HEALTHY_WITHIN
    shift_started: float | None = None


class HostingController(BackgroundLoop):
    """Reconciles endpoints with the fleets running in this process."""

    name = "airlock-hosting"

    def __init__(self, platform: Any, fleets: Fleets) -> None:
        super().__init__()
        self.platform = platform
        self.fleets = fleets
        self.active: dict[str, Fleet] = {}
        self.pending: dict[str, Pending] = {}
        # Per endpoint whose deployed fleet failed to come back: when to try again, failures.
        self.restore_after: dict[str, tuple[float, int]] = {}
        self._flushed = time.monotonic()

    def on_stop(self) -> None:
        self._write_captures()
        for fleet in [*self.active.values(), *(p.fleet for p in self.pending.values())]:
            fleet.stop()
        for arn in list(self.active):
            self.fleets.forget(arn)
        self.active.clear()
        self.pending.clear()

    def tick(self) -> float:
        with self.platform.db.read() as session:
            rows = session.scalars(select(Endpoint)).all()
            endpoints = [(r.id, r.arn, r.status, r.target is not None) for r in rows]
        for endpoint_id, arn, status, has_target in endpoints:
            try:
                self._reconcile(endpoint_id, arn, status, has_target)
            except Exception:
                log.exception("endpoint %s could not be reconciled", arn)
        known = {arn for _, arn, _, _ in endpoints}
        for arn in [a for a in [*self.active, *self.pending] if a not in known]:
            self._stop_all(arn)
        self._supervise()
        if time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self._write_captures()
        busy = self.pending or any(s != "InService" for _, _, s, _ in endpoints)
        return 0.1 if busy else 1.0

    # Reconciling -------------------------------------------------------------------

    def _row(self, endpoint_id: int) -> Endpoint | None:
        with self.platform.db.read() as session:
            row: Endpoint | None = session.get(Endpoint, endpoint_id)
            if row is not None:
                session.expunge(row)
            return row

    def _reconcile(self, endpoint_id: int, arn: str, status: str, has_target: bool) -> None:
        if status == "Deleting":
            self._stop_all(arn)
            with self.platform.db.write() as session:
                row = session.get(Endpoint, endpoint_id)
                if row is not None and row.status == "Deleting":
                    session.delete(row)
            return
        if status == "Failed":
            self._stop_all(arn)
            return
        row = self._row(endpoint_id)
        if row is None:
            return
        if status in ("Creating", "Updating") and has_target:
            pending = self.pending.get(arn)
            resuming = status == "Updating" and arn not in self.active and row.deployed
            # An update a restart interrupted resumes from the deployed fleet, served again
            # first, so the new fleet's traffic shift starts over from it.
            if resuming and (pending is None or pending.restore) and not self._restore(row):
                return
            self._deploy(row)
        elif status == "Updating":
            if arn in self.active or (row.deployed and self._restore(row)):
                self._resize(row)
        elif status == "InService" and arn not in self.active and row.deployed:
            self._restore(row)

    def _deploy(self, row: Endpoint) -> None:
        pending = self.pending.get(row.arn)
        if pending is None:
            try:
                fleet = self._build(row, row.target or {}, row.variants)
            except DeployFailure as error:
                self._failed(row, str(error))
                return
            for instance in fleet.instances():
                instance.start()
            policy = (row.deployment or {}).get("BlueGreenUpdatePolicy") or {}
            within = float(policy.get("MaximumExecutionTimeoutInSeconds") or HEALTHY_WITHIN)
            self.pending[row.arn] = Pending(fleet, time.monotonic(), within=within)
            return
        problem = self._check(pending)
        if problem:
            pending.fleet.stop()
            del self.pending[row.arn]
            self._failed(row, problem)
            return
        if not pending.fleet.healthy():
            return
        old = self.active.get(row.arn)
        if row.status == "Creating" or old is None:
            self._switch(row, pending.fleet, None)
            return
        # Blue/green: move traffic as the policy says, then drain the old fleet.
        policy = (row.deployment or {}).get("BlueGreenUpdatePolicy")
        # The platform's clock times the shift's waits, so a test can move it.
        now = self.platform.clock.now().timestamp()
        if pending.shift_started is None:
            pending.shift_started = now
        share, done = shares_after(policy, now - pending.shift_started)
        if share > 1.0:  # INSTANCE_COUNT: that many of the new fleet's instances
            share = min(1.0, share / max(1, len(pending.fleet.instances())))
        if not done:
            self.fleets.serve(row.arn, [(old, 1.0 - share), (pending.fleet, share)])
            return
        self._switch(row, pending.fleet, old)

    def _switch(self, row: Endpoint, fleet: Fleet, old: Fleet | None) -> None:
        """All traffic to `fleet`, recorded InService; the old fleet drains and stops."""
        self.fleets.serve(row.arn, [(fleet, 1.0)])
        self.active[row.arn] = fleet
        self.pending.pop(row.arn, None)
        if old is not None:
            policy = (row.deployment or {}).get("BlueGreenUpdatePolicy") or {}
            wait = float(policy.get("TerminationWaitInSeconds", 0))
            threading.Thread(target=_drain, args=(old, wait), daemon=True).start()
        with self.platform.db.write() as session:
            current = session.get(Endpoint, row.id)
            if current is None:
                return
            target = current.target or {}
            current.config_name = current.target_name
            current.deployed = target
            current.target = None
            current.target_name = None
            current.last_deployment = current.deployment
            current.variants = [
                {
                    **v,
                    "CurrentWeight": v["DesiredWeight"],
                    "CurrentInstanceCount": v["DesiredInstanceCount"],
                }
                for v in desired_variants(target)
            ]
            current.failure_reason = None
            set_status(session, self.platform.clock, current, "InService")

    def _failed(self, row: Endpoint, reason: str) -> None:
        """Creating fails the endpoint; a failed update rolls back to the deployed config."""
        log.info("endpoint %s: %s", row.arn, reason)
        with self.platform.db.write() as session:
            current = session.get(Endpoint, row.id)
            if current is None:
                return
            if current.status == "Updating" and current.deployed:
                current.failure_reason = f"Update rolled back: {reason}"
                current.target = None
                current.target_name = None
                if row.arn in self.active:
                    self.fleets.serve(row.arn, [(self.active[row.arn], 1.0)])
                set_status(session, self.platform.clock, current, "InService")
            else:
                current.failure_reason = reason
                set_status(session, self.platform.clock, current, "Failed")

    def _resize(self, row: Endpoint) -> None:
        """UpdateEndpointWeightsAndCapacities: counts and weights of the deployed fleet."""
        fleet = self.active.get(row.arn)
        if fleet is None:
            return
        for variant in row.variants:
            group = fleet.variants.get(variant["VariantName"], [])
            want = int(variant["DesiredInstanceCount"])
            while len(group) < want and group:
                template = group[0]
                extra = Instance(
                    template.variant,
                    len(group),
                    template.command,
                    template.env,
                    template.log.with_name(f"instance-{len(group)}.log"),
                )
                extra.start()
                group.append(extra)
            while len(group) > want:
                removed = group.pop()
                threading.Thread(target=_drain_one, args=(removed,), daemon=True).start()
            fleet.weights[variant["VariantName"]] = float(variant["DesiredWeight"])
        if not fleet.healthy():
            return
        with self.platform.db.write() as session:
            current = session.get(Endpoint, row.id)
            if current is None or current.status != "Updating":
                return
            current.variants = [
                {
                    **v,
                    "CurrentWeight": v["DesiredWeight"],
                    "CurrentInstanceCount": v["DesiredInstanceCount"],
                }
                for v in current.variants
            ]
            set_status(session, self.platform.clock, current, "InService")

    def _restore(self, row: Endpoint) -> bool:
        """After a restart: the deployed fleet again, routed to once healthy.

        True once it serves, or when it cannot come up now (tried again with backoff);
        False while it is on its way.
        """
        if row.arn in self.active:
            return True
        pending = self.pending.get(row.arn)
        if pending is None:
            if time.monotonic() < self.restore_after.get(row.arn, (0.0, 0))[0]:
                return True
            desired = [
                {**v, "DesiredInstanceCount": v.get("CurrentInstanceCount", 1)}
                for v in row.variants
            ]
            try:
                fleet = self._build(row, row.deployed or {}, desired)
            except DeployFailure as error:
                self._restore_failed(row.arn, str(error))
                return True
            for instance in fleet.instances():
                instance.start()
            self.pending[row.arn] = Pending(fleet, time.monotonic(), restore=True)
            return False
        problem = self._check(pending)
        if problem is not None:
            pending.fleet.stop()
            del self.pending[row.arn]
            self._restore_failed(row.arn, problem)
            return True
        if not pending.fleet.healthy():
            return False
        self.fleets.serve(row.arn, [(pending.fleet, 1.0)])
        self.active[row.arn] = pending.fleet
        del self.pending[row.arn]
        self.restore_after.pop(row.arn, None)
        return True

    def _restore_failed(self, arn: str, reason: str) -> None:
        """The deployed fleet did not come back: try again after a growing wait."""
        _, failures = self.restore_after.get(arn, (0.0, 0))
        wait = min(60.0, 2.0**failures)
        self.restore_after[arn] = (time.monotonic() + wait, failures + 1)
        log.error("endpoint %s cannot be restored (again in %.0f s): %s", arn, wait, reason)

    def _stop_all(self, arn: str) -> None:
        self.fleets.forget(arn)
        self.restore_after.pop(arn, None)
        for fleet in (
            self.active.pop(arn, None),
            getattr(self.pending.pop(arn, None), "fleet", None),
        ):
            if fleet is not None:
                fleet.stop()

    def _write_captures(self) -> None:
        """Metrics to their table; captured invocations to S3 (a JSON Lines object per
        variant, written as its model role)."""
        self._flushed = time.monotonic()
        with self.platform.db.write() as session:
            self.fleets.metrics.write(session)
        for target, lines in self.fleets.captured.take().items():
            url = object_key(target, self.platform.clock.now())
            try:
                access = job_access(self.platform, target.role, target.account, target.endpoint_arn)
                access.write(
                    parse_s3_url(url), [("\n".join(lines) + "\n").encode()], "application/jsonlines"
                )
            except (JobFailure, ObjectAccessError, ValueError) as error:
                log.warning("%d captured invocations not written to %s: %s", len(lines), url, error)

    # Instances ---------------------------------------------------------------------

    def _check(self, pending: Pending) -> str | None:
        """Why a fleet on its way up has failed, if it has; pings the instances."""
        for instance in pending.fleet.instances():
            if instance.healthy:
                continue
            status = instance.exited()
            if status is not None:
                return (
                    f"The instance {instance.index} of variant {instance.variant} exited with "
                    f"status {status} before it answered its ping: {instance.log_tail()}"
                )
            instance.healthy = instance.ping()
        if not pending.fleet.healthy() and time.monotonic() - pending.started > pending.within:
            return f"The fleet did not answer its pings within {pending.within:.0f} seconds."
        return None

    def _supervise(self) -> None:
        """Restart crashed instances of serving fleets, with backoff; ping the restarted."""
        now = time.monotonic()
        for fleet in self.active.values():
            for instance in fleet.instances():
                if instance.process is None:
                    continue
                if instance.exited() is not None:
                    if instance.healthy or instance.restart_at == 0.0:
                        instance.healthy = False
                        instance.crashes += 1
                        instance.restart_at = now + min(30.0, 0.5 * 2 ** (instance.crashes - 1))
                        log.warning(
                            "instance %d of %s crashed (%s); restarting",
                            instance.index,
                            instance.variant,
                            instance.log_tail(1),
                        )
                    elif now >= instance.restart_at:
                        instance.start()
                        instance.restart_at = 0.0
                elif not instance.healthy:
                    instance.healthy = instance.ping()

    # Building ----------------------------------------------------------------------

    def _build(
        self, row: Endpoint, snapshot: dict[str, Any], variants: list[dict[str, Any]]
    ) -> Fleet:
        """A fleet for a deployment snapshot (not started): model data fetched and unpacked."""
        generation = f"{snapshot.get('EndpointConfigName', 'config')}-{time.time_ns()}"
        base = (
            self.platform.settings.state_dir / "endpoints" / row.account_id / row.name / generation
        )
        counts = {v["VariantName"]: int(v.get("DesiredInstanceCount") or 1) for v in variants}
        groups: dict[str, list[Instance]] = {}
        weights: dict[str, float] = {}
        for variant in snapshot.get("spec", {}).get("ProductionVariants", []):
            name = variant["VariantName"]
            model = snapshot["models"][variant["ModelName"]]
            command, env = self._model_server(row, model, base / name / "model")
            target = Target(
                row.account_id,
                row.arn,
                row.name,
                name,
                (snapshot["spec"].get("DataCaptureConfig") or {}).get("DestinationS3Uri", ""),
                model.get("ExecutionRoleArn") or "",
            )
            capture = Capture.of(snapshot["spec"].get("DataCaptureConfig"), target)
            groups[name] = [
                Instance(
                    name,
                    index,
                    command,
                    env,
                    base / name / f"instance-{index}.log",
                    capture=capture,
                )
                for index in range(counts.get(name, int(variant.get("InitialInstanceCount") or 1)))
            ]
            weights[name] = float(variant.get("InitialVariantWeight", 1.0))
        return Fleet(generation, groups, weights)

    def _model_server(
        self, row: Endpoint, model: dict[str, Any], model_dir: Path
    ) -> tuple[list[str], dict[str, str]]:
        """The command (and environment) of one instance of the model's server."""
        containers = model.get("containers") or []
        if len(containers) != 1:
            raise DeployFailure(
                f"Model {model['ModelArn']} has {len(containers)} containers; Airlock serves "
                "models of one container."
            )
        container = containers[0]
        image = container["Image"]
        try:
            check_image(image, self.platform.settings.images_file)
            mapped = mapped_command(image, self.platform.settings.images_file)
        except UnknownImage as error:
            raise DeployFailure(str(error)) from error
        url = container.get("ModelDataUrl")
        environment = container.get("Environment") or {}
        if mapped is not None:
            if url:
                self._fetch(row, model, container, url, model_dir)
            else:
                model_dir.mkdir(parents=True, exist_ok=True)
            return mapped_server(mapped, model_dir, environment)
        if not url:
            raise DeployFailure(f"Model {model['ModelArn']} has no ModelDataUrl to serve.")
        program = environment.get("SAGEMAKER_PROGRAM")
        repository = repository_of(image)
        if repository == "sagemaker-scikit-learn" and not program:
            raise DeployFailure(
                "The scikit-learn image serves an inference script: set SAGEMAKER_PROGRAM (and "
                "SAGEMAKER_SUBMIT_DIRECTORY) in the model's Environment."
            )
        self._fetch(row, model, container, url, model_dir)
        if not program:
            return [
                sys.executable,
                "-m",
                "airlock.algorithms.serve",
                "--port",
                "{port}",
                "--model-dir",
                str(model_dir),
            ], {}
        code = self._source(row, model, environment, model_dir)
        if not (code / program).is_file():
            raise DeployFailure(f"The inference script {program} is not in the source directory.")
        return [
            sys.executable,
            "-m",
            "airlock.algorithms.script_serve",
            "--port",
            "{port}",
            "--model-dir",
            str(model_dir),
            "--code-dir",
            str(code),
            "--program",
            program,
            "--framework",
            "xgboost" if repository == "sagemaker-xgboost" else "sklearn",
        ], {}

    def _source(
        self, row: Endpoint, model: dict[str, Any], environment: dict[str, str], model_dir: Path
    ) -> Path:
        """The inference script's folder: SAGEMAKER_SUBMIT_DIRECTORY, or the model's code/."""
        submitted = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
        if not submitted.startswith("s3://"):
            return model_dir / "code"
        code = model_dir.parent / "code"
        self._unpack(row, model, submitted, code, "source directory")
        return code

    def _fetch(
        self,
        row: Endpoint,
        model: dict[str, Any],
        container: dict[str, Any],
        url: str,
        model_dir: Path,
    ) -> None:
        """The model data, read with the model's role, unpacked; refused if it changed."""
        recorded = (container.get("Artifact") or {}).get("Sha256")
        self._unpack(row, model, url, model_dir, "model data", sha256s=recorded)

    def _unpack(
        self,
        row: Endpoint,
        model: dict[str, Any],
        url: str,
        into: Path,
        what: str,
        sha256s: list[str] | None = None,
    ) -> None:
        """A .tar.gz read with the model's role and unpacked into `into` (beside it, the
        archive); with `sha256s`, refused if the object is no longer what was recorded."""
        try:
            access = job_access(
                self.platform, model.get("ExecutionRoleArn") or "", row.account_id, row.arn
            )
            location = parse_s3_url(url)
            if sha256s and list(access.head(location).sha256s) != sha256s:
                raise DeployFailure(
                    f"The {what} at {url} changed since model {model['ModelArn']} was "
                    "created; create the model again to deploy the new data."
                )
            archive = into.parent / f"{into.name}.tar.gz"
            access.download(location, archive)
            into.mkdir(parents=True, exist_ok=True)
            with tarfile.open(archive) as tar:
                tar.extractall(into, filter="data")
        except JobFailure as error:
            raise DeployFailure(str(error).removeprefix("ClientError: ")) from error
        except (ObjectAccessError, ValueError, tarfile.TarError, OSError) as error:
            raise DeployFailure(f"Could not fetch the {what} at {url}: {error}") from error


def _drain(fleet: Fleet, wait: float) -> None:
    """Stop a fleet once its requests in flight are done (and TerminationWaitInSeconds)."""
    deadline = time.monotonic() + DRAIN_WITHIN + wait
    time.sleep(max(0.0, wait))
    while fleet.inflight() and time.monotonic() < deadline:
        time.sleep(0.05)
    fleet.stop()


def _drain_one(instance: Instance) -> None:
    deadline = time.monotonic() + DRAIN_WITHIN
    instance.healthy = False
    while instance.inflight and time.monotonic() < deadline:
        time.sleep(0.05)
    instance.stop()
