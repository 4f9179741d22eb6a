"""Service Catalog: portfolios, products and their versions, launch constraints, and
provisioned products launched as CloudFormation stacks as the launch role."""

from .api import api
from .service import SERVICECATALOG, CatalogService

__all__ = ["SERVICECATALOG", "CatalogService", "api"]


def _register() -> None:
    """Load the operation modules (each registers on `api`) and hang the worker on it."""
    from . import constraints, portfolios, products, provisioning, resources, sharing  # noqa: F401
    from .worker import RecordWorker

    api.worker = RecordWorker


_register()
