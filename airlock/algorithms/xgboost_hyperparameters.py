"""The built-in XGBoost algorithm's hyperparameters: SageMaker's documented list, read from
strings, checked against the documented ranges, and mapped onto the installed XGBoost.

SageMaker's "XGBoost hyperparameters" page has listed these names for the container
versions it serves (0.90-1 to 1.7-1), and notebooks written for the older ones still pass
them. XGBoost 2 and 3 (`xgboost-cpu` starts at 2.1) took some of them out, and XGBoost
warns `Parameters: { ... } are not used` for every parameter the configured booster and
objective do not read, so XGBoost is handed only what it uses:

- `silent` (0/1) becomes `verbosity` (1/0) unless `verbosity` is given too;
- `lambda_bias`, `sketch_eps`, `single_precision_histogram` and `deterministic_histogram`
  are no parameters of XGBoost 2 (gblinear fits no separate bias penalty; `approx` bins
  with `max_bin`; histograms are built one way) and are dropped;
- the DART parameters (`rate_drop`, `one_drop`, `skip_drop`, `sample_type`,
  `normalize_type`) go to XGBoost with booster dart only, the tree parameters with gbtree
  and dart only, `scale_pos_weight` and `tweedie_variance_power` with the objectives that
  read them only;
- `tree_method=gpu_hist` is `hist` (this XGBoost trains on the CPU); updaters XGBoost took
  out are the ones that replaced them; objective `reg:linear` is `reg:squarederror`;
- `num_round`, `early_stopping_rounds` and `csv_weights` are the algorithm's own settings.

Names the page does not list are refused, as the container refuses them (but for
`num_parallel_tree` and `max_cat_to_onehot`, which the container takes too). The list and
what each booster and objective reads were checked by training with XGBoost 2.1 and 3.2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

# Whether XGBoost reads a parameter, given the booster and the objective.
Usage = Callable[[str, str], bool]
Kind = Literal["integer", "number", "choice", "text"]


class AlgorithmError(Exception):
    """Input the algorithm refuses; the message is the job's FailureReason."""


def _always(booster: str, objective: str) -> bool:
    return True


def _never(booster: str, objective: str) -> bool:
    return False


def _trees(booster: str, objective: str) -> bool:
    return booster in ("gbtree", "dart")


def _dart(booster: str, objective: str) -> bool:
    return booster == "dart"


def _objectives(*names: str) -> Usage:
    return lambda booster, objective: objective in names


def _trees_or_poisson(booster: str, objective: str) -> bool:
    # max_delta_step is a tree parameter, and count:poisson's own whatever the booster.
    return _trees(booster, objective) or objective == "count:poisson"


@dataclass(frozen=True)
class Hyperparameter:
    """A documented hyperparameter: how its string is read, what it may be, who reads it."""

    name: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    choices: tuple[str, ...] = ()
    used: Usage = _always

    def bounds(self) -> str | None:
        """The documented valid values in words (`in [0, 1]`, `at least 1`), if limited."""
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        if self.low is not None and self.high is not None:
            left = "(" if self.open_low else "["
            right = ")" if self.open_high else "]"
            return f"in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"{'greater than' if self.open_low else 'at least'} {self.low:g}"
        return None

    def read(self, value: Any) -> Any:
        """The value SageMaker sent as a string, or AlgorithmError naming what is wrong."""
        text = str(value).strip().strip('"')
        if self.kind == "text":
            return text
        if self.kind == "choice":
            if text not in self.choices:
                raise AlgorithmError(
                    f"Hyperparameter {self.name}={value!r} must be {self.bounds()}."
                )
            return text
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if self.kind == "integer" and not number.is_integer():  # nan and inf are not
            raise AlgorithmError(f"Hyperparameter {self.name}={value!r} is not an integer.")
        if not math.isfinite(number):
            raise AlgorithmError(f"Hyperparameter {self.name}={value!r} is not a number.")
        below = self.low is not None and (
            number < self.low or (self.open_low and number == self.low)
        )
        above = self.high is not None and (
            number > self.high or (self.open_high and number == self.high)
        )
        if below or above:
            raise AlgorithmError(f"Hyperparameter {self.name}={value!r} must be {self.bounds()}.")
        return int(number) if self.kind == "integer" else number


