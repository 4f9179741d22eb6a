"""The shared CloudFormation conformance cases: loading them and filling their placeholders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import json5

from tests.paths import CONFORMANCE

CASES = CONFORMANCE / "cloudformation"


def cases() -> list[dict[str, Any]]:
    """The cases of cases.json (none when the shared folder is absent)."""
    path = CASES / "cases.json"
    found: list[dict[str, Any]] = json5.loads(path.read_text()) if path.exists() else []
    return found


def case_id(case: dict[str, Any]) -> str:
    """A case's test id: its template's file name without the suffix."""
    return Path(case["file"]).stem


def placeholders(value: str, made: Mapping[str, str], account_id: str, region: str) -> str:
    """`value` with `{{AccountId}}`, `{{Region}}`, `{{Partition}}` and `{{setup:ID}}` filled in."""
    value = value.replace("{{AccountId}}", account_id).replace("{{Region}}", region)
    value = value.replace("{{Partition}}", "aws")
    return re.sub(r"\{\{setup:([^}]+)\}\}", lambda found: made[found.group(1)], value)


def refused_for_the_override(
    template: dict[str, Any], overrides: Mapping[str, str], message: str
) -> bool:
    """Whether `message` refuses one of `overrides`: its constraint names the parameter,
    or it is the AssertDescription of one of the template's Rules."""
    assertions = [
        assertion.get("AssertDescription")
        for rule in (template.get("Rules") or {}).values()
        for assertion in rule.get("Assertions", [])
    ]
    named = [f"Parameter '{key}' " for key in overrides]
    return message in assertions or any(message.startswith(prefix) for prefix in named)
