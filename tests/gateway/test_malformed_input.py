"""Every implemented operation of every service, sent malformed input: never a 5xx.

Malformed requests get a 4xx in the service's own error shape; the only 5xx
allowed is 501 (an operation or service Airlock does not implement). Inputs come
from botocore's input shapes (tests/gateway/malformed.py) and go through botocore
with parameter validation off, so they reach the server as a careless or hostile
client would send them. The operations are those of the services the app is
built with, so a service added there is covered here without a change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.handlers import validate_bucket_name

from airlock.protocol import load_service_model
from airlock.protocol.validate import compile_pattern, validate
from airlock.services import SERVICES
from tests.gateway.malformed import Values, example, stand_ins, wire_path
from tests.support import LiveServer

CHUNK = 32  # operations per test, so xdist can spread the big services
CASES_PER_OPERATION = {"sqlite": 16, "postgres": 4}
# A client that sends what it is given, once, and names no host prefix.
RAW = Config(
    parameter_validation=False,
    retries={"max_attempts": 0},
    inject_host_prefix=False,
    s3={"addressing_style": "path"},
    connect_timeout=5,
    read_timeout=30,
)

TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", '
    '"Principal": {"Service": "sagemaker.amazonaws.com"}}]}'
)
# Resources named as the generated inputs name theirs ("fuzz"), so that calls with one
# fault get past "not found" into the operation; a service without a seed is still sent
# every case, it is only probed less deeply.
SEEDS: dict[str, Any] = {
    "organizations": lambda c: c.create_organization(FeatureSet="ALL"),
    "iam": lambda c: (
        c.create_user(UserName="fuzz"),
        c.create_group(GroupName="fuzz"),
        c.create_role(RoleName="fuzz", AssumeRolePolicyDocument=TRUST),
    ),
    "logs": lambda c: (
        c.create_log_group(logGroupName="fuzz"),
        c.create_log_stream(logGroupName="fuzz", logStreamName="fuzz"),
    ),
    "s3": lambda c: c.create_bucket(Bucket="fuzz"),
    "events": lambda c: c.put_rule(Name="fuzz", EventPattern='{"source": ["fuzz"]}'),
    "sagemaker": lambda c: c.create_model_package_group(ModelPackageGroupName="fuzz"),
    "codecommit": lambda c: (
        c.create_repository(repositoryName="fuzz"),
        c.put_file(repositoryName="fuzz", branchName="fuzz", filePath="fuzz", fileContent=b"f"),
    ),
}


def _chunks() -> list[Any]:
    params = []
    for api in SERVICES:
        names = sorted(api.operations)
        for start in range(0, len(names), CHUNK):
            part = names[start : start + CHUNK]
            params.append(pytest.param(api.name, part, id=f"{api.name}-{start // CHUNK}"))
    return params


@dataclass
class Exchange:
    """What botocore did with one call: whether it sent it, and the status it got."""

    sent: bool = False
    status: int | None = None
    # Answered by Airlock, not refused by the HTTP server before it (a header line
    # with a NUL, a 100 KB URL: uvicorn's plain-text 400, as a front end's at AWS).
    from_airlock: bool = False
    error: Exception | None = None
    # Values botocore would not serialize, set in the JSON body before it is signed.
    patches: list[tuple[tuple[Any, ...], Any]] = field(default_factory=list)

    def before_sign(self, request: Any, **_: Any) -> None:
        if not self.patches:
            return
        body = json.loads(request.data or b"{}")
        for path, value in self.patches:
            target = body
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        request.data = json.dumps(body).encode()

    def before_send(self, **_: Any) -> None:
        self.sent = True

    def answered(self, response_dict: dict[str, Any], **_: Any) -> None:
        self.status = response_dict["status_code"]
        self.from_airlock = "x-amzn-requestid" in {k.lower() for k in response_dict["headers"]}

    def received(self, exception: Exception | None, **_: Any) -> None:
        self.error = exception  # the answer could not be read (or never came)


@dataclass
class Tally:
    """Outcomes of every case of one test."""

    reached: int = 0
    not_sent: int = 0
    refused_by_http_server: int = 0
    faults: list[str] = field(default_factory=list)


def raw_client(server: LiveServer, service: str, exchange: Exchange) -> Any:
    """A client of the management account's root that validates nothing."""
    client = server.client(service, server.first_account_id(), config=RAW)
    client.meta.events.register("before-sign", exchange.before_sign)
    client.meta.events.register("before-send", exchange.before_send)
    client.meta.events.register("before-parse", exchange.answered)
    client.meta.events.register("response-received", exchange.received)
    if service == "s3":  # odd bucket names go to the server too
        client.meta.events.unregister("before-parameter-build.s3", validate_bucket_name)
    return client