def _integer(
    name: str, low: float | None = None, high: float | None = None, used: Usage = _always
) -> Hyperparameter:
    return Hyperparameter(name, "integer", low, high, used=used)


def _number(
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    open_low: bool = False,
    open_high: bool = False,
    used: Usage = _always,
) -> Hyperparameter:
    return Hyperparameter(name, "number", low, high, open_low, open_high, used=used)


def _choice(name: str, *choices: str, used: Usage = _always) -> Hyperparameter:
    return Hyperparameter(name, "choice", choices=choices, used=used)


def _text(name: str, used: Usage = _always) -> Hyperparameter:
    return Hyperparameter(name, "text", used=used)


# SageMaker's list with its valid values. Where the page says only "integer" or "float" and
# XGBoost or the container refuses part of that (a negative alpha, max_bin 1), the bound is
# theirs, so the job fails here with the reason rather than inside XGBoost.
DOCUMENTED = {
    spec.name: spec
    for spec in (
        _integer("num_round", 1),
        _integer("num_class", 2),
        _number("alpha", 0),
        _number("base_score"),
        _choice("booster", "gbtree", "gblinear", "dart"),
        _number("colsample_bylevel", 0, 1, used=_trees),
        _number("colsample_bynode", 0, 1, open_low=True, used=_trees),
        _number("colsample_bytree", 0, 1, used=_trees),
        _integer("csv_weights", 0, 1),
        _choice("deterministic_histogram", "true", "false", used=_never),
        _integer("early_stopping_rounds", 1),
        _number("eta", 0, 1),
        _text("eval_metric"),
        _number("gamma", 0, used=_trees),
        _choice("grow_policy", "depthwise", "lossguide", used=_trees),
        _text("interaction_constraints", used=_trees),
        _number("lambda", 0),
        _number("lambda_bias", 0, 1, used=_never),
        _integer("max_bin", 2, used=_trees),
        _number("max_delta_step", 0, used=_trees_or_poisson),
        _integer("max_depth", 0, used=_trees),
        _integer("max_leaves", 0, used=_trees),
        _number("min_child_weight", 0, used=_trees),
        _text("monotone_constraints", used=_trees),
        _choice("normalize_type", "tree", "forest", used=_dart),
        _integer("nthread", 1),
        _text("objective"),
        _integer("one_drop", 0, 1, used=_dart),
        _choice("process_type", "default", "update", used=_trees),
        _number("rate_drop", 0, 1, used=_dart),
        _integer("refresh_leaf", 0, 1, used=_trees),
        _choice("sample_type", "uniform", "weighted", used=_dart),
        # The objectives whose gradient weighs the positive class by it (found by running
        # XGBoost: the others warn that it is not used).
        _number(
            "scale_pos_weight",
            0,
            open_low=True,
            used=_objectives(
                "reg:squarederror",
                "reg:logistic",
                "binary:logistic",
                "binary:logitraw",
                "reg:gamma",
            ),
        ),
        _integer("seed"),
        _integer("silent", 0, 1),
        _choice("single_precision_histogram", "true", "false", used=_never),
        _number("sketch_eps", 0, 1, used=_never),
        _number("skip_drop", 0, 1, used=_dart),
        _number("subsample", 0, 1, used=_trees),
        _choice("tree_method", "auto", "exact", "approx", "hist", "gpu_hist", used=_trees),
        _number(
            "tweedie_variance_power",
            1,
            2,
            open_low=True,
            open_high=True,
            used=_objectives("reg:tweedie"),
        ),
        _text("updater"),
        _integer("verbosity", 0, 3),
    )
}
# Not on the page but taken by the container's validation, and by this algorithm before.
EXTRA = {
    spec.name: spec
    for spec in (
        _integer("num_parallel_tree", 1, used=_trees),
        _integer("max_cat_to_onehot", 1, used=_trees),
    )
}
KNOWN = DOCUMENTED | EXTRA
# The algorithm's own settings, not XGBoost parameters.
SETTINGS = ("num_round", "early_stopping_rounds", "csv_weights", "silent")
# Passed by SageMaker's SDK and tools (`sagemaker_region`, `_tuning_objective_metric`);
# not the algorithm's business.
IGNORED_PREFIXES = ("sagemaker_", "_")

