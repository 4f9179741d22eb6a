"""The thirty shared CloudFormation templates: summary, parameters, plan, properties, outputs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from airlock.cloudformation.template import (
    ParameterError,
    check_template,
    parse_template,
    plan,
    resolve_parameters,
    template_summary,
)
from tests.cloudformation.conformance import (
    CASES,
    case_id,
    cases,
    placeholders,
    refused_for_the_override,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"


class _FakeAttributes(Mapping[str, Any]):
    """Any attribute of a resource: its name, or an ARN-shaped string for `…Arn`."""

    def __init__(self, logical_id: str) -> None:
        self.logical_id = logical_id

    def __getitem__(self, name: str) -> Any:
        if name == "Ref":
            return self.logical_id
        if name.endswith("Arn"):
            # Templates take ARNs apart with Fn::Split and Fn::Select.
            return f"arn:aws:fake:{REGION}:{ACCOUNT}:{self.logical_id.lower()}/{self.logical_id}"
        return f"{self.logical_id}.{name}"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _placeholders(value: str, made: Mapping[str, str]) -> str:
    return placeholders(value, made, ACCOUNT, REGION)


def _made(step: dict[str, Any], made: Mapping[str, str]) -> str:
    """A plausible value for what a setup step makes (see the conformance README)."""
    kind = step["kind"]
    name = _placeholders(step.get("name", ""), made)
    if kind == "iam-role":
        return f"arn:aws:iam::{ACCOUNT}:role{step.get('path', '/')}{name}"
    if kind == "iam-user":
        return f"arn:aws:iam::{ACCOUNT}:user/{name}"
    if kind == "s3-object":
        return f"s3://{_placeholders(step['bucket'], made)}/{step['key']}"
    if kind == "model-package":
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{step['group']}/1"
    if kind == "event-bus":
        return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
    if kind == "sc-portfolio":
        return "port-abcdefghijklm"
    if kind == "stack":
        return _placeholders(step["stack_name"], made)
    if kind == "organization-ou":
        return "ou-abcd-12345678"
    # s3-bucket and export: their name.
    return name


def _parameters(case: dict[str, Any]) -> dict[str, str]:
    made: dict[str, str] = {}
    for step in case.get("setup", []):
        if "id" in step:
            made[step["id"]] = _made(step, made)
    return {key: _placeholders(value, made) for key, value in case["parameters"].items()}


def _pseudo(case: dict[str, Any]) -> dict[str, str]:
    name = _placeholders(case["stack_name"], {})
    return {
        "AWS::AccountId": ACCOUNT,
        "AWS::Region": REGION,
        "AWS::StackName": name,
        "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/1",
    }


def _ssm(name: str) -> str:
    # The one template with SSM parameters reads comma-separated ids from them.
    return f"{name}-1,{name}-2"


def _template(case: dict[str, Any]) -> dict[str, Any]:
    return parse_template((CASES / case["file"]).read_text())


def _values(
    case: dict[str, Any], template: dict[str, Any], given: dict[str, str]
) -> dict[str, Any]:
    ssm = any(
        kind.startswith("AWS::SSM::Parameter::Value") for kind in case["parameter_types"].values()
    )
    if ssm:
        with pytest.raises(ParameterError, match="Airlock has no Parameter Store"):
            resolve_parameters(template, given, pseudo=_pseudo(case))
    return resolve_parameters(template, given, pseudo=_pseudo(case), ssm=_ssm if ssm else None)


def test_the_cases_are_there() -> None:
    if not CASES.is_dir():
        pytest.skip(f"{CASES} is absent (the shared conformance data sits beside the checkout)")
    assert len(cases()) == 30


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_summary(case: dict[str, Any], record_property: Any) -> None:
    record_property("conformance", "cloudformation templates")
    template = _template(case)
    check_template(template)
    summary = template_summary(template)
    assert set(summary["ResourceTypes"]) == set(case["resource_types"])
    types = {entry["ParameterKey"]: entry["ParameterType"] for entry in summary["Parameters"]}
    assert sorted(types) == case["declared_parameters"]
    assert types == case["parameter_types"]


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_plan(case: dict[str, Any], record_property: Any) -> None:
    record_property("conformance", "cloudformation templates")
    template = _template(case)
    values = _values(case, template, _parameters(case))
    evaluated = plan(template, values, _pseudo(case))
    assert sorted(evaluated.resources) == case["expected_resources"]
    order = evaluated.order()
    assert sorted(order) == case["expected_resources"]
    for logical_id in order:
        assert all(
            order.index(needed) < order.index(logical_id)
            for needed in evaluated.dependencies[logical_id]
        )
        evaluated.properties(logical_id, _FakeAttributes, lambda name: "imported")
    outputs = evaluated.outputs(_FakeAttributes, lambda name: "imported")
    assert sorted(output["OutputKey"] for output in outputs) == case["outputs"]
    assert all(isinstance(output["OutputValue"], str) for output in outputs)
    retained = [
        logical_id
        for logical_id, resource in evaluated.resources.items()
        if resource.get("DeletionPolicy") == "Retain"
    ]
    assert sorted(retained) == sorted(case.get("retained_resources", []))


INVALID = [case for case in cases() if case.get("invalid_parameters")]


@pytest.mark.parametrize("case", INVALID, ids=case_id)
def test_invalid_parameters_are_refused(case: dict[str, Any], record_property: Any) -> None:
    record_property("conformance", "cloudformation templates")
    template = _template(case)
    given = {**_parameters(case), **case["invalid_parameters"]}
    with pytest.raises(ParameterError) as raised:
        resolve_parameters(template, given, pseudo=_pseudo(case))
    assert refused_for_the_override(template, case["invalid_parameters"], raised.value.message)
