"""CodePipeline: pipelines, their executions, and the engine that runs them."""

from .operations import api

__all__ = ["api"]


def _register() -> None:
    """Hang the engine on the API and add pipelines as an EventBridge target kind."""
    from . import resources, target  # noqa: F401  (resources registers the pipeline type)
    from .engine import PipelineEngine

    api.worker = PipelineEngine
    target.register()


_register()