TREE_UPDATERS = ("grow_colmaker", "grow_histmaker", "grow_quantile_histmaker")
TREE_PLUGINS = ("sync", "refresh", "prune")
LINEAR_UPDATERS = ("shotgun", "coord_descent")
# Updaters XGBoost took out, and the ones that do their work now.
REPLACED_UPDATERS = {
    "distcol": "grow_colmaker",
    "grow_local_histmaker": "grow_histmaker",
    "grow_skmaker": "grow_histmaker",
}
REPLACED_OBJECTIVES = {"reg:linear": "reg:squarederror"}


@dataclass(frozen=True)
class Training:
    """A job's training, from its hyperparameters: XGBoost's parameters and the algorithm's."""

    params: dict[str, Any]
    rounds: int
    early_stopping_rounds: int | None = None
    # The CSV column after the label holds each row's weight.
    csv_weights: bool = False


def parse_hyperparameters(raw: dict[str, Any]) -> Training:
    """The training SageMaker's string hyperparameters ask for, or AlgorithmError."""
    if "num_round" not in raw:
        raise AlgorithmError(
            "Hyperparameter num_round is required (the number of boosting rounds)."
        )
    values: dict[str, Any] = {}
    for name, value in raw.items():
        spec = KNOWN.get(name)
        if spec is not None:
            values[name] = spec.read(value)
        elif not name.startswith(IGNORED_PREFIXES):
            raise AlgorithmError(
                f"Hyperparameter {name} is not a parameter of the XGBoost algorithm. "
                f"Known: {', '.join(sorted(KNOWN))}."
            )
    if "objective" in values:
        values["objective"] = REPLACED_OBJECTIVES.get(values["objective"], values["objective"])
    objective = values.get("objective", "reg:squarederror")
    if objective.startswith("multi:") and "num_class" not in values:
        raise AlgorithmError(f"Hyperparameter num_class is required for objective {objective}.")
    booster = values.get("booster", "gbtree")
    if values.get("process_type") == "update":
        raise AlgorithmError(
            "Hyperparameter process_type=update refreshes the trees of an existing model, and "
            "Airlock's XGBoost algorithm trains new models only (it takes no model channel): "
            "use process_type=default."
        )
    if "updater" in values:
        values["updater"] = _updaters(values["updater"], booster)
    if values.get("tree_method") == "gpu_hist":
        values["tree_method"] = "hist"
    if "eval_metric" in values:
        metrics = [m.strip() for m in values["eval_metric"].split(",") if m.strip()]
        values["eval_metric"] = metrics[0] if len(metrics) == 1 else metrics
    params = {
        name: value
        for name, value in values.items()
        if name not in SETTINGS and KNOWN[name].used(booster, objective)
    }
    if "silent" in values and "verbosity" not in values:
        params["verbosity"] = 1 - values["silent"]
    return Training(
        params=params,
        rounds=values["num_round"],
        early_stopping_rounds=values.get("early_stopping_rounds"),
        csv_weights=values.get("csv_weights", 0) == 1,
    )


def _updaters(text: str, booster: str) -> str:
    """The updater sequence for the installed XGBoost, after the container's checks."""
    names = [REPLACED_UPDATERS.get(n.strip(), n.strip()) for n in text.split(",") if n.strip()]
    if booster == "gblinear":
        if len(names) != 1 or names[0] not in LINEAR_UPDATERS:
            raise AlgorithmError(
                f"Hyperparameter updater={text!r}: booster gblinear takes one updater, "
                f"{' or '.join(LINEAR_UPDATERS)}."
            )
        return names[0]
    unknown = [n for n in names if n not in TREE_UPDATERS + TREE_PLUGINS]
    if unknown or not names:
        raise AlgorithmError(
            f"Hyperparameter updater={text!r}: the tree updaters are "
            f"{', '.join(TREE_UPDATERS + TREE_PLUGINS + tuple(REPLACED_UPDATERS))}."
        )
    if sum(n in TREE_UPDATERS for n in names) > 1:
        raise AlgorithmError(
            f"Hyperparameter updater={text!r} names more than one tree grower: choose one of "
            f"{', '.join(TREE_UPDATERS)}."
        )
    return ",".join(names)