def _close_streams(output: Any) -> None:
    for value in output.values() if isinstance(output, dict) else ():
        close = getattr(value, "close", None)
        if callable(close):
            close()


def send(client: Any, exchange: Exchange, operation: Any, params: dict[str, Any]) -> Any:
    """Make the call; returns the output, the ClientError, or what botocore raised."""
    exchange.sent, exchange.status, exchange.error = False, None, None
    exchange.from_airlock = False
    params, raws = stand_ins(params)
    exchange.patches = [(wire_path(operation.input_shape, path), value) for path, value in raws]
    try:
        output = getattr(client, xform_name(operation.name))(**params)
    except ClientError as error:
        return error
    except Exception as error:  # client-side failures (and unreadable answers) are judged later
        return error
    _close_streams(output)
    return output


def fuzz(server: LiveServer, service: str, operations: list[str], cases: int) -> Tally:
    """Send every operation its malformed cases; returns what happened."""
    exchange = Exchange()
    client = raw_client(server, service, exchange)
    model = load_service_model(service)
    values = Values(model, server.first_account_id(), server.settings.region)
    if service in SEEDS:
        SEEDS[service](server.client(service, server.first_account_id()))
    tally = Tally()
    for name in operations:
        operation = model.operation_model(name)
        for case in values.cases(operation.input_shape, cases):
            result = send(client, exchange, operation, case.params)
            if not exchange.sent:
                tally.not_sent += 1  # botocore could not serialize it: never reached the server
                continue
            tally.reached += 1
            status = exchange.status
            if status is None:
                tally.faults.append(f"{name} [{case.label}]: no answer ({exchange.error!r})")
            elif not exchange.from_airlock and status < 500:
                tally.refused_by_http_server += 1
            elif not isinstance(result, ClientError | dict):
                tally.faults.append(f"{name} [{case.label}]: unreadable answer: {result!r:.300}")
            elif 500 <= status <= 599 and status != 501:
                code = (
                    result.response["Error"].get("Code") if isinstance(result, ClientError) else ""
                )
                tally.faults.append(f"{name} [{case.label}]: HTTP {status} {code}")
    return tally


def _database(server: LiveServer) -> str:
    return "sqlite" if server.settings.database_url is None else "postgres"


@pytest.mark.parametrize(("service", "operations"), _chunks())
def test_malformed_input_never_fails_the_server(
    server_on_each_database: LiveServer, service: str, operations: list[str]
) -> None:
    server = server_on_each_database
    assert [api.name for api in server.airlock.apis] == [api.name for api in SERVICES]
    tally = fuzz(server, service, operations, CASES_PER_OPERATION[_database(server)])

    assert tally.faults == [], "\n".join(tally.faults)
    # Most cases must have reached the server, or this test would prove little.
    assert tally.reached >= tally.not_sent, tally
    assert tally.refused_by_http_server <= tally.reached // 4, tally
    identity = server.client("sts", server.first_account_id()).get_caller_identity()
    assert identity["Account"] == server.first_account_id()


def test_the_plausible_inputs_pass_validation() -> None:
    # One fault per case only probes the operation if the rest of the input is valid.
    failing = []
    total = 0
    for api in SERVICES:
        model = load_service_model(api.name)
        values = Values(model, "123456789012", "us-east-1")
        for name in api.operations:
            shape = model.operation_model(name).input_shape
            if shape is not None:
                total += 1
                if validate(shape, values.plausible(shape)):
                    failing.append(f"{api.name}:{name}")
    assert len(failing) <= total // 20, failing


@pytest.mark.parametrize(
    "pattern",
    [
        r"^(r-[0-9a-z]{4,32})|(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$",
        r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:pipeline\/.*\/execution\/.*$",
        r"[^\s]+\p{L}{2,}",
        r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
    ],
)
def test_an_example_matches_its_pattern(pattern: str) -> None:
    compiled = compile_pattern(pattern)
    assert compiled is not None
    found = example(compiled)
    assert found is not None and compiled.fullmatch(found)


def test_no_example_for_a_back_reference() -> None:
    assert example(re.compile(r"(a+)-\1")) is None


def test_every_case_has_one_fault() -> None:
    model = load_service_model("sagemaker")
    shape = model.operation_model("CreateModelPackageGroup").input_shape
    values = Values(model, "123456789012", "us-east-1")
    base = values.plausible(shape)
    cases = values.cases(shape, 12)
    assert [c.label for c in cases[:4]] == [
        "{}",
        "ModelPackageGroupName: wrong type",
        "ModelPackageGroupDescription: wrong type",
        "Tags: wrong type",
    ]
    assert cases[0].params == {}
    for case in cases[1:]:
        changed = {k for k in base.keys() | case.params.keys() if base.get(k) != case.params.get(k)}
        assert len(changed) == 1, case
