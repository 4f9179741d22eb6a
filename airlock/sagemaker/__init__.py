"""SageMaker: the model registry, training and processing jobs, pipelines, models and
projects."""

from typing import Any

from airlock.platform.loop import WorkerGroup

from . import resources
from .hosting import config_operations, endpoint_operations, model_operations
from .hosting.controller import HostingController
from .hosting.fleet import FLEETS, Fleets
from .operations import api
from .pipelines import executions as pipeline_executions
from .pipelines import operations as pipeline_operations
from .pipelines.engine import PipelineEngine
from .processing import operations as processing_operations
from .processing.runner import processing_runner
from .projects import operations as project_operations
from .projects import portfolio as project_portfolio
from .projects.worker import ProjectWorker
from .registry import Registry
from .training import operations as training_operations
from .training.runner import training_runner


def _workers(platform: Any) -> WorkerGroup:
    fleets = platform.runtime.setdefault(FLEETS, Fleets())
    return WorkerGroup(
        [
            training_runner(platform),
            processing_runner(platform),
            PipelineEngine(platform),
            HostingController(platform, fleets),
            ProjectWorker(platform),
        ]
    )


api.worker = _workers

__all__ = [
    "Registry",
    "api",
    "config_operations",
    "endpoint_operations",
    "model_operations",
    "pipeline_executions",
    "pipeline_operations",
    "processing_operations",
    "project_operations",
    "project_portfolio",
    "resources",
    "training_operations",
]
