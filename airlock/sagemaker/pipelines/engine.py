"""The pipeline engine: steps start when what they need has succeeded, jobs run them.

Each tick advances every running execution: a step whose job ended takes the
job's outcome and properties; a step whose dependencies succeeded (and, inside a
Condition's branch, whose branch was chosen) starts. Every change is one short
transaction that also writes what it caused (the training job row, the model
package), so a crash leaves nothing half done and nothing runs or registers twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import select

from airlock.core.api import WAKE_WORKERS
from airlock.core.calls import acting_context, call
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError
from airlock.platform.loop import BackgroundLoop
from airlock.s3.access import ObjectAccess, ObjectAccessError, parse_s3_url
from airlock.sts import assume_role_for_service

from ..hosting.model_operations import find_model, model_out
from ..jobs import SAGEMAKER
from ..operations import SPEC_MEMBERS
from ..processing.models import ProcessingJob
from ..processing.operations import job_out as processing_out
from ..registry import Registry
from ..training.models import TrainingJob
from ..training.operations import job_out as training_out
from .definition import Definition, parse_definition
from .events import execution_changed, step_changed
from .expressions import ExpressionError, Scope, condition_holds, resolve
from .models import ExecutionStep, Pipeline, PipelineExecution
from .retry import exception_type, next_attempt

log = logging.getLogger("airlock.pipelines")

TERMINAL = ("Succeeded", "Failed", "Stopped")
GROUP_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
JOB_MODELS: dict[str, Any] = {"Training": TrainingJob, "Processing": ProcessingJob}


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def job_name(execution_id: str, step: str) -> str:
    """A job name from the execution and step, within SageMaker's 63 characters."""
    clean = re.sub(r"[^a-zA-Z0-9-]", "-", step)[:30].strip("-") or "step"
    return f"pipelines-{execution_id}-{clean}-{secrets.token_hex(3)}"


class PipelineEngine(BackgroundLoop):
    """Advances running pipeline executions."""

    name = "airlock-pipelines"

    def __init__(self, platform: Any) -> None:
        super().__init__()
        self.platform = platform

    def tick(self) -> float:
        with self.platform.db.read() as session:
            running = session.scalars(
                select(PipelineExecution.id).where(
                    PipelineExecution.status.in_(("Executing", "Stopping"))
                )
            ).all()
        for execution_id in running:
            try:
                Advance(self.platform, execution_id).run()
            except Exception:
                log.exception("pipeline execution %d could not advance", execution_id)
        return 0.5 if running else 2.0


