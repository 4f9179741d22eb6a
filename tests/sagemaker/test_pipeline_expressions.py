"""Pipeline expressions and conditions, table-tested."""

from __future__ import annotations

from typing import Any

import pytest

from airlock.sagemaker.pipelines.expressions import (
    ExpressionError,
    Scope,
    condition_holds,
    resolve,
)

SCOPE = Scope(
    parameters={"Rounds": 20, "Bucket": "ml"},
    execution={"PipelineExecutionId": "abc123"},
    steps={
        "Train": {
            "ModelArtifacts": {"S3ModelArtifacts": "s3://ml/out/model.tar.gz"},
            "FinalMetricDataList": [
                {"MetricName": "validation:merror", "Value": 0.04},
                {"MetricName": "train:merror", "Value": 0.01},
            ],
        },
        "Eval": {
            "ProcessingOutputConfig": {
                "Outputs": [{"OutputName": "evaluation", "S3Output": {"S3Uri": "s3://ml/eval"}}]
            }
        },
    },
    property_file=lambda step, name: {"metrics": {"accuracy": {"value": 0.95}}},
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"Get": "Parameters.Rounds"}, 20),
        ({"Get": "Execution.PipelineExecutionId"}, "abc123"),
        ({"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}, "s3://ml/out/model.tar.gz"),
        ({"Get": "Steps.Train.FinalMetricDataList['validation:merror'].Value"}, 0.04),
        (
            {"Get": "Steps.Eval.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"},
            "s3://ml/eval",
        ),
        (
            {"Std:Join": {"On": "/", "Values": ["s3:/", {"Get": "Parameters.Bucket"}, 7]}},
            "s3://ml/7",
        ),
        (
            {
                "Std:JsonGet": {
                    "PropertyFile": {"Get": "Steps.Eval.PropertyFiles.EvaluationReport"},
                    "Path": "metrics.accuracy.value",
                }
            },
            0.95,
        ),
        ({"Nested": [{"Get": "Parameters.Rounds"}]}, {"Nested": [20]}),
    ],
)
def test_resolve(expression: Any, expected: Any) -> None:
    assert resolve(expression, SCOPE) == expected


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (
            {
                "Type": "LessThanOrEqualTo",
                "LeftValue": {"Get": "Steps.Train.FinalMetricDataList['validation:merror'].Value"},
                "RightValue": 0.1,
            },
            True,
        ),
        ({"Type": "GreaterThan", "LeftValue": 0.04, "RightValue": 0.1}, False),
        ({"Type": "Equals", "LeftValue": {"Get": "Parameters.Bucket"}, "RightValue": "ml"}, True),
        ({"Type": "In", "QueryValue": 20, "Values": [10, {"Get": "Parameters.Rounds"}]}, True),
        ({"Type": "Not", "Condition": {"Type": "Equals", "LeftValue": 1, "RightValue": 1}}, False),
        (
            {
                "Type": "Or",
                "Conditions": [
                    {"Type": "Equals", "LeftValue": 1, "RightValue": 2},
                    {"Type": "NotEquals", "LeftValue": 1, "RightValue": 2},
                ],
            },
            True,
        ),
    ],
)
def test_conditions(condition: dict[str, Any], holds: bool) -> None:
    assert condition_holds(condition, SCOPE) is holds


def test_errors_say_what_is_missing() -> None:
    with pytest.raises(ExpressionError, match="step Later has not finished"):
        resolve({"Get": "Steps.Later.ModelArtifacts.S3ModelArtifacts"}, SCOPE)
    with pytest.raises(ExpressionError, match="no entry named test:merror"):
        resolve({"Get": "Steps.Train.FinalMetricDataList['test:merror'].Value"}, SCOPE)
    with pytest.raises(ExpressionError, match="cannot compare"):
        condition_holds({"Type": "LessThan", "LeftValue": "a", "RightValue": 1}, SCOPE)
