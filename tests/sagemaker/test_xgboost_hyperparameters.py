"""The built-in XGBoost algorithm's hyperparameters: SageMaker's list, its ranges, and what
reaches the installed XGBoost (which must not warn that a parameter is not used)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from airlock.algorithms.xgboost_hyperparameters import (
    DOCUMENTED,
    AlgorithmError,
    parse_hyperparameters,
)

# Every name SageMaker's "XGBoost hyperparameters" page lists (its 0.90 and 1.2 editions:
# the later one dropped `silent`, which notebooks for 1.0-1 still pass), with a valid value.
PAGE = {
    "num_class": "3",
    "num_round": "2",
    "alpha": "0.1",
    "base_score": "0.5",
    "booster": "gbtree",
    "colsample_bylevel": "0.9",
    "colsample_bynode": "0.9",
    "colsample_bytree": "0.9",
    "csv_weights": "0",
    "deterministic_histogram": "true",
    "early_stopping_rounds": "5",
    "eta": "0.3",
    "eval_metric": "mlogloss",
    "gamma": "0.1",
    "grow_policy": "depthwise",
    "interaction_constraints": "[[0, 1], [2, 3]]",
    "lambda": "1",
    "lambda_bias": "0.1",
    "max_bin": "64",
    "max_delta_step": "1",
    "max_depth": "3",
    "max_leaves": "0",
    "min_child_weight": "1",
    "monotone_constraints": "(0,1,0,0)",
    "normalize_type": "forest",
    "nthread": "1",
    "objective": "multi:softprob",
    "one_drop": "1",
    "process_type": "default",
    "rate_drop": "0.1",
    "refresh_leaf": "1",
    "sample_type": "weighted",
    "scale_pos_weight": "2",
    "seed": "7",
    "silent": "0",
    "single_precision_histogram": "false",
    "sketch_eps": "0.03",
    "skip_drop": "0.5",
    "subsample": "0.8",
    "tree_method": "hist",
    "tweedie_variance_power": "1.5",
    "updater": "grow_quantile_histmaker,prune",
    "verbosity": "1",
}


def test_the_documented_list_is_the_pages() -> None:
    assert set(DOCUMENTED) == set(PAGE)


@pytest.mark.parametrize("name", sorted(PAGE))
def test_each_documented_hyperparameter_is_accepted(name: str) -> None:
    raw = {"num_round": "2", name: PAGE[name]}
    if name == "objective":
        raw["num_class"] = "3"
    parse_hyperparameters(raw)


def test_hyperparameters_are_read_from_strings() -> None:
    training = parse_hyperparameters(
        {
            "num_round": "50",
            "objective": "multi:softprob",
            "num_class": "3",
            "eta": "0.2",
            "max_depth": "5",
            "min_child_weight": "0.5",
            "sagemaker_region": '"us-east-1"',
            "_tuning_objective_metric": "validation:merror",
            "_kfold": "5",
        }
    )
    assert training.rounds == 50
    assert training.params == {
        "objective": "multi:softprob",
        "num_class": 3,
        "eta": 0.2,
        "max_depth": 5,
        "min_child_weight": 0.5,
    }
    assert (training.early_stopping_rounds, training.csv_weights) == (None, False)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"eta": "0.1"}, "Hyperparameter num_round is required (the number of boosting rounds)."),
        ({"num_round": "ten"}, "Hyperparameter num_round='ten' is not an integer."),
        ({"num_round": "2.5"}, "Hyperparameter num_round='2.5' is not an integer."),
        ({"num_round": "0"}, "Hyperparameter num_round='0' must be at least 1."),
        ({"num_round": "5", "eta": "fast"}, "Hyperparameter eta='fast' is not a number."),
        ({"num_round": "5", "eta": "nan"}, "Hyperparameter eta='nan' is not a number."),
        ({"num_round": "5", "eta": "1.5"}, "Hyperparameter eta='1.5' must be in [0, 1]."),
        (
            {"num_round": "5", "colsample_bynode": "0"},
            "Hyperparameter colsample_bynode='0' must be in (0, 1].",
        ),
        ({"num_round": "5", "gamma": "-1"}, "Hyperparameter gamma='-1' must be at least 0."),
        (
            {"num_round": "5", "scale_pos_weight": "0"},
            "Hyperparameter scale_pos_weight='0' must be greater than 0.",
        ),
        (
            {"num_round": "5", "tweedie_variance_power": "2"},
            "Hyperparameter tweedie_variance_power='2' must be in (1, 2).",
        ),
        ({"num_round": "5", "silent": "2"}, "Hyperparameter silent='2' must be in [0, 1]."),
        ({"num_round": "5", "one_drop": "yes"}, "Hyperparameter one_drop='yes' is not an integer."),
        (
            {"num_round": "5", "rate_drop": "1.1"},
            "Hyperparameter rate_drop='1.1' must be in [0, 1].",
        ),
        (
            {"num_round": "5", "skip_drop": "-0.1"},
            "Hyperparameter skip_drop='-0.1' must be in [0, 1].",
        ),
        (
            {"num_round": "5", "lambda_bias": "2"},
            "Hyperparameter lambda_bias='2' must be in [0, 1].",
        ),
        ({"num_round": "5", "max_bin": "1"}, "Hyperparameter max_bin='1' must be at least 2."),
        ({"num_round": "5", "verbosity": "4"}, "Hyperparameter verbosity='4' must be in [0, 3]."),
        (
            {"num_round": "5", "booster": "tree"},
            "Hyperparameter booster='tree' must be one of gbtree, gblinear, dart.",
        ),
        (
            {"num_round": "5", "deterministic_histogram": "yes"},
            "Hyperparameter deterministic_histogram='yes' must be one of true, false.",
        ),
        (
            {"num_round": "5", "tree_method": "gpu"},
            "Hyperparameter tree_method='gpu' must be one of auto, exact, approx, hist, gpu_hist.",
        ),
        (
            {"num_round": "5", "objective": "multi:softmax"},
            "Hyperparameter num_class is required for objective multi:softmax.",
        ),
        (
            {"num_round": "5", "process_type": "update", "updater": "refresh"},
            "Hyperparameter process_type=update refreshes the trees of an existing model, and "
            "Airlock's XGBoost algorithm trains new models only (it takes no model channel): "
            "use process_type=default.",
        ),
        (
            {"num_round": "5", "booster": "gblinear", "updater": "grow_colmaker"},
            "Hyperparameter updater='grow_colmaker': booster gblinear takes one updater, "
            "shotgun or coord_descent.",
        ),
        (
            {"num_round": "5", "updater": "grow_colmaker,fast"},
            "Hyperparameter updater='grow_colmaker,fast': the tree updaters are grow_colmaker, "
            "grow_histmaker, grow_quantile_histmaker, sync, refresh, prune, distcol, "
            "grow_local_histmaker, grow_skmaker.",
        ),
        (
            {"num_round": "5", "updater": "grow_colmaker,grow_histmaker"},
            "Hyperparameter updater='grow_colmaker,grow_histmaker' names more than one tree "
            "grower: choose one of grow_colmaker, grow_histmaker, grow_quantile_histmaker.",
        ),
    ],
)
def test_bad_hyperparameters(raw: dict[str, str], message: str) -> None:
    with pytest.raises(AlgorithmError) as caught:
        parse_hyperparameters(raw)
    assert str(caught.value) == message


@pytest.mark.parametrize("name", ["speed", "dsplit", "predictor", "aft_loss_distribution"])
def test_names_the_page_does_not_list_are_refused(name: str) -> None:
    with pytest.raises(AlgorithmError) as caught:
        parse_hyperparameters({"num_round": "5", name: "1"})
    message = str(caught.value)
    assert message.startswith(
        f"Hyperparameter {name} is not a parameter of the XGBoost algorithm. Known: alpha, "
    )
    assert "max_depth" in message
    assert "silent" in message


@pytest.mark.parametrize(
    ("silent", "verbosity", "expected"),
    [("0", None, 1), ("1", None, 0), ("0", "2", 2), ("1", "3", 3)],
)
def test_silent_is_verbosity(silent: str, verbosity: str | None, expected: int) -> None:
    raw = {"num_round": "1", "silent": silent}
    if verbosity is not None:
        raw["verbosity"] = verbosity
    params = parse_hyperparameters(raw).params
    assert params == {"verbosity": expected}


def test_what_xgboost_no_longer_takes_is_dropped() -> None:
    training = parse_hyperparameters(
        {
            "num_round": "1",
            "lambda_bias": "0.2",
            "sketch_eps": "0.03",
            "single_precision_histogram": "true",
            "deterministic_histogram": "false",
            "tree_method": "gpu_hist",
            "objective": "reg:linear",
        }
    )
    assert training.params == {"tree_method": "hist", "objective": "reg:squarederror"}


def test_booster_parameters_reach_their_booster_only() -> None:
    dart = {"rate_drop": "0.1", "one_drop": "1", "skip_drop": "0.5", "sample_type": "weighted"}
    trees = {"max_depth": "3", "subsample": "0.8", "refresh_leaf": "0", "tree_method": "exact"}
    raw = {"num_round": "1", "eta": "0.1", **dart, **trees}
    assert parse_hyperparameters({**raw, "booster": "dart"}).params == {
        "booster": "dart",
        "eta": 0.1,
        "rate_drop": 0.1,
        "one_drop": 1,
        "skip_drop": 0.5,
        "sample_type": "weighted",
        "max_depth": 3,
        "subsample": 0.8,
        "refresh_leaf": 0,
        "tree_method": "exact",
    }
    assert parse_hyperparameters(raw).params == {
        "eta": 0.1,
        "max_depth": 3,
        "subsample": 0.8,
        "refresh_leaf": 0,
        "tree_method": "exact",
    }
    assert parse_hyperparameters({**raw, "booster": "gblinear"}).params == {
        "booster": "gblinear",
        "eta": 0.1,
    }


def test_objective_parameters_reach_their_objectives_only() -> None:
    raw = {"num_round": "1", "scale_pos_weight": "3", "tweedie_variance_power": "1.2"}
    assert parse_hyperparameters({**raw, "objective": "binary:logistic"}).params == {
        "objective": "binary:logistic",
        "scale_pos_weight": 3.0,
    }
    assert parse_hyperparameters({**raw, "objective": "reg:tweedie"}).params == {
        "objective": "reg:tweedie",
        "tweedie_variance_power": 1.2,
    }
    poisson = {"num_round": "1", "booster": "gblinear", "max_delta_step": "0.5"}
    assert parse_hyperparameters({**poisson, "objective": "count:poisson"}).params == {
        "booster": "gblinear",
        "objective": "count:poisson",
        "max_delta_step": 0.5,
    }
    assert "max_delta_step" not in parse_hyperparameters(poisson).params


def test_the_algorithms_own_settings() -> None:
    training = parse_hyperparameters(
        {
            "num_round": "9",
            "early_stopping_rounds": "3",
            "csv_weights": "1",
            "eval_metric": "merror, mlogloss",
            "updater": "grow_skmaker,prune",
        }
    )
    assert (training.rounds, training.early_stopping_rounds, training.csv_weights) == (9, 3, True)
    assert training.params == {
        "eval_metric": ["merror", "mlogloss"],
        "updater": "grow_histmaker,prune",
    }
    linear = parse_hyperparameters({"num_round": "1", "booster": "gblinear", "updater": "shotgun"})
    assert linear.params == {"booster": "gblinear", "updater": "shotgun"}


# XGBoost's advice whenever an updater is named; it is about updater, not an unused name.
UPDATER_ADVICE = "You have manually specified the `updater` parameter."


def _train_warnings(params: dict[str, Any], objective: str) -> list[str]:
    rng = np.random.default_rng(3)
    features = rng.normal(size=(80, 4))
    if objective.startswith("multi:"):
        labels = rng.integers(0, 3, 80).astype(float)
    elif objective in ("reg:tweedie", "count:poisson"):
        labels = rng.integers(1, 5, 80).astype(float)
    else:
        labels = rng.integers(0, 2, 80).astype(float)
    data = xgb.DMatrix(features, label=labels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        xgb.train(params, data, num_boost_round=2, evals=[(data, "train")], verbose_eval=False)
    return [str(w.message) for w in caught if UPDATER_ADVICE not in str(w.message)]


@pytest.mark.parametrize("booster", ["gbtree", "dart", "gblinear"])
@pytest.mark.parametrize(
    "objective",
    ["multi:softprob", "binary:logistic", "binary:hinge", "reg:tweedie", "count:poisson"],
)
def test_the_installed_xgboost_uses_every_parameter_it_is_given(
    booster: str, objective: str
) -> None:
    raw = dict(PAGE, booster=booster, objective=objective, silent="0")
    del raw["verbosity"]  # silent=0 is verbosity 1: XGBoost's warnings are printed
    if not objective.startswith("multi:"):
        del raw["num_class"]
        raw["eval_metric"] = "rmse"
    if booster == "gblinear":
        raw["updater"] = "coord_descent"
    params = parse_hyperparameters(raw).params
    assert params["verbosity"] == 1
    assert _train_warnings(params, objective) == []


def test_the_installed_xgboost_warns_of_unused_parameters() -> None:
    # The check above would pass if XGBoost warned some other way: it warns like this.
    unused = {"verbosity": 1, "objective": "binary:logistic", "lambda_bias": 0.1}
    (warning,) = _train_warnings(unused, "binary:logistic")
    assert 'Parameters: { "lambda_bias" } are not used.' in warning
