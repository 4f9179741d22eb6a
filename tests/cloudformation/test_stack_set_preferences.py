"""OperationPreferences arithmetic, as AWS documents it (pure)."""

from __future__ import annotations

import pytest

from airlock.cloudformation.errors import CloudFormationValidation
from airlock.cloudformation.stack_sets.targets import Preferences, filtered


@pytest.mark.parametrize(
    ("given", "accounts", "tolerance"),
    [
        ({}, 10, 0),
        ({"FailureToleranceCount": 3}, 10, 3),
        ({"FailureTolerancePercentage": 25}, 10, 2),  # 2.5 rounds down
        ({"FailureTolerancePercentage": 9}, 10, 0),
        ({"FailureTolerancePercentage": 100}, 7, 7),
    ],
)
def test_tolerance(given: dict[str, int], accounts: int, tolerance: int) -> None:
    assert Preferences.of(given).tolerance(accounts) == tolerance


@pytest.mark.parametrize(
    ("given", "accounts", "failed", "concurrency"),
    [
        ({}, 10, 0, 1),
        ({"MaxConcurrentPercentage": 1}, 10, 0, 1),  # rounds down to 0, but at least 1
        ({"MaxConcurrentPercentage": 50, "FailureToleranceCount": 9}, 7, 0, 3),
        # Strict: at most the tolerance plus one, lowered as accounts fail.
        ({"MaxConcurrentCount": 5, "FailureToleranceCount": 2}, 10, 0, 3),
        ({"MaxConcurrentCount": 5, "FailureToleranceCount": 2}, 10, 2, 1),
        ({"MaxConcurrentCount": 5, "FailureToleranceCount": 2}, 10, 3, 0),
        # Soft: the concurrency asked for, whatever fails.
        (
            {
                "MaxConcurrentCount": 5,
                "FailureToleranceCount": 2,
                "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
            },
            10,
            2,
            5,
        ),
    ],
)
def test_concurrency(
    given: dict[str, object], accounts: int, failed: int, concurrency: int
) -> None:
    assert Preferences.of(given).concurrency(accounts, failed) == concurrency


def test_region_order_first_then_the_rest_as_given() -> None:
    preferences = Preferences.of({"RegionOrder": ["eu-west-1", "us-west-2"]})
    assert preferences.ordered(["us-east-1", "us-west-2", "ap-south-1", "eu-west-1"]) == [
        "eu-west-1",
        "us-west-2",
        "us-east-1",
        "ap-south-1",
    ]


def test_a_bad_region_in_region_order() -> None:
    with pytest.raises(CloudFormationValidation) as caught:
        Preferences.of({"RegionOrder": ["moon-1"]})
    assert caught.value.message == "Region moon-1 is not supported"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (None, {"a": "ou-1", "b": "ou-1"}),
        ("NONE", {"a": "ou-1", "b": "ou-1"}),
        ("INTERSECTION", {"b": "ou-1"}),
        ("DIFFERENCE", {"a": "ou-1"}),
        ("UNION", {"a": "ou-1", "b": "ou-1", "c": None}),
    ],
)
def test_account_filters(kind: str | None, expected: dict[str, str | None]) -> None:
    assert filtered({"a": "ou-1", "b": "ou-1"}, ["b", "c"], kind) == expected
