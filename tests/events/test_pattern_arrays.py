"""Patterns over arrays of objects: one pattern object's fields match within one array element.

EventBridge matches the way AWS's event-ruler does (`rulesForJSONEvent`): the leaves a match
uses must not come from different elements of the same array. Fields whose leaves share no
array stay independent, and a scalar inside an array pins no element.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from airlock.events.models import Delivery, Event
from airlock.events.patterns import compile_pattern
from tests.events.test_delivery import log_messages
from tests.support import LiveServer, wait_for

# The issue's example: the two tags hold "stage" and "ml", but not in one tag.
ISSUE_PATTERN = {"detail": {"Tags": {"Key": ["stage"], "Value": ["ml"]}}}
SPLIT_TAGS = [{"Key": "stage", "Value": "dev"}, {"Key": "team", "Value": "ml"}]
SAME_TAG = [{"Key": "team", "Value": "dev"}, {"Key": "stage", "Value": "ml"}]

SONGS = [
    {
        "Name": "Paperback Writer",
        "Writers": [{"First": "John", "Last": "Lennon"}, {"First": "Paul", "Last": "McCartney"}],
    },
    {
        "Name": "Paint It Black",
        "Writers": [{"First": "Mick", "Last": "Jagger"}, {"First": "Keith", "Last": "Richards"}],
    },
]

TAG_OR = {"Tags": {"Key": ["stage"], "$or": [{"Value": ["ml"]}, {"Env": ["prod"]}]}}
ITEMS = {"Items": {"Name": [{"prefix": "gpu"}], "Count": [{"numeric": [">", 2]}]}}
VALUE_ABSENT = {"Tags": {"Key": ["stage"], "Value": [{"exists": False}]}}

CASES = [
    # (id, pattern, event, expected)
    ("two fields, same element", ISSUE_PATTERN["detail"], {"Tags": SAME_TAG}, True),
    ("two fields, different elements", ISSUE_PATTERN["detail"], {"Tags": SPLIT_TAGS}, False),
    (
        "three fields, same element",
        {"Tags": {"Key": ["stage"], "Value": ["ml"], "Owner": ["ana"]}},
        {
            "Tags": [
                {"Key": "stage", "Value": "dev"},
                {"Key": "stage", "Value": "ml", "Owner": "ana"},
            ]
        },
        True,
    ),
    (
        "three fields, the third in another element",
        {"Tags": {"Key": ["stage"], "Value": ["ml"], "Owner": ["ana"]}},
        {"Tags": [{"Key": "stage", "Value": "ml"}, {"Key": "team", "Owner": "ana"}]},
        False,
    ),
    (
        "a dotted pattern key names the same field, so it joins the same element",
        {"Tags.Key": ["stage"], "Tags": {"Value": ["ml"]}},
        {"Tags": SPLIT_TAGS},
        False,
    ),
    (
        "nested arrays, one song and one of its writers",
        {
            "Songs": {
                "Name": ["Paperback Writer"],
                "Writers": {"First": ["Paul"], "Last": ["McCartney"]},
            }
        },
        {"Songs": SONGS},
        True,
    ),
    (
        "nested arrays, first and last name from different writers of one song",
        {"Songs": {"Writers": {"First": ["John"], "Last": ["McCartney"]}}},
        {"Songs": SONGS},
        False,
    ),
    (
        "nested arrays, the writer is on the other song",
        {"Songs": {"Name": ["Paperback Writer"], "Writers": {"First": ["Mick"]}}},
        {"Songs": SONGS},
        False,
    ),
    (
        "nested arrays, writers of different songs",
        {"Songs": {"Writers": {"First": ["Mick"], "Last": ["McCartney"]}}},
        {"Songs": SONGS},
        False,
    ),
    (
        "arrays directly in arrays pin their element too",
        {"matrix": {"a": [1], "b": [4]}},
        {"matrix": [[{"a": 1, "b": 2}], [{"a": 3, "b": 4}]]},
        False,
    ),
    (
        "arrays directly in arrays, same element",
        {"matrix": {"a": [3], "b": [4]}},
        {"matrix": [[{"a": 1, "b": 2}], [{"a": 3, "b": 4}]]},
        True,
    ),
    (
        "$or inside: no alternative holds within one element",
        TAG_OR,
        {"Tags": [{"Key": "stage", "Value": "dev"}, {"Key": "team", "Value": "ml", "Env": "prod"}]},
        False,
    ),
    (
        "$or inside: the second alternative holds within one element",
        TAG_OR,
        {"Tags": [{"Key": "team", "Value": "ml"}, {"Key": "stage", "Env": "prod"}]},
        True,
    ),
    (
        "$or inside: the first alternative holds within one element",
        TAG_OR,
        {"Tags": [{"Key": "stage", "Value": "ml"}]},
        True,
    ),
    (
        "an array of scalars matches any element",
        {"resources": ["b"]},
        {"resources": ["a", "b"]},
        True,
    ),
    (
        "scalars in an element's own array pin nothing inside it",
        {"Tags": {"Key": ["stage"], "Values": ["ml"]}},
        {"Tags": [{"Key": "stage", "Values": ["dev", "ml"]}]},
        True,
    ),
    (
        "scalars in an element's own array still belong to that element",
        {"Tags": {"Key": ["stage"], "Values": ["ml"]}},
        {"Tags": [{"Key": "stage", "Values": ["dev"]}, {"Key": "team", "Values": ["ml"]}]},
        False,
    ),
    (
        "fields in different arrays are independent",
        {"Tags": {"Key": ["stage"]}, "Owners": {"Name": ["ana"]}},
        {"Tags": [{"Key": "team"}, {"Key": "stage"}], "Owners": [{"Name": "ana"}, {"Name": "bo"}]},
        True,
    ),
    (
        "a field outside the array does not pin an element",
        {"state": ["open"], "Tags": {"Key": ["stage"], "Value": ["ml"]}},
        {"state": "open", "Tags": SAME_TAG},
        True,
    ),
    (
        "prefix and numeric must hold in one element",
        ITEMS,
        {"Items": [{"Name": "gpu-a", "Count": 1}, {"Name": "cpu", "Count": 5}]},
        False,
    ),
    (
        "prefix and numeric in one element",
        ITEMS,
        {"Items": [{"Name": "cpu", "Count": 5}, {"Name": "gpu-b", "Count": 3}]},
        True,
    ),
    (
        "anything-but must hold in the element the other field chose",
        {"Tags": {"Key": ["stage"], "Value": [{"anything-but": "dev"}]}},
        {"Tags": SPLIT_TAGS},
        False,
    ),
    (
        "exists true must hold in the element the other field chose",
        {"Tags": {"Key": ["stage"], "Value": [{"exists": True}]}},
        {"Tags": [{"Key": "stage"}, {"Key": "team", "Value": "ml"}]},
        False,
    ),
    # `exists: false` as event-ruler judges it: a rule's fields are walked in path order and
    # an absent field is looked for in the elements the fields before it have chosen. "Value"
    # sorts after "Key", so it must be absent from the tag whose Key is "stage"...
    (
        "exists false, absent from the chosen element",
        VALUE_ABSENT,
        {"Tags": [{"Key": "stage"}, {"Key": "team", "Value": "ml"}]},
        True,
    ),
    (
        "exists false, present in the chosen element",
        VALUE_ABSENT,
        {"Tags": [{"Key": "stage", "Value": "dev"}]},
        False,
    ),
    # ...while with no element chosen before it, a field must be absent from every element:
    (
        "exists false alone, present in one element",
        {"Tags": {"Value": [{"exists": False}]}},
        {"Tags": [{"Key": "a", "Value": "x"}, {"Key": "b"}]},
        False,
    ),
    (
        "exists false alone, an empty array",
        {"Tags": {"Value": [{"exists": False}]}},
        {"Tags": []},
        True,
    ),
    (
        "exists false sorting before the field that chooses the element",
        {"Tags": {"Key": ["stage"], "Archived": [{"exists": False}]}},
        {"Tags": [{"Key": "stage"}, {"Key": "team", "Archived": True}]},
        False,
    ),
]


@pytest.mark.parametrize(
    ("pattern", "event", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_array_of_objects_case(
    pattern: dict[str, Any], event: dict[str, Any], expected: bool
) -> None:
    assert compile_pattern(pattern).matches(event) is expected


def envelope(detail: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": "1",
            "account": "123456789012",
            "source": "ml.registry",
            "time": "2025-10-01T12:00:00Z",
            "region": "us-east-1",
            "detail-type": "Model Approved",
            "detail": detail,
        }
    )


def test_test_event_pattern_matches_within_one_element(server: LiveServer) -> None:
    events = server.client("events")
    pattern = json.dumps(ISSUE_PATTERN)
    split = events.test_event_pattern(EventPattern=pattern, Event=envelope({"Tags": SPLIT_TAGS}))
    same = events.test_event_pattern(EventPattern=pattern, Event=envelope({"Tags": SAME_TAG}))
    assert (split["Result"], same["Result"]) == (False, True)


def test_a_rule_delivers_only_the_event_with_both_fields_in_one_element(
    server: LiveServer,
) -> None:
    events, logs = server.client("events"), server.client("logs")
    logs.create_log_group(logGroupName="/airlock/tags")
    account = server.first_account_id()
    rule_arn = events.put_rule(Name="ml-stage", EventPattern=json.dumps(ISSUE_PATTERN))["RuleArn"]
    events.put_targets(
        Rule="ml-stage",
        Targets=[{"Id": "log", "Arn": f"arn:aws:logs:us-east-1:{account}:log-group:/airlock/tags"}],
    )
    answer = events.put_events(
        Entries=[
            {"Source": "ml.registry", "DetailType": "Tagged", "Detail": json.dumps({"Tags": tags})}
            for tags in (SPLIT_TAGS, SAME_TAG)
        ]
    )
    assert answer["FailedEntryCount"] == 0, answer
    split_id, same_id = (entry["EventId"] for entry in answer["Entries"])

    messages = wait_for(lambda: log_messages(logs, "/airlock/tags"), what="the delivery")
    assert [json.loads(m)["id"] for m in messages] == [same_id]
    # Deliveries are recorded when PutEvents accepts the events, so the split event, had it
    # matched, would have one already: none means it is never delivered.
    with server.airlock.platform.db.read() as session:
        delivered = session.scalars(
            select(Event.id)
            .join(Delivery, Delivery.event_seq == Event.seq)
            .where(Delivery.rule_arn == rule_arn)
        ).all()
    assert (split_id in delivered, list(delivered)) == (False, [same_id])
