"""Pipeline definitions: parsed into a DAG, refused with messages that name step and field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airlock.sagemaker.pipelines.definition import InvalidDefinition, parse_definition


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


def test_a_definition_becomes_a_dag() -> None:
    parsed = parse_definition(definition([TRAIN, CHECK], ROUNDS))
    assert (
        parsed.order.index("Train") < parsed.order.index("Check") < parsed.order.index("Register")
    )
    assert parsed.steps["Register"].needs == {"Train", "Check"}
    assert parsed.conditional == {"Register", "Stop"}
    assert parsed.parameters["Rounds"]["DefaultValue"] == "20"


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
