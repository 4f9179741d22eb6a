"""botocore's service models: loaded once, with the wire protocol Airlock speaks for each."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session

SUPPORTED = ("json", "query", "rest-json", "rest-xml")


@cache
def _session() -> Any:
    return botocore.session.get_session()


@cache
def load_service_model(name: str) -> Any:
    """botocore's `ServiceModel` for a service name (`organizations`, `s3`…)."""
    return _session().get_service_model(name)


def protocol_of(model: Any) -> str:
    """The protocol to serve: the first of the model's protocols that Airlock speaks.

    Newer models list `smithy-rpc-v2-cbor` first and `json` after it; botocore
    itself falls back the same way when it lacks a protocol.
    """
    for protocol in model.metadata.get("protocols") or []:
        if protocol in SUPPORTED:
            return str(protocol)
    return str(model.metadata["protocol"])
