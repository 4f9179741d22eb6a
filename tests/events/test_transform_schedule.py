"""Input transformation and schedule expressions, table-tested."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from airlock.events.schedule import InvalidSchedule, parse_schedule
from airlock.events.transform import InvalidPath, read_path, render_template, target_input

EVENT = {
    "version": "0",
    "id": "e-1",
    "detail-type": "Model Approved",
    "source": "ml.registry",
    "account": "111122223333",
    "time": "2026-11-26T09:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:sagemaker:us-east-1:111122223333:model-package/iris/3"],
    "detail": {"model": "iris", "version": 3, "tags": ["a", "b"], "meta": {"k": "v"}},
}
RULE = "arn:aws:events:us-east-1:111122223333:rule/approved"


def test_read_path() -> None:
    assert read_path(EVENT, "$.detail.model") == "iris"
    assert read_path(EVENT, "$.detail.tags[1]") == "b"
    assert read_path(EVENT, "$['detail-type']") == "Model Approved"
    assert read_path(EVENT, "$") == EVENT
    for bad in ("detail.model", "$.detail..model", "$.detail[x]"):
        with pytest.raises(InvalidPath):
            read_path(EVENT, bad)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({}, EVENT),
        ({"Input": '{"fixed": true}'}, {"fixed": True}),
        ({"InputPath": "$.detail.meta"}, {"k": "v"}),
        ({"InputPath": "$.detail.absent"}, None),
        (
            {
                "InputTransformer": {
                    "InputPathsMap": {"m": "$.detail.model", "v": "$.detail.version"},
                    "InputTemplate": '{"name": "<m>", "version": <v>, "label": "<m>-<v>"}',
                }
            },
            {"name": "iris", "version": 3, "label": "iris-3"},
        ),
        (
            {
                "InputTransformer": {
                    "InputPathsMap": {"meta": "$.detail.meta", "gone": "$.detail.nothing"},
                    "InputTemplate": '{"meta": <meta>, "gone": <gone>, "quoted": "<gone>"}',
                }
            },
            {"meta": {"k": "v"}, "gone": None, "quoted": ""},
        ),
        (
            {
                "InputTransformer": {
                    "InputPathsMap": {},
                    "InputTemplate": '{"whole": <aws.events.event.json>, '
                    '"rule": "<aws.events.rule-arn>"}',
                }
            },
            {"whole": EVENT, "rule": RULE},
        ),
    ],
)
def test_target_input(target: dict[str, object], expected: object) -> None:
    assert json.loads(target_input(target, EVENT, RULE)) == expected


def test_plain_text_templates_take_values_as_text() -> None:
    text = render_template("Model <m> is <s> (<n>)", {"m": "iris", "s": "ready", "n": 3})
    assert text == "Model iris is ready (3)"
    assert render_template('"quote <q> inside"', {"q": 'a "b"'}) == '"quote a "b" inside"'
    assert render_template('{"q": "<q>"}', {"q": 'a "b"'}) == '{"q": "a \\"b\\""}'


NOW = datetime(2026, 11, 26, 9, 30, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 minute)", datetime(2026, 11, 26, 9, 31, 15, tzinfo=UTC)),
        ("rate(2 hours)", datetime(2026, 11, 26, 11, 30, 15, tzinfo=UTC)),
        ("cron(0 2 * * ? *)", datetime(2026, 11, 27, 2, 0, tzinfo=UTC)),
        ("cron(*/15 * * * ? *)", datetime(2026, 11, 26, 9, 45, tzinfo=UTC)),
        ("cron(0 9 ? * MON-FRI *)", datetime(2026, 11, 27, 9, 0, tzinfo=UTC)),
        ("cron(0 0 1 JAN ? 2027)", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("cron(30 9 ? * 5 *)", datetime(2026, 12, 3, 9, 30, tzinfo=UTC)),  # 5 = Thursday
    ],
)
def test_next_firing(expression: str, expected: datetime) -> None:
    assert parse_schedule(expression).next_after(NOW, since=NOW) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "cron(0 2 * * * *)",
        "cron(0 2 ? * ? *)",
        "cron(61 2 * * ? *)",
        "cron(0 2 * *)",
        "every day",
    ],
)
def test_invalid_schedules(expression: str) -> None:
    with pytest.raises(InvalidSchedule):
        parse_schedule(expression)


def test_a_rate_keeps_its_phase() -> None:
    schedule = parse_schedule("rate(5 minutes)")
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    late = datetime(2026, 11, 26, 9, 17, tzinfo=UTC)
    assert schedule.next_after(late, since=start) == datetime(2026, 11, 26, 9, 20, tzinfo=UTC)
