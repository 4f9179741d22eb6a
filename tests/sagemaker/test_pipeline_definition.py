"""Pipeline definitions: parsed into a DAG, refused with messages that name step and field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airlock.sagemaker.pipelines.definition import InvalidDefinition, parse_definition
from airlock.sagemaker.pipelines.retry import exception_type, next_attempt


def definition(steps: list[dict[str, Any]], parameters: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"Version": "2020-12-01", "Parameters": parameters or [], "Steps": steps})


TRAIN: dict[str, Any] = {
    "Name": "Train",
    "Type": "Training",
    "Arguments": {
        "HyperParameters": {"num_round": {"Get": "Parameters.Rounds"}},
        "OutputDataConfig": {
            "S3OutputPath": {
                "Std:Join": {
                    "On": "/",
                    "Values": ["s3://b", {"Get": "Execution.PipelineExecutionId"}],
                }
            }
        },
    },
}
REGISTER: dict[str, Any] = {
    "Name": "Register",
    "Type": "RegisterModel",
    "Arguments": {
        "InferenceSpecification": {
            "Containers": [{"ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}]
        }
    },
}
CHECK: dict[str, Any] = {
    "Name": "Check",
    "Type": "Condition",
    "Arguments": {
        "Conditions": [
            {
                "Type": "LessThanOrEqualTo",
                "LeftValue": {"Get": "Steps.Train.FinalMetricDataList['validation:merror'].Value"},
                "RightValue": 0.1,
            }
        ],
        "IfSteps": [REGISTER],
        "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "too poor"}}],
    },
}
ROUNDS = [{"Name": "Rounds", "Type": "String", "DefaultValue": "20"}]
RETRY = {"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "IntervalSeconds": 1, "MaxAttempts": 3}


def test_a_definition_becomes_a_dag() -> None:
    parsed = parse_definition(definition([TRAIN, CHECK], ROUNDS))
    assert (
        parsed.order.index("Train") < parsed.order.index("Check") < parsed.order.index("Register")
    )
    assert parsed.steps["Register"].needs == {"Train", "Check"}
    assert parsed.conditional == {"Register", "Stop"}
    assert parsed.parameters["Rounds"]["DefaultValue"] == "20"


def test_retry_policies_choose_failures_and_times() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    policies = [
        {"ExceptionType": ["SageMaker.CAPACITY_ERROR"], "IntervalSeconds": 10, "MaxAttempts": 2},
        {
            "ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"],
            "IntervalSeconds": 1,
            "ExpireAfterMin": 1,
        },
    ]
    capacity = exception_type("Training", "CapacityError: no ml.m5.large left")
    assert capacity == "SageMaker.CAPACITY_ERROR"
    # IntervalSeconds grows by BackoffRate (2.0 unless given): 10 s, then 20 s, then no more.
    assert next_attempt(policies, capacity, 0, start, start) == start + timedelta(seconds=10)
    assert next_attempt(policies, capacity, 1, start, start) == start + timedelta(seconds=20)
    assert next_attempt(policies, capacity, 2, start, start) is None
    internal = exception_type("Processing", "InternalServerError: disk")
    later = start + timedelta(seconds=50)
    assert next_attempt(policies, internal, 2, start, later) == later + timedelta(seconds=4)
    assert next_attempt(policies, internal, 4, start, later) is None, "past ExpireAfterMin"
    assert exception_type("Training", "AlgorithmError: exit 1") is None
    assert exception_type("RegisterModel", "InternalServerError: x") is None
    assert next_attempt(policies, None, 0, start, start) is None


@pytest.mark.parametrize(
    ("steps", "parameters", "message"),
    [
        (
            [{"Name": "X", "Type": "Lambda"}],
            [],
            "Step X: type Lambda is not supported. Supported: Training, Processing, "
            "RegisterModel, CreateModel, Model, Condition, Fail.",
        ),
        (
            [REGISTER],
            [],
            "Step Register: Arguments.InferenceSpecification.Containers[0]"
            ".ModelDataUrl refers to step Train, which does not exist.",
        ),
        (
            [TRAIN],
            [],
            "Step Train: Arguments.HyperParameters.num_round refers to parameter "
            "Rounds, which is not defined.",
        ),
        (
            [TRAIN],
            [{"Name": "Rounds", "Type": "Integer", "DefaultValue": "20"}],
            "Parameter Rounds: DefaultValue '20' is not of type Integer.",
        ),
        (
            [
                {"Name": "A", "Type": "Fail", "DependsOn": ["B"]},
                {"Name": "B", "Type": "Fail", "DependsOn": ["A"]},
            ],
            [],
            "The pipeline has a cycle among its steps: A -> B -> A.",
        ),
        (
            [{"Name": "A", "Type": "Fail", "DependsOn": ["Nope"]}],
            [],
            "Step A: DependsOn names step Nope, which does not exist.",
        ),
        (
            [{"Name": "A", "Type": "Fail"}, {"Name": "A", "Type": "Fail"}],
            [],
            "Step names must be unique: A appears twice.",
        ),
        (
            [{"Name": "A", "Type": "Fail", "RetryPolicies": [RETRY]}],
            [],
            "Step A: a Fail step cannot have RetryPolicies.",
        ),
        (
            [dict(TRAIN, RetryPolicies=[dict(RETRY, ExceptionType=["Step.OOPS"])])],
            ROUNDS,
            "Step Train: RetryPolicies[0].ExceptionType Step.OOPS is not one of "
            "Step.SERVICE_FAULT, Step.THROTTLING, SageMaker.JOB_INTERNAL_ERROR, "
            "SageMaker.CAPACITY_ERROR, SageMaker.RESOURCE_LIMIT.",
        ),
        (
            [dict(REGISTER, RetryPolicies=[RETRY])],
            [],
            "Step Register: RetryPolicies[0].ExceptionType SageMaker.JOB_INTERNAL_ERROR is not "
            "one of Step.SERVICE_FAULT, Step.THROTTLING.",
        ),
        (
            [dict(TRAIN, RetryPolicies=[dict(RETRY, ExpireAfterMin=5)])],
            ROUNDS,
            "Step Train: RetryPolicies[0] needs exactly one of MaxAttempts and ExpireAfterMin.",
        ),
        (
            [dict(TRAIN, RetryPolicies=[dict(RETRY, MaxAttempts=21)])],
            ROUNDS,
            "Step Train: RetryPolicies[0].MaxAttempts must be an integer from 1 to 20.",
        ),
        (
            [dict(TRAIN, RetryPolicies=[dict(RETRY, BackoffRate="fast")])],
            ROUNDS,
            "Step Train: RetryPolicies[0].BackoffRate must be a non-negative number.",
        ),
    ],
)
def test_invalid_definitions(
    steps: list[dict[str, Any]], parameters: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        parse_definition(definition(steps, parameters))
    assert str(caught.value) == message


def test_not_json() -> None:
    with pytest.raises(InvalidDefinition, match="not valid JSON"):
        parse_definition("{nope")


def test_branches_may_name_top_level_steps() -> None:
    by_name = dict(CHECK, Arguments=dict(CHECK["Arguments"], IfSteps=["Register"], ElseSteps=[]))
    parsed = parse_definition(definition([TRAIN, by_name, REGISTER], ROUNDS))
    assert parsed.steps["Register"].needs == {"Train", "Check"}
    assert parsed.conditional == {"Register"}
