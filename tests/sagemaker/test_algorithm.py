"""The built-in XGBoost algorithm's inputs and the metric lines it prints, table-tested."""

from __future__ import annotations

import pytest

from airlock.algorithms.xgboost import AlgorithmError, metric_line, parse_hyperparameters
from airlock.sagemaker.training.runner import metrics_from_line


def test_hyperparameters_are_read_from_strings() -> None:
    params, rounds = parse_hyperparameters(
        {
            "num_round": "50",
            "objective": "multi:softprob",
            "num_class": "3",
            "eta": "0.2",
            "max_depth": "5",
            "sagemaker_region": '"us-east-1"',
        }
    )
    assert rounds == 50
    assert params == {"objective": "multi:softprob", "num_class": 3, "eta": 0.2, "max_depth": 5}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"eta": "0.1"}, "Hyperparameter num_round is required (the number of boosting rounds)."),
        ({"num_round": "ten"}, "Hyperparameter num_round='ten' is not an integer."),
        ({"num_round": "5", "eta": "fast"}, "Hyperparameter eta='fast' is not a number."),
        ({"num_round": "0"}, "Hyperparameter num_round must be at least 1."),
        (
            {"num_round": "5", "objective": "multi:softmax"},
            "Hyperparameter num_class is required for objective multi:softmax.",
        ),
    ],
)
def test_bad_hyperparameters(raw: dict[str, str], message: str) -> None:
    with pytest.raises(AlgorithmError) as caught:
        parse_hyperparameters(raw)
    assert str(caught.value) == message


def test_unknown_hyperparameters_are_named() -> None:
    with pytest.raises(AlgorithmError) as caught:
        parse_hyperparameters({"num_round": "5", "speed": "fast"})
    assert str(caught.value).startswith("Hyperparameter speed is not a parameter")
    assert "max_depth" in str(caught.value)


def test_metric_lines_round_trip() -> None:
    line = metric_line(3, {"train": {"merror": [0.1, 0.02]}, "validation": {"merror": [0.04]}})
    assert line == "[3]#011train-merror:0.02000#011validation-merror:0.04000"
    assert metrics_from_line(line, []) == {"train:merror": 0.02, "validation:merror": 0.04}
    custom = [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}]
    assert metrics_from_line("epoch 2 loss=0.25", custom) == {"loss": 0.25}
    assert metrics_from_line("nothing here", custom) == {}
