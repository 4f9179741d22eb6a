"""The built-in XGBoost algorithm, as SageMaker's `sagemaker-xgboost` container runs it.

Run as a program inside a job's `/opt/ml` (`python -m airlock.algorithms.xgboost`):
hyperparameters arrive as strings in `input/config/hyperparameters.json` (SageMaker's
documented list, see `xgboost_hyperparameters`); the `train` and optional `validation`
channels hold `text/csv` (label first, then the weight with `csv_weights=1`, no header)
or `text/libsvm`; every round prints the container's metric line
(`[3]#011train-merror:0.02#011validation-merror:0.04`); the model is saved as
`model/xgboost-model`, up to its best round when `early_stopping_rounds` stopped it. A
problem is reported on stderr and in `output/failure`, as SageMaker's containers do, with
exit status 1."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from airlock.algorithms.xgboost_hyperparameters import AlgorithmError, parse_hyperparameters

__all__ = [
    "AlgorithmError",
    "load_channel",
    "main",
    "metric_line",
    "parse_hyperparameters",
    "train",
]

# The metric the container reports when eval_metric is not given.
DEFAULT_METRICS = {"multi": "merror", "binary": "error", "reg": "rmse", "rank": "map"}


def _files(channel: Path) -> list[Path]:
    return sorted(p for p in channel.rglob("*") if p.is_file() and not p.name.startswith("."))


def load_channel(channel: Path, content_type: str, csv_weights: bool = False) -> Any:
    """A DMatrix of every file in a channel folder (CSV: label, then weight if `csv_weights`)."""
    import numpy as np
    import xgboost as xgb

    files = _files(channel)
    if not files:
        raise AlgorithmError(f"Channel {channel.name} has no data files.")
    kind = (content_type or "text/csv").split(";")[0].strip().lower()
    if kind in ("text/libsvm", "libsvm"):
        if len(files) > 1:
            raise AlgorithmError(f"Channel {channel.name}: give libsvm data as one file.")
        return xgb.DMatrix(f"{files[0]}?format=libsvm")
    if kind not in ("text/csv", "csv"):
        raise AlgorithmError(
            f"Content type {content_type} of channel {channel.name} is not supported: "
            "use text/csv or text/libsvm."
        )
    rows = []
    for path in files:
        try:
            data = np.loadtxt(path, delimiter=",", ndmin=2)
        except ValueError as error:
            raise AlgorithmError(
                f"{path.name} in channel {channel.name} is not numeric CSV with the label "
                f"in the first column and no header: {error}"
            ) from error
        rows.append(data)
    table = np.vstack(rows)
    if not csv_weights:
        return xgb.DMatrix(table[:, 1:], label=table[:, 0])
    if table.shape[1] < 3:
        raise AlgorithmError(
            f"Channel {channel.name}: with csv_weights=1 a row holds the label, the weight and "
            f"at least one feature; the data has {table.shape[1]} columns."
        )
    return xgb.DMatrix(table[:, 2:], label=table[:, 0], weight=table[:, 1])


def train(ml: Path) -> None:
    """Train from `ml`'s inputs and save the model into `ml/model`."""
    import xgboost as xgb

    config = ml / "input" / "config"
    raw = json.loads((config / "hyperparameters.json").read_text() or "{}")
    training = parse_hyperparameters(raw)
    data_config = json.loads((config / "inputdataconfig.json").read_text() or "{}")
    if "train" not in data_config:
        raise AlgorithmError("The XGBoost algorithm needs a channel named train.")
    matrices = []
    for name in ("train", "validation"):
        if name in data_config:
            content_type = data_config[name].get("ContentType", "text/csv")
            folder = ml / "input" / "data" / name
            matrices.append((load_channel(folder, content_type, training.csv_weights), name))
    params = dict(training.params)
    params.setdefault("verbosity", 0)
    objective = str(params.get("objective", "reg:squarederror"))
    if "eval_metric" not in params:  # the container's defaults, by kind of objective
        params["eval_metric"] = DEFAULT_METRICS.get(objective.split(":")[0], "rmse")
    booster = xgb.train(
        params,
        matrices[0][0],
        num_boost_round=training.rounds,
        evals=matrices,
        early_stopping_rounds=training.early_stopping_rounds,
        verbose_eval=False,  # the callback prints the rounds, the container's way
        callbacks=[_metric_lines()],
    )
    # SageMaker hosts the best model: the rounds after the best one are left out (a linear
    # model is one set of weights, which XGBoost cannot cut back to a round).
    if training.early_stopping_rounds and params.get("booster") != "gblinear":
        booster = booster[: booster.best_iteration + 1]
    (ml / "model").mkdir(parents=True, exist_ok=True)
    # The bytes save_model writes by default, without its warning that it chose them.
    (ml / "model" / "xgboost-model").write_bytes(booster.save_raw(raw_format="ubj"))


def metric_line(epoch: int, evals_log: dict[str, Any]) -> str:
    """One round's evaluation the way SageMaker's container prints it (tabs as #011)."""
    parts = [f"[{epoch}]"]
    for data, metrics in evals_log.items():
        for metric, values in metrics.items():
            parts.append(f"{data}-{metric}:{values[-1]:.5f}")
    return "#011".join(parts)


def _metric_lines() -> Any:
    import xgboost as xgb

    class MetricLines(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            print(metric_line(epoch, evals_log), flush=True)
            return False

    return MetricLines()


def main() -> int:
    """Entry point inside the job."""
    # xgboost imports scikit-learn when it is installed (1 s of a 2 s job); the
    # algorithm uses none of it, so its import is refused here.
    sys.modules.setdefault("sklearn", None)  # type: ignore[arg-type]
    ml = Path(os.environ.get("SM_ML_ROOT", "/opt/ml"))
    try:
        train(ml)
    except AlgorithmError as error:
        message = f"ClientError: {error}"
        print(message, file=sys.stderr, flush=True)
        (ml / "output").mkdir(parents=True, exist_ok=True)
        (ml / "output" / "failure").write_text(message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
