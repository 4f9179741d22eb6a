"""The 155 EventBridge pattern cases (checked against AWS), through TestEventPattern and boto3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import json5
import pytest
from botocore.exceptions import ClientError

from airlock.events.patterns import InvalidPattern, compile_pattern
from tests.paths import CONFORMANCE
from tests.support import LiveServer

CASES = CONFORMANCE / "eventbridge"


def _cases() -> list[Path]:
    return sorted(CASES.glob("*.json5")) if CASES.is_dir() else []


def _recorded_messages() -> dict[str, str]:
    path = CASES / "aws-recorded-errors.snapshot.json"
    if not path.exists():
        return {}
    messages = {}
    for entry in json.loads(path.read_text()).values():
        for name, content in entry["recorded-content"].items():
            if isinstance(content, dict) and "exception_message" in content:
                messages[name] = content["exception_message"]["Error"]["Message"]
    return messages


def _expected(name: str) -> str:
    if name.endswith("_EXC"):
        return "invalid"
    return "no match" if name.endswith("_NEG") else "match"


def test_the_cases_are_there() -> None:
    if not CASES.is_dir():
        pytest.skip(f"{CASES} is absent (the shared conformance data sits beside the checkout)")
    assert len(_cases()) == 155


@pytest.mark.parametrize("path", _cases(), ids=lambda p: p.stem)
def test_pattern_case_in_process(path: Path, record_property: Any) -> None:
    record_property("conformance", "eventbridge patterns")
    case = json5.loads(path.read_text())
    expected = _expected(path.stem)
    try:
        outcome = (
            "match" if compile_pattern(case["EventPattern"]).matches(case["Event"]) else "no match"
        )
    except InvalidPattern as error:
        outcome = "invalid"
        recorded = _recorded_messages().get(path.stem)
        if recorded is not None:
            assert str(error) == recorded
    assert outcome == expected


def test_every_case_through_boto3(server: LiveServer) -> None:
    if not CASES.is_dir():
        pytest.skip(f"{CASES} is absent (the shared conformance data sits beside the checkout)")
    events = server.client("events")
    recorded = _recorded_messages()
    wrong = []
    for path in _cases():
        case = json5.loads(path.read_text())
        expected = _expected(path.stem)
        try:
            result = events.test_event_pattern(
                EventPattern=json.dumps(case["EventPattern"]), Event=json.dumps(case["Event"])
            )["Result"]
            outcome = "match" if result else "no match"
        except ClientError as error:
            assert error.response["Error"]["Code"] == "InvalidEventPatternException", path.stem
            outcome = "invalid"
            message = recorded.get(path.stem)
            if message is not None and error.response["Error"]["Message"] != message:
                wrong.append(f"{path.stem}: message {error.response['Error']['Message']!r}")
        if outcome != expected:
            wrong.append(f"{path.stem}: {outcome}, AWS says {expected}")
    assert wrong == []