class Advance:
    """One advance of one execution."""

    def __init__(self, platform: Any, execution_id: int) -> None:
        self.platform = platform
        self.execution_id = execution_id
        with platform.db.read() as session:
            execution = session.get(PipelineExecution, execution_id)
            assert execution is not None
            pipeline = session.get(Pipeline, execution.pipeline_id)
            assert pipeline is not None
            self.status = execution.status
            self.exec_id = execution.execution_id
            self.arn = execution.arn
            self.parameters = dict(execution.parameters)
            self.started = execution.created_at
            self.pipeline = (pipeline.name, pipeline.arn, pipeline.role_arn)
            parallelism = execution.parallelism or pipeline.parallelism or {}
            self.limit = int(parallelism.get("MaxParallelExecutionSteps") or 0)
            self.account, self.region = pipeline.account_id, pipeline.region
            self.definition: Definition = parse_definition(execution.definition)
            rows = session.scalars(
                select(ExecutionStep).where(ExecutionStep.execution_id == execution_id)
            ).all()
            self.rows = {
                row.name: (row.status, dict(row.properties), dict(row.metadata_)) for row in rows
            }
            # Failed attempts waiting to run again (RetryPolicies, RetryPipelineExecution).
            self.retry_at = {row.name: row.retry_at for row in rows if row.retry_at is not None}

    # Helpers -------------------------------------------------------------------------

    def _ctx(self) -> RequestContext:
        """The pipeline's role, assumed by sagemaker.amazonaws.com for this execution."""
        with self.platform.db.read() as session:
            principal = assume_role_for_service(
                session,
                self.platform.clock,
                service_principal=SAGEMAKER,
                role_arn=self.pipeline[2],
                session_name=f"SageMaker-{self.exec_id}",
                source_account=self.account,
                source_arn=self.arn,
            )
        return acting_context(
            self.platform, principal, via=SAGEMAKER, service="sagemaker", region=self.region
        )

    def _call(
        self,
        name: str,
        operation: str,
        params: dict[str, Any],
        within: Callable[[Any, dict[str, Any]], None],
    ) -> None:
        """Run a step's operation as the pipeline's role, its own permissions deciding.

        `within` records the step's progress in the operation's transaction; a refusal
        fails the step with the error's message, as SageMaker Pipelines reports it.
        """
        try:
            call(self.platform, self._ctx(), "sagemaker", operation, params, within=within)
        except ServiceError as error:
            self._write_step(name, status="Failed", failure_reason=f"{error.code}: {error.message}")

    def _scope(self) -> Scope:
        steps = {n: props for n, (status, props, _) in self.rows.items() if status == "Succeeded"}
        return Scope(
            parameters=self.parameters,
            execution={
                "PipelineExecutionId": self.exec_id,
                "PipelineExecutionArn": self.arn,
                "StartDateTime": self.started.astimezone(UTC).isoformat(),
                "CurrentDateTime": self.platform.clock.now().astimezone(UTC).isoformat(),
                "PipelineName": self.pipeline[0],
                "PipelineArn": self.pipeline[1],
            },
            steps=steps,
            property_file=self._property_file,
        )

    def _property_file(self, step: str, name: str) -> Any:
        raw = self.definition.steps[step].raw
        files = {f["PropertyFileName"]: f for f in raw.get("PropertyFiles") or []}
        if name not in files:
            raise ExpressionError(f"step {step} has no property file {name}")
        outputs = self.rows[step][1].get("ProcessingOutputConfig", {}).get("Outputs", [])
        output = next(
            (o for o in outputs if o.get("OutputName") == files[name]["OutputName"]), None
        )
        if output is None:
            raise ExpressionError(f"step {step} has no output {files[name]['OutputName']}")
        url = f"{output['S3Output']['S3Uri'].rstrip('/')}/{files[name]['FilePath']}"
        try:
            data = b"".join(ObjectAccess(self.platform, self._ctx()).read(parse_s3_url(url)))
            return json.loads(data)
        except (ObjectAccessError, ValueError) as error:
            raise ExpressionError(f"property file {name} at {url}: {error}") from error

    def _row(self, session: Any, name: str) -> tuple[ExecutionStep, str | None]:
        """The step's row (a new one if it never ran) and its status before this change."""
        row = session.scalars(
            select(ExecutionStep).where(
                ExecutionStep.execution_id == self.execution_id, ExecutionStep.name == name
            )
        ).first()
        if row is not None:
            return row, row.status
        row = ExecutionStep(
            execution_id=self.execution_id,
            name=name,
            type=self.definition.steps[name].type,
            status="Executing",
            started_at=self.platform.clock.now(),
        )
        session.add(row)
        return row, None

    def _changed(self, session: Any, row: ExecutionStep, previous: str | None) -> None:
        session.flush()
        if row.status != previous:
            execution = session.get(PipelineExecution, self.execution_id)
            assert execution is not None
            step_changed(session, self.platform.clock, execution, row, previous)

    def _write_step(self, name: str, **values: Any) -> None:
        with self.platform.db.write() as session:
            row, previous = self._row(session, name)
            for key, value in values.items():
                setattr(row, key, value)
            if values.get("status") in TERMINAL:
                row.ended_at = self.platform.clock.now()
            self._changed(session, row, previous)
        current = self.rows.get(name, ("", {}, {}))
        self.rows[name] = (
            values.get("status", current[0]),
            values.get("properties", current[1]),
            values.get("metadata_", current[2]),
        )

    def _finish(self, status: str, reason: str | None = None) -> None:
        with self.platform.db.write() as session:
            execution = session.get(PipelineExecution, self.execution_id)
            assert execution is not None
            previous = execution.status
            execution.status = status
            execution.failure_reason = reason
            execution.modified_at = self.platform.clock.now()
            execution_changed(session, self.platform.clock, execution, previous)

    # The advance ---------------------------------------------------------------------

    def run(self) -> None:
        if self.status == "Stopping":
            self._stop_all()
            return
        self._poll_jobs()
        now = self.platform.clock.now()
        for name, at in list(self.retry_at.items()):
            if at <= now:
                self._retry(name)
        failed = [n for n, (s, _, _) in self.rows.items() if s == "Failed"]
        running = [n for n, (s, _, _) in self.rows.items() if s not in TERMINAL]
        if not failed:
            for name in self.definition.order:
                busy = sum(1 for state, _, _ in self.rows.values() if state == "Executing")
                if self.limit and busy >= self.limit:  # ParallelismConfiguration
                    break
                if name not in self.rows and self._ready(name):
                    self._start(name)
            failed = [n for n, (s, _, _) in self.rows.items() if s == "Failed"]
            running = [n for n, (s, _, _) in self.rows.items() if s not in TERMINAL]
        if running:
            return
        if failed:
            reasons = [self._reason(n) for n in failed]
            self._finish("Failed", "; ".join(r for r in reasons if r) or "Step failure.")
        elif not any(self._ready(n) for n in self.definition.order if n not in self.rows):
            self._finish("Succeeded")

    def _reason(self, name: str) -> str:
        with self.platform.db.read() as session:
            row = session.scalars(
                select(ExecutionStep).where(
                    ExecutionStep.execution_id == self.execution_id, ExecutionStep.name == name
                )
            ).first()
            return f"Step {name} failed: {row.failure_reason}" if row and row.failure_reason else ""

    def _ready(self, name: str) -> bool:
        step = self.definition.steps[name]
        for needed in step.needs:
            state = self.rows.get(needed)
            if state is None or state[0] != "Succeeded":
                return False
        if name in self.definition.conditional:
            for needed in step.needs:
                owner = self.definition.steps[needed]
                if owner.type != "Condition":
                    continue
                outcome = self.rows[needed][2].get("Condition", {}).get("Outcome")
                chosen = owner.arguments.get("IfSteps" if outcome == "True" else "ElseSteps") or []
                names = {b.get("Name") if isinstance(b, dict) else b for b in chosen}
                if name not in names and _in_branches(owner, name):
                    return False
        return True

    def _start(self, name: str) -> None:
        step = self.definition.steps[name]
        if step.type == "Condition":  # its branches are steps of their own: not resolved here
            self._condition(name)
            return
        try:
            arguments = resolve(step.arguments, self._scope())
        except ExpressionError as error:
            self._write_step(name, status="Failed", failure_reason=str(error))
            return
        if step.type in JOB_MODELS:
            key = None
            cache = step.raw.get("CacheConfig") or {}
            if cache.get("Enabled"):
                key = cache_key(step.type, arguments)
                if self._cache_hit(name, key, expiry(cache.get("ExpireAfter"))):
                    return
            self._start_job(name, step.type, arguments, key)
        elif step.type == "Fail":
            message = str(arguments.get("ErrorMessage") or "")
            self._write_step(
                name,
                status="Failed",
                failure_reason=message,
                metadata_={"Fail": {"ErrorMessage": message}},
            )
        elif step.type == "RegisterModel":
            self._register(name, arguments)
        elif step.type in ("Model", "CreateModel"):
            self._create_model(name, arguments)
        else:
            self._write_step(
                name,
                status="Failed",
                failure_reason=f"Airlock does not run {step.type} steps yet.",
            )

    def _condition(self, name: str) -> None:
        conditions = self.definition.steps[name].arguments.get("Conditions") or []
        try:
            holds = all(condition_holds(c, self._scope()) for c in conditions)
        except ExpressionError as error:
            self._write_step(name, status="Failed", failure_reason=str(error))
            return
        outcome = "True" if holds else "False"
        self._write_step(
            name,
            status="Succeeded",
            metadata_={"Condition": {"Outcome": outcome}},
            properties={"Outcome": outcome},
        )

    def _cache_hit(self, name: str, key: str, expire: timedelta | None) -> bool:
        """Reuse a succeeded step of an earlier execution with the same arguments."""
        with self.platform.db.read() as session:
            pipeline_id = session.get(PipelineExecution, self.execution_id).pipeline_id
            query = (
                select(ExecutionStep, PipelineExecution.arn)
                .join(PipelineExecution, PipelineExecution.id == ExecutionStep.execution_id)
                .where(
                    PipelineExecution.pipeline_id == pipeline_id,
                    ExecutionStep.name == name,
                    ExecutionStep.cache_key == key,
                    ExecutionStep.status == "Succeeded",
                    ExecutionStep.cache_source.is_(None),
                )
                .order_by(ExecutionStep.id.desc())
            )
            if expire is not None:
                query = query.where(ExecutionStep.ended_at >= self.platform.clock.now() - expire)
            found = session.execute(query.limit(1)).first()
            if found is None:
                return False
            step, source = found
            properties, metadata = dict(step.properties), dict(step.metadata_)
        self._write_step(
            name,
            status="Succeeded",
            properties=properties,
            metadata_=metadata,
            cache_key=key,
            cache_source=source,
        )
        return True

    def _start_job(
        self, name: str, kind: str, arguments: dict[str, Any], key: str | None = None
    ) -> None:
        """CreateTrainingJob / CreateProcessingJob as the pipeline's role."""
        if isinstance(arguments.get("HyperParameters"), dict):
            # A parameter resolves to its type; a job's hyperparameters are strings.
            arguments["HyperParameters"] = {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in arguments["HyperParameters"].items()
            }
        job = job_name(self.exec_id, name)
        kind_arn = "training-job" if kind == "Training" else "processing-job"
        arn = f"arn:aws:sagemaker:{self.region}:{self.account}:{kind_arn}/{job.lower()}"
        metadata = {f"{kind}Job": {"Arn": arn}}

        def executing(session: Any, output: dict[str, Any]) -> None:
            step, previous = self._row(session, name)
            step.status = "Executing"
            step.metadata_ = metadata
            step.cache_key = key
            self._changed(session, step, previous)
            self.rows[name] = ("Executing", {}, metadata)

        self._call(name, f"Create{kind}Job", {**arguments, f"{kind}JobName": job}, executing)

    def _poll_jobs(self) -> None:
        for name, (status, _, metadata) in list(self.rows.items()):
            if status != "Executing" or name in self.retry_at:
                continue
            kind = self.definition.steps[name].type
            arn = metadata.get(f"{kind}Job", {}).get("Arn")
            model = JOB_MODELS.get(kind)
            if arn is None or model is None:
                continue
            with self.platform.db.read() as session:
                job = session.scalars(select(model).where(model.arn == arn)).first()
                if job is None or job.status not in ("Completed", "Failed", "Stopped"):
                    continue
                out = training_out(job) if kind == "Training" else processing_out(job)
                ended = job.status
            properties = _json(out)
            reason = out.get("FailureReason") or f"The job ended {ended}."
            if ended == "Completed":
                self._write_step(name, status="Succeeded", properties=properties)
            elif not (ended == "Failed" and self._retry_later(name, reason)):
                self._write_step(
                    name,
                    status="Failed" if ended == "Failed" else "Stopped",
                    properties=properties,
                    failure_reason=reason,
                )

    def _retry_later(self, name: str, reason: str) -> bool:
        """Whether a RetryPolicy runs the failed step again; if so, when is recorded."""
        step = self.definition.steps[name]
        now = self.platform.clock.now()
        with self.platform.db.write() as session:
            row, _ = self._row(session, name)
            at = next_attempt(
                step.raw.get("RetryPolicies") or [],
                exception_type(step.type, reason),
                row.attempts - 1,
                row.started_at,
                now,
            )
            if at is None:
                return False
            row.retry_at = at
            row.failure_reason = reason
        log.info("step %s of %s failed (%s); it runs again at %s", name, self.arn, reason, at)
        self.retry_at[name] = at
        return True

    def _retry(self, name: str) -> None:
        """Run a failed step again: a new job, the attempt counted."""
        with self.platform.db.write() as session:
            row, _ = self._row(session, name)
            row.attempts += 1
            row.retry_at = None
            row.failure_reason = None
            row.ended_at = None
        del self.retry_at[name]
        self.rows.pop(name, None)
        self._start(name)

    def _register(self, name: str, arguments: dict[str, Any]) -> None:
        """CreateModelPackage as the pipeline's role (its group created first if missing)."""
        group_name = str(arguments.get("ModelPackageGroupName", ""))
        if not GROUP_NAME.fullmatch(group_name):
            self._write_step(
                name,
                status="Failed",
                failure_reason=f"ModelPackageGroupName {group_name!r} must match "
                f"{GROUP_NAME.pattern}.",
            )
            return
        with self.platform.db.read() as session:
            registry = Registry(session, self.platform.clock)
            missing = registry.find_group(self.account, self.region, group_name) is None
        # As in SageMaker Pipelines, a group that does not exist yet is created.
        if missing and not self._group_created(name, group_name):
            return
        request = {m: arguments[m] for m in SPEC_MEMBERS if arguments.get(m) is not None}
        for member in ("ModelPackageGroupName", "ModelPackageDescription", "ModelApprovalStatus"):
            if arguments.get(member) is not None:
                request[member] = arguments[member]

        def registered(session: Any, output: dict[str, Any]) -> None:
            arn = output["ModelPackageArn"]
            self._done_in(session, name, {"RegisterModel": {"Arn": arn}}, {"ModelPackageArn": arn})

        self._call(name, "CreateModelPackage", _json(request), registered)

    def _group_created(self, name: str, group_name: str) -> bool:
        try:
            call(
                self.platform,
                self._ctx(),
                "sagemaker",
                "CreateModelPackageGroup",
                {"ModelPackageGroupName": group_name},
            )
        except ServiceError as error:
            if error.code != "ResourceInUse":  # made meanwhile: what the step needs exists
                message = f"{error.code}: {error.message}"
                self._write_step(name, status="Failed", failure_reason=message)
                return False
        return True

    def _create_model(self, name: str, arguments: dict[str, Any]) -> None:
        """A Model step (the SDK's ModelStep of `model.create()`): CreateModel as the pipeline."""
        model_name = job_name(self.exec_id, name)

        def created(session: Any, output: dict[str, Any]) -> None:
            model = find_model(session, self.account, self.region, model_name)
            assert model is not None
            self._done_in(session, name, {"Model": {"Arn": model.arn}}, _json(model_out(model)))

        self._call(name, "CreateModel", {**_json(arguments), "ModelName": model_name}, created)

    def _done_in(
        self, session: Any, name: str, metadata: dict[str, Any], properties: dict[str, Any]
    ) -> None:
        """Record a step that succeeded in the transaction that did its work."""
        step, previous = self._row(session, name)
        step.status = "Succeeded"
        step.metadata_ = metadata
        step.properties = properties
        step.ended_at = self.platform.clock.now()
        self._changed(session, step, previous)
        self.rows[name] = ("Succeeded", properties, metadata)

    def _stop_all(self) -> None:
        for name, (status, _, metadata) in list(self.rows.items()):
            if status in TERMINAL:
                continue
            kind = self.definition.steps[name].type
            model = JOB_MODELS.get(kind)
            arn = metadata.get(f"{kind}Job", {}).get("Arn")
            if model is not None and arn:
                with self.platform.db.write() as session:
                    job = session.scalars(select(model).where(model.arn == arn)).first()
                    if job is not None and job.status == "InProgress":
                        job.stop_requested = True
                        job.status = "Stopping"
                        session.info[WAKE_WORKERS] = True
            self._write_step(name, status="Stopped")
        self._finish("Stopped")


def cache_key(kind: str, arguments: dict[str, Any]) -> str:
    """What makes two runs of a step the same: its type and resolved arguments."""
    text = json.dumps([kind, arguments], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def expiry(text: str | None) -> timedelta | None:
    """An ISO 8601 duration (`PT1H`, `P30D`); None (no expiry) when absent or unreadable."""
    match = _DURATION.match(text or "")
    if not text or match is None:
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _in_branches(condition: Any, name: str) -> bool:
    for branch in ("IfSteps", "ElseSteps"):
        for item in condition.arguments.get(branch) or []:
            if (item.get("Name") if isinstance(item, dict) else item) == name:
                return True
    return False
