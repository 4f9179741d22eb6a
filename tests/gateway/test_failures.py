"""Unexpected failures inside an operation: an AWS-shaped 500 with a request id, never a trace."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy.exc import OperationalError

from airlock.core.api import ServiceApi
from airlock.core.context import RequestContext
from airlock.core.http import Headers, HttpRequest
from airlock.gateway import Airlock
from airlock.gateway.pipeline import Gateway
from airlock.identity import IdentityService
from airlock.settings import Settings


def broken_gateway(tmp_path: Path, error: Exception) -> tuple[Gateway, tuple[str, str]]:
    """A gateway whose only operation, organizations:ListRoots, raises `error`."""
    airlock = Airlock(Settings(state_dir=tmp_path, run_controllers=False))
    api: ServiceApi[Any] = ServiceApi("organizations", lambda platform, session: None)

    @api.operation("organizations:ListRoots")
    def list_roots(svc: Any, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        raise error

    with airlock.platform.db.read() as session:
        identity = IdentityService(session, airlock.platform.clock)
        key = identity.root_key(identity.list_accounts()[0].id)
        assert key is not None
        keys = (key.access_key_id, key.secret_access_key)
    return Gateway(airlock.platform, [api]), keys


def call(gateway: Gateway, keys: tuple[str, str]) -> tuple[int, dict[str, Any], Headers]:
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:4716/",
        data=b"{}",
        headers={
            "X-Amz-Target": "AWSOrganizationsV20161128.ListRoots",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials(*keys), "organizations", "us-east-1").add_auth(request)
    headers = Headers([*request.headers.items(), ("Host", "127.0.0.1:4716")])
    response = gateway.handle(HttpRequest("POST", "/", "", headers, b"{}"))
    return response.status, json.loads(response.data), response.headers


def test_unexpected_exception_is_internal_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gateway, keys = broken_gateway(tmp_path, RuntimeError("disk on fire"))
    with caplog.at_level(logging.ERROR, logger="airlock.gateway"):
        status, body, headers = call(gateway, keys)
    request_id = headers.get("x-amzn-RequestId")
    assert status == 500
    assert body["__type"] == "InternalFailure"
    assert request_id and request_id in body["message"]
    assert "disk on fire" not in body["message"]  # details stay in the server log
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "disk on fire" in str(logged[0].exc_info[1])


def test_database_outage_is_service_unavailable(tmp_path: Path) -> None:
    gateway, keys = broken_gateway(
        tmp_path, OperationalError("SELECT 1", {}, Exception("connection refused"))
    )
    status, body, _ = call(gateway, keys)
    assert status == 503
    assert body["__type"] == "ServiceUnavailable"
    assert "database" in body["message"]
