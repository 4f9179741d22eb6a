"""Which service a request is for: from `X-Amz-Target`, the SigV4 scope and the path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import botocore.session

from airlock.core.api import ServiceApi
from airlock.core.errors import ClientFault, ServiceError, UnknownOperationError
from airlock.core.http import HttpRequest
from airlock.protocol import load_service_model, protocol_of

Family = Literal["json", "query", "s3"]


@dataclass(frozen=True)
class Route:
    """A service Airlock implements, with its botocore model and wire protocol."""

    api: ServiceApi[Any]
    model: Any  # botocore.model.ServiceModel
    protocol: str
    # Some operation of the service may be answered by the fast lane (gateway/fast.py).
    answers_fast: bool = False

    @property
    def family(self) -> Family:
        """How the service words its auth errors: JSON-style, query-style or S3-style."""
        # A JSON service that was a query service (CloudWatch: `awsQueryCompatible`)
        # keeps the query codes (AccessDenied, not AccessDeniedException).
        if self.protocol == "query" or "awsQueryCompatible" in self.model.metadata:
            return "query"
        if self.protocol == "rest-xml":
            return "s3"
        return "json"


class NotImplementedService(ServiceError):
    """A real AWS service Airlock does not implement."""

    code = "NotImplemented"
    http_status = 501


@cache
def _botocore_services() -> frozenset[str]:
    return frozenset(botocore.session.get_session().get_available_services())


class ServiceDirectory:
    """Finds the route for a request among the implemented services."""

    def __init__(self, apis: Sequence[ServiceApi[Any]]) -> None:
        self.routes: dict[str, Route] = {}
        self._by_target: dict[str, Route] = {}
        self._by_signing_name: dict[str, list[Route]] = {}
        for api in apis:
            model = load_service_model(api.name)
            fast = any(spec.fast is not None for spec in api.operations.values())
            route = Route(api, model, protocol_of(model), answers_fast=fast)
            self.routes[api.name] = route
            prefix = model.metadata.get("targetPrefix")
            if prefix and route.protocol == "json":
                self._by_target[prefix] = route
            signing = model.metadata.get("signingName") or model.endpoint_prefix
            self._by_signing_name.setdefault(signing, []).append(route)

    def route(self, request: HttpRequest, scope_service: str | None) -> Route:
        """The route for `request`; `scope_service` is the SigV4 scope's service, if signed."""
        target = request.headers.get("x-amz-target")
        if target:
            prefix = target.rsplit(".", 1)[0]
            found = self._by_target.get(prefix)
            if found is not None:
                return found
            if scope_service is None or scope_service not in self._by_signing_name:
                raise UnknownOperationError(
                    f"No service Airlock implements has the target prefix {prefix!r}."
                )
        if scope_service is not None:
            candidates = self._by_signing_name.get(scope_service, [])
            if len(candidates) > 1:
                # `sagemaker` signs both the JSON API and the REST runtime.
                rest = [r for r in candidates if r.protocol.startswith("rest")]
                candidates = rest if not target and rest else candidates
            if candidates:
                return candidates[0]
            if scope_service in _botocore_services():
                raise NotImplementedService(
                    f"Airlock does not implement the AWS service {scope_service!r}."
                )
            raise ClientFault(
                f"The credential scope names the service {scope_service!r}, which is not an "
                "AWS service.",
                code="UnrecognizedServiceException",
            )
        if "s3" in self.routes:
            return self.routes["s3"]  # anonymous requests are S3's
        raise ClientFault(
            "The request is not signed and does not name a service; sign it with SigV4.",
            code="MissingAuthenticationTokenException",
            http_status=403,
        )
