"""Template text to the long form: JSON, YAML and every short form."""

from __future__ import annotations

from typing import Any

import pytest

from airlock.cloudformation.template import TemplateError, parse_template


def _value(yaml_value: str) -> Any:
    return parse_template(f"Value: {yaml_value}\n")["Value"]


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("!Ref Bucket", {"Ref": "Bucket"}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
        ("!GetAtt Bucket.Arn", {"Fn::GetAtt": ["Bucket", "Arn"]}),
        ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        ("!GetAtt [Bucket, Arn]", {"Fn::GetAtt": ["Bucket", "Arn"]}),
        ("!Sub '${AWS::StackName}-x'", {"Fn::Sub": "${AWS::StackName}-x"}),
        (
            "!Sub ['${A}-b', {A: !Ref P}]",
            {"Fn::Sub": ["${A}-b", {"A": {"Ref": "P"}}]},
        ),
        ("!Join ['', [a, !Ref B]]", {"Fn::Join": ["", ["a", {"Ref": "B"}]]}),
        ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
        ("!Split [',', !Ref L]", {"Fn::Split": [",", {"Ref": "L"}]}),
        ("!If [C, a, !Ref AWS::NoValue]", {"Fn::If": ["C", "a", {"Ref": "AWS::NoValue"}]}),
        ("!Equals [!Ref E, prod]", {"Fn::Equals": [{"Ref": "E"}, "prod"]}),
        (
            "!And [!Condition A, !Not [!Condition B]]",
            {"Fn::And": [{"Condition": "A"}, {"Fn::Not": [{"Condition": "B"}]}]},
        ),
        ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
        (
            "!FindInMap [M, !Ref AWS::Region, k]",
            {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "k"]},
        ),
        ("!Base64 hello", {"Fn::Base64": "hello"}),
        ("!GetAZs us-west-2", {"Fn::GetAZs": "us-west-2"}),
        ("!ImportValue {'Fn::Sub': '${S}-Vpc'}", {"Fn::ImportValue": {"Fn::Sub": "${S}-Vpc"}}),
        ("!Cidr [10.0.0.0/16, 2, 8]", {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}),
        ("!Length [a, b]", {"Fn::Length": ["a", "b"]}),
        ("!ToJsonString {a: 1}", {"Fn::ToJsonString": {"a": 1}}),
        ("!Contains [[a], !Ref P]", {"Fn::Contains": [["a"], {"Ref": "P"}]}),
        ("!EachMemberIn [!Ref L, [a]]", {"Fn::EachMemberIn": [{"Ref": "L"}, ["a"]]}),
        ("!EachMemberEquals [!Ref L, a]", {"Fn::EachMemberEquals": [{"Ref": "L"}, "a"]}),
        ("!RefAll AWS::EC2::VPC::Id", {"Fn::RefAll": "AWS::EC2::VPC::Id"}),
        ("!ValueOf [P, Tag]", {"Fn::ValueOf": ["P", "Tag"]}),
    ],
)
def test_short_forms_become_the_long_form(short: str, long: Any) -> None:
    assert _value(short) == long


def test_a_short_form_can_take_a_block_mapping_or_sequence() -> None:
    template = parse_template(
        "Value: !Sub\n  - '${Name}-${AWS::Region}'\n  - Name: !Ref P\n"
        "Other: !Join\n  - ','\n  - - a\n"
    )
    assert template == {
        "Value": {"Fn::Sub": ["${Name}-${AWS::Region}", {"Name": {"Ref": "P"}}]},
        "Other": {"Fn::Join": [",", ["a"]]},
    }


@pytest.mark.parametrize(
    ("yaml_value", "expected"),
    [
        # Timestamps and dates stay the text CloudFormation reads.
        ("2012-10-17", "2012-10-17"),
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
        ("!!timestamp 2010-09-09", "2010-09-09"),
        # YAML 1.1 booleans, as CloudFormation reads them.
        ("yes", True),
        ("NO", False),
        ("On", True),
        ("off", False),
        ("'YES'", "YES"),
        ("true", True),
        ("1.0", 1.0),
        ("12", 12),
        ("~", None),
    ],
)
def test_yaml_scalars_read_as_cloudformation_reads_them(yaml_value: str, expected: Any) -> None:
    value = _value(yaml_value)
    assert value == expected
    assert type(value) is type(expected)


def test_the_format_version_is_a_string_not_a_date() -> None:
    template = parse_template("AWSTemplateFormatVersion: 2010-09-09\nResources: {}\n")
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"


def test_keys_yaml_reads_as_numbers_or_booleans_are_names() -> None:
    template = parse_template("Mappings:\n  M:\n    2012: {yes: 1}\n")
    assert template == {"Mappings": {"M": {"2012": {"true": 1}}}}


def test_json_is_read_as_json() -> None:
    body = '{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"N": 1.5}}}}'
    assert parse_template(body) == {
        "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"N": 1.5}}}
    }


def test_anchors_and_aliases_are_expanded() -> None:
    template = parse_template("A: &tags [{Key: k, Value: v}]\nB: *tags\n")
    assert template["B"] == [{"Key": "k", "Value": "v"}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '{\n  "Resources": {\n    "B": {"Type": "AWS::S3::Bucket",}\n  }\n}',
            "Template format error: JSON not well-formed. (line 3, column 37)",
        ),
        ("{", "Template format error: JSON not well-formed. (line 1, column 2)"),
        (
            "Resources:\n  B:\n    Type: [a\n",
            "Template format error: YAML not well-formed. (line 4, column 1)",
        ),
        (
            "Resources:\n  B: !Bogus x\n",
            "Template format error: YAML not well-formed. (line 2, column 6)",
        ),
        ("just text", "Template format error: unsupported structure."),
        ("- a\n- b\n", "Template format error: unsupported structure."),
        ("", "Template format error: unsupported structure."),
        # YAML gives a node one tag: two short forms in a row need the long form inside.
        (
            "Value: !ImportValue !Sub '${S}-Vpc'\n",
            "Template format error: YAML not well-formed. (line 1, column 21)",
        ),
        ("a: 1\n---\nb: 2\n", "Template format error: YAML not well-formed. (line 2, column 1)"),
    ],
)
def test_malformed_text_is_refused_in_aws_words(body: str, message: str) -> None:
    with pytest.raises(TemplateError) as raised:
        parse_template(body)
    assert raised.value.message == message
    assert str(raised.value) == message
