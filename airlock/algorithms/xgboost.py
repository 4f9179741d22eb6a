"""The built-in XGBoost algorithm, as SageMaker's `sagemaker-xgboost` container runs it.

Run as a program inside a job's `/opt/ml` (`python -m airlock.algorithms.xgboost`):
hyperparameters arrive as strings in `input/config/hyperparameters.json`; the `train`
and optional `validation` channels hold `text/csv` (label first, no header) or
`text/libsvm`; every round prints the container's metric line
(`[3]#011train-merror:0.02#011validation-merror:0.04`); the model is saved as
`model/xgboost-model`. A problem is reported on stderr and in `output/failure`, as
SageMaker's containers do, with exit status 1.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# Hyperparameters the algorithm takes, with how to read their string values.
INTEGERS = {
    "num_round",
    "max_depth",
    "num_class",
    "min_child_weight",
    "max_delta_step",
    "early_stopping_rounds",
    "seed",
    "max_bin",
    "max_leaves",
    "num_parallel_tree",
    "nthread",
    "verbosity",
}
FLOATS = {
    "eta",
    "gamma",
    "subsample",
    "colsample_bytree",
    "colsample_bylevel",
    "colsample_bynode",
    "lambda",
    "alpha",
    "scale_pos_weight",
    "base_score",
    "tweedie_variance_power",
    "max_cat_to_onehot",
    "sketch_eps",
}
STRINGS = {
    "objective",
    "eval_metric",
    "booster",
    "tree_method",
    "grow_policy",
    "sample_type",
    "normalize_type",
    "process_type",
    "updater",
    "csv_weights",
    "interaction_constraints",
    "monotone_constraints",
    "_kfold",
    "_tuning_objective_metric",
}
# The metric the container reports when eval_metric is not given.
DEFAULT_METRICS = {"multi": "merror", "binary": "error", "reg": "rmse", "rank": "map"}
# Passed by SageMaker's SDK and tools; not the algorithm's business.
IGNORED_PREFIXES = ("sagemaker_", "_")


class AlgorithmError(Exception):
    """Input the algorithm refuses; the message is the job's FailureReason."""


def parse_hyperparameters(raw: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """XGBoost parameters and the number of rounds, from SageMaker's string values."""
    if "num_round" not in raw:
        raise AlgorithmError(
            "Hyperparameter num_round is required (the number of boosting rounds)."
        )
    params: dict[str, Any] = {}
    for name, value in raw.items():
        text = str(value).strip().strip('"')
        if name in INTEGERS:
            try:
                params[name] = int(float(text))
            except ValueError as error:
                raise AlgorithmError(
                    f"Hyperparameter {name}={value!r} is not an integer."
                ) from error
        elif name in FLOATS:
            try:
                params[name] = float(text)
            except ValueError as error:
                raise AlgorithmError(f"Hyperparameter {name}={value!r} is not a number.") from error
        elif name in STRINGS:
            params[name] = text
        elif name.startswith(IGNORED_PREFIXES):
            continue
        else:
            known = sorted(INTEGERS | FLOATS | STRINGS - {"_kfold", "_tuning_objective_metric"})
            raise AlgorithmError(
                f"Hyperparameter {name} is not a parameter of the XGBoost algorithm. "
                f"Known: {', '.join(known)}."
            )
    rounds = params.pop("num_round")
    if rounds < 1:
        raise AlgorithmError("Hyperparameter num_round must be at least 1.")
    if str(params.get("objective", "")).startswith("multi:") and "num_class" not in params:
        raise AlgorithmError(
            f"Hyperparameter num_class is required for objective {params['objective']}."
        )
    return params, rounds


def _files(channel: Path) -> list[Path]:
    return sorted(p for p in channel.rglob("*") if p.is_file() and not p.name.startswith("."))


def load_channel(channel: Path, content_type: str) -> Any:
    """A DMatrix of every file in a channel folder."""
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
    return xgb.DMatrix(table[:, 1:], label=table[:, 0])


def train(ml: Path) -> None:
    """Train from `ml`'s inputs and save the model into `ml/model`."""
    import xgboost as xgb

    config = ml / "input" / "config"
    raw = json.loads((config / "hyperparameters.json").read_text() or "{}")
    params, rounds = parse_hyperparameters(raw)
    data_config = json.loads((config / "inputdataconfig.json").read_text() or "{}")
    if "train" not in data_config:
        raise AlgorithmError("The XGBoost algorithm needs a channel named train.")
    matrices = []
    for name in ("train", "validation"):
        if name in data_config:
            content_type = data_config[name].get("ContentType", "text/csv")
            matrices.append((load_channel(ml / "input" / "data" / name, content_type), name))
    params.setdefault("verbosity", 0)
    objective = str(params.get("objective", "reg:squarederror"))
    if "eval_metric" not in params:  # the container's defaults, by kind of objective
        params["eval_metric"] = DEFAULT_METRICS.get(objective.split(":")[0], "rmse")
    booster = xgb.train(
        params,
        matrices[0][0],
        num_boost_round=rounds,
        evals=matrices,
        callbacks=[_metric_lines()],
    )
    (ml / "model").mkdir(parents=True, exist_ok=True)
    booster.save_model(str(ml / "model" / "xgboost-model"))


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
