"""The built-in XGBoost algorithm as a program: its channels, its model, and the metric lines
it prints (its hyperparameters: test_xgboost_hyperparameters.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from airlock.algorithms.xgboost import AlgorithmError, load_channel, metric_line, train
from airlock.sagemaker.training.runner import metrics_from_line


def test_metric_lines_round_trip() -> None:
    line = metric_line(3, {"train": {"merror": [0.1, 0.02]}, "validation": {"merror": [0.04]}})
    assert line == "[3]#011train-merror:0.02000#011validation-merror:0.04000"
    assert metrics_from_line(line, []) == {"train:merror": 0.02, "validation:merror": 0.04}
    custom = [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}]
    assert metrics_from_line("epoch 2 loss=0.25", custom) == {"loss": 0.25}
    assert metrics_from_line("nothing here", custom) == {}


def test_csv_weights_are_the_column_after_the_label(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "part.csv").write_text("1,0.5,3,4\n0,2,5,6\n")
    weighted = load_channel(tmp_path / "train", "text/csv", csv_weights=True)
    assert weighted.get_label().tolist() == [1, 0]
    assert weighted.get_weight().tolist() == [0.5, 2]
    assert weighted.num_col() == 2
    plain = load_channel(tmp_path / "train", "text/csv")
    assert (plain.num_col(), plain.get_weight().size) == (3, 0)
    (tmp_path / "narrow").mkdir()
    (tmp_path / "narrow" / "part.csv").write_text("1,0.5\n")
    with pytest.raises(AlgorithmError) as caught:
        load_channel(tmp_path / "narrow", "text/csv", csv_weights=True)
    assert str(caught.value) == (
        "Channel narrow: with csv_weights=1 a row holds the label, the weight and at least one "
        "feature; the data has 2 columns."
    )


def _job(ml: Path, hyperparameters: dict[str, str], tables: dict[str, np.ndarray]) -> None:
    config = ml / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (config / "inputdataconfig.json").write_text(
        json.dumps({name: {"ContentType": "text/csv"} for name in tables})
    )
    for name, table in tables.items():
        (ml / "input" / "data" / name).mkdir(parents=True)
        np.savetxt(ml / "input" / "data" / name / "part.csv", table, delimiter=",")


def test_early_stopping_keeps_the_best_rounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(5)

    def rows(count: int, flipped: float) -> np.ndarray:
        features = rng.normal(size=(count, 3))
        labels = (features[:, 0] + rng.normal(0, 0.5, count) > 0) ^ (rng.random(count) < flipped)
        return np.column_stack([labels, features])

    # Noisy validation labels: the loss falls for some rounds, then overfitting raises it.
    _job(
        tmp_path,
        {
            "num_round": "200",
            "objective": "binary:logistic",
            "eval_metric": "logloss",
            "max_depth": "6",
            "early_stopping_rounds": "4",
        },
        {"train": rows(150, 0.0), "validation": rows(150, 0.2)},
    )
    train(tmp_path)
    losses = [
        metrics_from_line(line, [])["validation:logloss"]
        for line in capsys.readouterr().out.splitlines()
    ]
    best = int(np.argmin(losses))
    assert 0 < best < len(losses) - 1 == best + 4 < 199
    booster = xgb.Booster()
    booster.load_model(bytearray((tmp_path / "model" / "xgboost-model").read_bytes()))
    assert booster.num_boosted_rounds() == best + 1
