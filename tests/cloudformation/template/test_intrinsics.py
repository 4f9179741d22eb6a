"""Every intrinsic function, evaluated in a resource's Properties through a Plan."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import pytest

from airlock.cloudformation.template import TemplateError, parse_template, plan

ACCOUNT = "111122223333"
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": "eu-west-1",
    "AWS::StackName": "web",
    "AWS::StackId": f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/web/1",
    "AWS::NotificationARNs": ["arn:aws:sns:eu-west-1:111122223333:topic"],
}
PARAMETERS = {
    "Env": "prod",
    "Count": "5",
    "Names": ["a", "b"],
    "AttributeName": "Arn",
    "Empty": "",
}
ATTRIBUTES: dict[str, dict[str, Any]] = {
    "Target": {
        "Ref": "target-id",
        "Arn": f"arn:aws:s3:::target-{ACCOUNT}",
        "Endpoint.Address": "db.example",
        "Nested": {"Port": "5432"},
        "List": ["x", "y"],
    }
}
EXPORTS = {"shared-vpc": "vpc-123"}

HEAD = """
Parameters:
  Env: {Type: String}
  Count: {Type: Number}
  Names: {Type: CommaDelimitedList}
  AttributeName: {Type: String}
  Empty: {Type: String}
Mappings:
  Regions:
    eu-west-1: {Ami: ami-eu, Size: 2}
    us-east-1: {Ami: ami-us}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  ProdAndFive: !And [!Condition IsProd, !Equals [!Ref Count, 5]]
  DevOrFive: !Or [!Condition IsDev, !Equals [5, !Ref Count]]
  NoName: !Equals [!Ref Empty, '']
Resources:
  Target:
    Type: AWS::S3::Bucket
  Subject:
    Type: AWS::S3::Bucket
