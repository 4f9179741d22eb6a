"""Measure SageMaker Pipelines: wall time from StartPipelineExecution to Succeeded.

Run: .venv/bin/python -m bench.pipeline_wall_time [--runs 5]
Starts `airlock server` as its own process, uploads iris, and runs the 2-step iris
pipeline as the SageMaker SDK writes it (examples/iris's TrainingStep of the
built-in XGBoost algorithm, then RegisterModel) `--runs` times without caching and
`--runs` times with the training step's cache hit.
Prints the median and range of each; asserts only that the executions succeed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import figures, own_server, runs, sagemaker_role
from tests.support import process_client, profile_keys

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "iris"
sys.path.insert(0, str(EXAMPLE))
os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
import iris_pipeline as flow  # noqa: E402 - the example's pipeline, from its folder


def _definition(session: Any, role: str, cached: bool) -> str:
    """The 2-step iris pipeline as the SageMaker SDK writes it: TrainingStep, RegisterModel."""
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.step_collections import RegisterModel
    from sagemaker.workflow.steps import CacheConfig

    train, estimator, rounds = flow.training(session, role)
    if cached:
        train.cache_config = CacheConfig(enable_caching=True, expire_after="PT1H")
    register = RegisterModel(
        name="RegisterIris",
        estimator=estimator,
        model_data=train.properties.ModelArtifacts.S3ModelArtifacts,
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=["ml.m5.large"],
        transform_instances=["ml.m5.large"],
        model_package_group_name="bench",
    )
    pipeline = Pipeline(
        name="bench", parameters=[rounds], steps=[train, register], sagemaker_session=session
    )
    return str(pipeline.definition())


def _run(sm: Any, name: str) -> float:
    started = time.perf_counter()
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    while True:
        status = sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"]
        if status != "Executing":
            break
        if time.perf_counter() - started > 300:
            raise SystemExit(f"execution {arn} did not finish within 300 s")
        time.sleep(0.05)  # the benchmark's polling interval (50 ms granularity in the figures)
    if status != "Succeeded":
        raise SystemExit(f"execution {arn} ended {status}")
    return time.perf_counter() - started


def main() -> None:
    """Run the pipeline without and with caching; print the medians."""
    count = runs(__doc__)
    with own_server() as (state, port):
        iam, sm = process_client(state, port, "iam"), process_client(state, port, "sagemaker")
        access_key, secret = profile_keys(state)
        os.environ.update(
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
            AWS_ACCESS_KEY_ID=access_key,
            AWS_SECRET_ACCESS_KEY=secret,
            AWS_DEFAULT_REGION="us-east-1",
            SAGEMAKER_USER_CONFIG_OVERRIDE=str(EXAMPLE / "sagemaker-config.yaml"),
            SAGEMAKER_SUPPRESS_V2_WARNING="1",
        )
        session = flow.connect("bench-data")
        flow.prepare_data(session)
        arn = sagemaker_role(iam, "Bench")
        for name, with_cache in (("plain", False), ("cached", True)):
            definition = _definition(session, arn, with_cache)
            sm.create_pipeline(PipelineName=name, PipelineDefinition=definition, RoleArn=arn)
        plain = [_run(sm, "plain") for _ in range(count)]
        _run(sm, "cached")  # fills the cache
        cached = [_run(sm, "cached") for _ in range(count)]
    for label, samples in (("without cache", plain), ("with the training step cached", cached)):
        print(f"{label}: {figures(samples)}")


if __name__ == "__main__":
    main()
