"""SageMaker Runtime: InvokeEndpoint, routed to the endpoint's model-server instances."""

from .operations import api

__all__ = ["api"]
