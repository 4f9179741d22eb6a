"""The shared CloudFormation templates deploy: setup, CreateStack, its resources and
outputs, refused parameters, and a DeleteStack that leaves nothing but what is retained."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.cloudformation.template import parse_template
from airlock.services import SERVICES
from tests.cloudformation.conformance import CASES, case_id, cases, refused_for_the_override
from tests.cloudformation.inventory import ENTRY, WITHOUT_ENTRY, inventory
from tests.cloudformation.setup_steps import Setup, create_request, delete, deploy
from tests.support import LiveServer

IMPLEMENTED = {type_name for api in SERVICES for type_name in api.resource_types}

# Cases whose types Airlock implements but that need a feature it does not have yet.
OUT_OF_SCOPE = {
    "sagemaker-multi-model-endpoint": (
        "needs SageMaker multi-model hosting (a PrimaryContainer with Mode MultiModel serving "
        "every archive under an S3 prefix): Airlock's models take one archive"
    ),
    "mlops-workshop-serverless-endpoint": (
        "needs SageMaker serverless inference (a production variant with ServerlessConfig): "
        "Airlock hosts instance-based variants only"
    ),
    "sagemaker-multi-model-batch-pipeline": (
        "needs a SageMaker pipeline Transform step (batch transform) and EventBridge targets "
        "that start a SageMaker pipeline (SageMakerPipelineParameters): Airlock has neither"
    ),
    "eventbridge-schedule-expressions": (
        "needs the nth-weekday form of EventBridge cron expressions (`2#1`, the first Monday "
        "of the month): Airlock's schedules take lists, ranges and steps only"
    ),
}


def _missing(case: dict[str, Any]) -> list[str]:
    """The case's resource types (its stack sets' instances' too) Airlock lacks."""
    nested = case.get("template_body_resource_types", {}).values()
    wanted = set(case["resource_types"]).union(*nested)
    return sorted(wanted - IMPLEMENTED)


def _reason(case: dict[str, Any]) -> str | None:
    """Why the case is not deployed, or None."""
    if not case["deployable"]:
        return f"not deployable on AWS as it is: {case['notes']}"
    if missing := _missing(case):
        return f"Airlock does not implement {', '.join(missing)} yet"
    return OUT_OF_SCOPE.get(case_id(case))


def _params() -> list[Any]:
    """(database, case): a case that deploys on SQLite and on PostgreSQL, one that does not
    once (on two workers the set took 50s, and 2m00s on a machine with a load of ten)."""
    params = []
    for case in cases():
        if _reason(case):
            params.append(pytest.param("sqlite", case, id=case_id(case)))
            continue
        params.append(pytest.param("sqlite", case, id=f"sqlite-{case_id(case)}"))
        postgres = pytest.mark.postgres
        params.append(
            pytest.param("postgres", case, id=f"postgres-{case_id(case)}", marks=postgres)
        )
    return params


def _refused(
    cfn: Any, name: str, body: str, parameters: dict[str, str], overrides: dict[str, str]
) -> None:
    """CreateStack with the invalid overrides fails with ValidationError, and makes no stack."""
    with pytest.raises(ClientError) as caught:
        cfn.create_stack(**create_request(name, body, parameters | overrides))
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert refused_for_the_override(parse_template(body), overrides, error["Message"]), error
    with pytest.raises(ClientError) as absent:
        cfn.describe_stacks(StackName=name)
    assert absent.value.response["Error"]["Message"] == f"Stack with id {name} does not exist"


def _resources(cfn: Any, stack_id: str) -> list[dict[str, Any]]:
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id)
    return [summary for page in pages for summary in page["StackResourceSummaries"]]


def _entry(resource: dict[str, Any]) -> str | None:
    type_name = resource["ResourceType"]
    assert type_name in ENTRY or type_name in WITHOUT_ENTRY, f"no inventory for {type_name}"
    entry = ENTRY.get(type_name)
    return entry(resource["PhysicalResourceId"]) if entry else None


@pytest.mark.parametrize(("database_url", "case"), _params(), indirect=["database_url"])
def test_deploy(
    database_url: str | None,
    case: dict[str, Any],
    record_property: Any,
    request: pytest.FixtureRequest,
) -> None:
    # Skipped in the test, not by a mark, so the conformance count lists it as excluded;
    # the server starts only for a case that deploys.
    record_property("conformance", "cloudformation deploy")
    if reason := _reason(case):
        pytest.skip(reason)
    server: LiveServer = request.getfixturevalue("server")
    account_id = server.first_account_id()
    setup = Setup(server, account_id)
    setup.run(case.get("setup", []))
    cfn = setup.client("cloudformation")
    parameters = {key: setup.fill(value) for key, value in case["parameters"].items()}
    body = (CASES / case["file"]).read_text()
    name = setup.fill(case["stack_name"])
    before = inventory(setup.client)
    if invalid := case.get("invalid_parameters"):
        overrides = {key: setup.fill(value) for key, value in invalid.items()}
        _refused(cfn, name, body, parameters, overrides)

    stack = deploy(cfn, name, body, parameters)
    resources = _resources(cfn, stack["StackId"])
    assert sorted(r["LogicalResourceId"] for r in resources) == case["expected_resources"]
    assert sorted(o["OutputKey"] for o in stack.get("Outputs", [])) == case["outputs"]
    made = inventory(setup.client)
    entries = {r["LogicalResourceId"]: _entry(r) for r in resources}
    assert [e for e in entries.values() if e and e not in made] == []

    delete(cfn, stack["StackId"])
    left = inventory(setup.client)
    retained = case.get("retained_resources", [])
    kept = {entry for logical_id in retained if (entry := entries[logical_id])}
    assert sorted(kept - left) == [], "a retained resource was deleted"
    leftover = [
        entry
        for entry in left - before
        if not any(entry == k or entry.startswith(f"{k} ") for k in kept)
    ]
    assert sorted(leftover) == [], "DeleteStack left these behind"
    assert sorted(before - left) == [], "DeleteStack deleted what the setup made"
    for stack_id in reversed(setup.stacks):
        delete(cfn, stack_id)
