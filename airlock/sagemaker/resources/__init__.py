"""CloudFormation resource types of SageMaker: the registry's groups, hosting, pipelines."""

from ..operations import api
from .hosting import Endpoint, EndpointConfig, Model
from .pipelines import Pipeline
from .registry import ModelPackageGroup

for _provider in (ModelPackageGroup(), Model(), EndpointConfig(), Endpoint(), Pipeline()):
    api.resource_type(_provider)

__all__ = ["Endpoint", "EndpointConfig", "Model", "ModelPackageGroup", "Pipeline"]
