"""What the multi-account example's test sets up, in the article's order: the steps live in
airlock.examples, which `airlock demo` plays too; the test takes them from here."""

from __future__ import annotations

from airlock.examples.iris import (
    IMAGE,
    approval_token,
    executions,
    iris_split,
    model_archive,
    register,
    stage,
)
from airlock.examples.multi_account import (
    EXAMPLE,
    LAUNCH,
    USE,
    VISIBLE,
    add_project_policies,
    data_science_bucket,
    organization,
    policy,
    publish,
    seed_zip,
    target_role,
)

__all__ = [
    "EXAMPLE",
    "IMAGE",
    "LAUNCH",
    "USE",
    "VISIBLE",
    "add_project_policies",
    "approval_token",
    "data_science_bucket",
    "executions",
    "iris_split",
    "model_archive",
    "organization",
    "policy",
    "publish",
    "register",
    "seed_zip",
    "stage",
    "target_role",
]
