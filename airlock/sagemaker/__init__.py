"""SageMaker: the model registry, training and processing jobs, pipelines and models."""

from typing import Any

from airlock.platform.loop import WorkerGroup

from .hosting import model_operations
from .operations import api
from .pipelines import executions as pipeline_executions
from .pipelines import operations as pipeline_operations
from .pipelines.engine import PipelineEngine
from .processing import operations as processing_operations
from .processing.runner import processing_runner
from .registry import Registry
from .training import operations as training_operations
from .training.runner import training_runner


def _workers(platform: Any) -> WorkerGroup:
    return WorkerGroup(
        [training_runner(platform), processing_runner(platform), PipelineEngine(platform)]
    )


api.worker = _workers

__all__ = [
    "Registry",
    "api",
    "model_operations",
    "pipeline_executions",
    "pipeline_operations",
    "processing_operations",
    "training_operations",
]