"""


def _attributes(logical_id: str) -> Mapping[str, Any]:
    return ATTRIBUTES[logical_id]


def _evaluate(expression: str) -> Any:
    body = HEAD + "    Properties:\n      Value: " + expression + "\n"
    evaluated = plan(parse_template(body), PARAMETERS, PSEUDO).properties(
        "Subject", _attributes, EXPORTS.get
    )
    return evaluated.get("Value", "<removed>")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("!Ref Env", "prod"),
        # A Number parameter's Ref is its text; a list parameter's a list.
        ("!Ref Count", "5"),
        ("!Ref Names", ["a", "b"]),
        ("!Ref Target", "target-id"),
        ("!Ref AWS::AccountId", ACCOUNT),
        ("!Ref AWS::Region", "eu-west-1"),
        ("!Ref AWS::StackName", "web"),
        ("!Ref AWS::StackId", f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/web/1"),
        ("!Ref AWS::Partition", "aws"),
        ("!Ref AWS::URLSuffix", "amazonaws.com"),
        ("!Ref AWS::NotificationARNs", ["arn:aws:sns:eu-west-1:111122223333:topic"]),
        ("!Ref AWS::NoValue", "<removed>"),
        ("!GetAtt Target.Arn", f"arn:aws:s3:::target-{ACCOUNT}"),
        ("!GetAtt [Target, Arn]", f"arn:aws:s3:::target-{ACCOUNT}"),
        ("{'Fn::GetAtt': Target.Arn}", f"arn:aws:s3:::target-{ACCOUNT}"),
        ("!GetAtt Target.Endpoint.Address", "db.example"),
        ("!GetAtt Target.Nested.Port", "5432"),
        ("!GetAtt [Target, !Ref AttributeName]", f"arn:aws:s3:::target-{ACCOUNT}"),
        ("!GetAtt Target.List", ["x", "y"]),
        (
            "!Sub '${AWS::StackName}-${Env}-${Count}-${Target}-${Target.Arn}'",
            f"web-prod-5-target-id-arn:aws:s3:::target-{ACCOUNT}",
        ),
        ("!Sub 'arn:${AWS::Partition}:s3:::${!Literal}/*'", "arn:aws:s3:::${Literal}/*"),
        ("!Sub 'no variables'", "no variables"),
        (
            "!Sub ['${Name}.${AWS::URLSuffix}/${Env}', {Name: !Join ['-', !Ref Names]}]",
            "a-b.amazonaws.com/prod",
        ),
        (
            "!Sub ['${Ami}', {Ami: !FindInMap [Regions, !Ref AWS::Region, Ami]}]",
            "ami-eu",
        ),
        ("!Join [',', [a, 1, true, !Ref Env]]", "a,1,true,prod"),
        ("!Join ['', [a, !Ref AWS::NoValue, b]]", "ab"),
        ("!Join ['-', !Split [',', 'x,y,z']]", "x-y-z"),
        ("!Join [':', !GetAZs '']", "eu-west-1a:eu-west-1b:eu-west-1c"),
        ("!Select ['1', [a, b, c]]", "b"),
        ("!Select [0, !GetAZs us-east-1]", "us-east-1a"),
        ("!Select [5, !Split [':', !GetAtt Target.Arn]]", f"target-{ACCOUNT}"),
        ("!Split ['/', 'a/b//c']", ["a", "b", "", "c"]),
        ("!If [IsProd, big, small]", "big"),
        ("!If [IsDev, big, small]", "small"),
        ("!If [ProdAndFive, yes-and, no-and]", "yes-and"),
        ("!If [DevOrFive, yes-or, no-or]", "yes-or"),
        ("!If [IsDev, big, !Ref AWS::NoValue]", "<removed>"),
        (
            "[a, !If [IsDev, b, !Ref AWS::NoValue], !If [IsProd, c, d]]",
            ["a", "c"],
        ),
        (
            "{Keep: 1, Drop: !If [IsProd, !Ref AWS::NoValue, 2], Deep: [{A: !Ref AWS::NoValue}]}",
            {"Keep": 1, "Deep": [{}]},
        ),
        ("!FindInMap [Regions, !Ref AWS::Region, Size]", 2),
        ("!FindInMap [Regions, us-east-1, Size, {DefaultValue: 1}]", 1),
        ("!Base64 'hello ${x}'", base64.b64encode(b"hello ${x}").decode()),
        ("!Base64 {'Fn::Sub': '${Env}'}", base64.b64encode(b"prod").decode()),
        ("!GetAZs ''", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ("!GetAZs {Ref: 'AWS::Region'}", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ("!ImportValue shared-vpc", "vpc-123"),
        ("!ImportValue {'Fn::Join': ['-', [shared, vpc]]}", "vpc-123"),
        ("!Cidr [10.0.0.0/16, 3, 8]", ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]),
        ("!Cidr ['2001:db8::/56', 2, 64]", ["2001:db8::/64", "2001:db8:0:1::/64"]),
        ("!Select [1, !Cidr [!Sub '10.${Count}.0.0/16', 2, 4]]", "10.5.0.16/28"),
        ("!Length [a, !Ref AWS::NoValue, b]", 2),
        ("!Length {Ref: Names}", 2),
        (
            "!ToJsonString {a: [1, !Ref Env], b: true}",
            json.dumps({"a": [1, "prod"], "b": True}, separators=(",", ":")),
        ),
        (
            "{Nested: {Deeper: [!Ref Env, {Arn: !GetAtt Target.Arn}]}}",
            {"Nested": {"Deeper": ["prod", {"Arn": f"arn:aws:s3:::target-{ACCOUNT}"}]}},
        ),
    ],
)
def test_intrinsic_function(expression: str, expected: Any) -> None:
    assert _evaluate(expression) == expected


def test_if_can_choose_the_whole_properties_block() -> None:
    body = HEAD + "    Properties: !If [IsDev, {A: 1}, !Ref AWS::NoValue]\n"
    assert plan(parse_template(body), PARAMETERS, PSEUDO).properties("Subject", _attributes) == {}
    body = HEAD + "    Properties: !If [IsProd, {A: !Ref Target}, {B: 2}]\n"
    assert plan(parse_template(body), PARAMETERS, PSEUDO).properties("Subject", _attributes) == {
        "A": "target-id"
    }


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "!GetAtt Target.Nope",
            "Template error: resource Target does not support attribute type Nope in Fn::GetAtt",
        ),
        (
            "!GetAtt Target.Nested.Host",
            "Template error: resource Target does not support attribute type Nested.Host "
            "in Fn::GetAtt",
        ),
        (
            "!Sub '${Target.Nope}'",
            "Template error: resource Target does not support attribute type Nope in Fn::GetAtt",
        ),
        ("!ImportValue missing", "No export named missing found."),
        (
            "!Select [3, [a, b]]",
            "Template error: Fn::Select cannot select nonexistent value at index 3",
        ),
        (
            "!Select [-1, [a, b]]",
            "Template error: Fn::Select cannot select nonexistent value at index -1",
        ),
        (
            "!FindInMap [Nowhere, a, b]",
            "Template error: Mapping named 'Nowhere' is not present in the 'Mappings' section "
            "of template.",
        ),
        (
            "!FindInMap [Regions, us-east-1, Size]",
            "Template error: Unable to get mapping for Regions::us-east-1::Size",
        ),
        (
            "!Join [',', a]",
            "Template error: every Fn::Join object requires two parameters, (1) a string "
            "delimiter and (2) a list of strings to be joined or a function that returns a list "
            "of strings (such as Fn::GetAZs) to be joined.",
        ),
        (
            "!Join [',', [[a]]]",
            "Template error: every Fn::Join object requires two parameters, (1) a string "
            "delimiter and (2) a list of strings to be joined or a function that returns a list "
            "of strings (such as Fn::GetAZs) to be joined.",
        ),
        (
            "!Split [',', [a]]",
            "Template error: every Fn::Split object requires two parameters, (1) a string "
            "delimiter and (2) a string to be split or a function that returns a string to be "
            "split.",
        ),
        (
            "!Sub '${Names}'",
            "Template error: variable Names in Fn::Sub expression does not resolve to a string",
        ),
        (
            "!Sub [1, 2]",
            "Template error: One or more Fn::Sub intrinsic functions don't specify expected "
            "arguments. Specify a string as first argument, and an optional second argument to "
            "specify a mapping of values to replace in the string",
        ),
        (
            "!Cidr [10.0.0.0/24, 2, 16]",
            "Template error: Fn::Cidr cannot make 2 subnets of 16 bits in 10.0.0.0/24",
        ),
        ("!Length abc", "Template error: Fn::Length requires a list"),
        (
            "{'Fn::Transform': {Name: 'AWS::Include'}}",
            "Template format error: Airlock does not run transforms (Fn::Transform: AWS::Include); "
            "expand the template before deploying it.",
        ),
    ],
)
def test_a_function_that_cannot_be_evaluated_says_why(expression: str, message: str) -> None:
    with pytest.raises(TemplateError) as raised:
        _evaluate(expression)
    assert raised.value.message == message


def test_import_value_without_an_exports_lookup_finds_nothing() -> None:
    body = HEAD + "    Properties:\n      Value: !ImportValue shared-vpc\n"
    with pytest.raises(TemplateError) as raised:
        plan(parse_template(body), PARAMETERS, PSEUDO).properties("Subject", _attributes)
    assert raised.value.message == "No export named shared-vpc found."


def test_metadata_and_any_part_evaluate_too() -> None:
    body = HEAD + "    Metadata:\n      Note: !Sub '${Target}-${Env}'\n"
    evaluated = plan(parse_template(body), PARAMETERS, PSEUDO)
    resource = evaluated.resources["Subject"]
    assert evaluated.evaluate(resource["Metadata"], _attributes) == {"Note": "target-id-prod"}
