"""plan: conditions, which resources and outputs exist, the dependency graph and its order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from airlock.cloudformation.template import (
    ParameterError,
    TemplateError,
    parse_template,
    plan,
)

PSEUDO = {
    "AWS::AccountId": "111122223333",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "app",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/app/1",
}


def _attributes(logical_id: str) -> Mapping[str, Any]:
    return {"Ref": f"{logical_id}-id", "Arn": f"arn:aws:s3:::{logical_id.lower()}"}


GRAPH = """
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      Arn: !Sub '${Bucket.Arn}/*'
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: Log
  Log:
    Type: AWS::Logs::LogGroup
  Alarm:
    Type: AWS::Logs::LogGroup
    DependsOn: [Policy, Log]
  Free:
    Type: AWS::Logs::LogGroup
    Properties:
      Name: !If [IsProd, !Ref Log, !Ref AWS::NoValue]
"""


def test_dependencies_come_from_refs_getatts_subs_and_depends_on() -> None:
    evaluated = plan(parse_template(GRAPH), {"Env": "dev"}, PSEUDO)
    assert evaluated.dependencies == {
        "Policy": {"Bucket"},
        "Bucket": {"Log"},
        "Log": set(),
        "Alarm": {"Policy", "Log"},
        # The Fn::If branch not taken is no dependency.
        "Free": set(),
    }
    assert list(evaluated.resources) == ["Policy", "Bucket", "Log", "Alarm", "Free"]
    assert evaluated.resources["Alarm"]["DependsOn"] == ["Policy", "Log"]
    assert evaluated.resources["Bucket"]["DependsOn"] == ["Log"]


def test_the_order_is_topological_and_otherwise_the_templates() -> None:
    evaluated = plan(parse_template(GRAPH), {"Env": "dev"}, PSEUDO)
    assert evaluated.order() == ["Log", "Bucket", "Policy", "Alarm", "Free"]
    evaluated = plan(parse_template(GRAPH), {"Env": "prod"}, PSEUDO)
    assert evaluated.dependencies["Free"] == {"Log"}
    assert evaluated.order() == ["Log", "Bucket", "Policy", "Alarm", "Free"]


CONDITIONAL = """
Parameters:
  Env: {Type: String, AllowedValues: [dev, prod]}
  Name: {Type: String, Default: ''}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  HasName: !Not [!Equals [!Ref Name, '']]
  ProdWithName: !And [!Condition IsProd, !Condition HasName]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Condition: HasName
    DeletionPolicy: !If [IsProd, Retain, Delete]
    UpdateReplacePolicy: Retain
    Properties:
      BucketName: !Ref Name
  Policy:
    Type: AWS::S3::BucketPolicy
    Condition: ProdWithName
    Properties:
      Bucket: !Ref Bucket
  Log:
    Type: AWS::Logs::LogGroup
    Properties:
      Name: !If [HasName, !Ref Bucket, default]
Outputs:
  BucketArn:
    Condition: HasName
    Value: !GetAtt Bucket.Arn
    Description: !Sub 'the bucket of ${AWS::StackName}'
    Export: {Name: !Sub '${AWS::StackName}-BucketArn'}
  Names:
    Value: !Split [',', 'a,b']
  Document:
    Value: {Key: !Ref Env}
  Nothing:
    Value: !If [IsProd, x, !Ref AWS::NoValue]
"""


@pytest.mark.parametrize(
    ("parameters", "conditions", "resources"),
    [
        (
            {"Env": "prod", "Name": "n"},
            {"IsProd": True, "HasName": True, "ProdWithName": True},
            ["Bucket", "Policy", "Log"],
        ),
        (
            {"Env": "dev", "Name": "n"},
            {"IsProd": False, "HasName": True, "ProdWithName": False},
            ["Bucket", "Log"],
        ),
        (
            {"Env": "prod", "Name": ""},
            {"IsProd": True, "HasName": False, "ProdWithName": False},
            ["Log"],
        ),
    ],
)
def test_conditions_decide_which_resources_exist(
    parameters: dict[str, str], conditions: dict[str, bool], resources: list[str]
) -> None:
    evaluated = plan(parse_template(CONDITIONAL), parameters, PSEUDO)
    assert evaluated.conditions == conditions
    assert list(evaluated.resources) == resources


def test_policies_are_evaluated() -> None:
    evaluated = plan(parse_template(CONDITIONAL), {"Env": "prod", "Name": "n"}, PSEUDO)
    assert evaluated.resources["Bucket"]["DeletionPolicy"] == "Retain"
    assert evaluated.resources["Bucket"]["UpdateReplacePolicy"] == "Retain"
    evaluated = plan(parse_template(CONDITIONAL), {"Env": "dev", "Name": "n"}, PSEUDO)
    assert evaluated.resources["Bucket"]["DeletionPolicy"] == "Delete"


def test_outputs_whose_condition_holds_are_strings() -> None:
    evaluated = plan(parse_template(CONDITIONAL), {"Env": "prod", "Name": "n"}, PSEUDO)
    assert evaluated.outputs(_attributes) == [
        {
            "OutputKey": "BucketArn",
            "OutputValue": "arn:aws:s3:::bucket",
            "Description": "the bucket of app",
            "ExportName": "app-BucketArn",
        },
        {"OutputKey": "Names", "OutputValue": "a,b"},
        {"OutputKey": "Document", "OutputValue": '{"Key": "prod"}'},
        {"OutputKey": "Nothing", "OutputValue": "x"},
    ]
    evaluated = plan(parse_template(CONDITIONAL), {"Env": "dev", "Name": ""}, PSEUDO)
    assert [output["OutputKey"] for output in evaluated.outputs(_attributes)] == [
        "Names",
        "Document",
        "Nothing",
    ]
    assert evaluated.outputs(_attributes)[-1]["OutputValue"] == ""


@pytest.mark.parametrize(
    ("change", "parameters", "missing", "block"),
    [
        # A resource that refers to one whose condition is false.
        (
            ("Condition: ProdWithName", "Condition: IsProd"),
            {"Env": "prod", "Name": ""},
            "Bucket",
            "Resources",
        ),
        # An output, with no condition of its own, that does.
        (
            ("    Condition: HasName\n    Value", "    Value"),
            {"Env": "prod", "Name": ""},
            "Bucket",
            "Outputs",
        ),
        # A DependsOn on one.
        (
            (
                "  Log:\n    Type: AWS::Logs::LogGroup\n",
                "  Log:\n    Type: AWS::Logs::LogGroup\n    DependsOn: Policy\n",
            ),
            {"Env": "dev", "Name": "n"},
            "Policy",
            "Resources",
        ),
    ],
)
def test_a_reference_to_a_resource_whose_condition_is_false_is_unresolved(
    change: tuple[str, str], parameters: dict[str, str], missing: str, block: str
) -> None:
    body = CONDITIONAL.replace(*change)
    assert body != CONDITIONAL
    with pytest.raises(TemplateError) as raised:
        plan(parse_template(body), parameters, PSEUDO)
    assert raised.value.message == (
        f"Template format error: Unresolved resource dependencies [{missing}] in the {block} "
        "block of the template"
    )


def test_every_declared_parameter_needs_a_value() -> None:
    with pytest.raises(ParameterError) as raised:
        plan(parse_template(CONDITIONAL), {}, PSEUDO)
    assert raised.value.message == "Parameters: [Env, Name] must have values"


def test_exports_used_names_the_imports_of_existing_resources_and_outputs() -> None:
    body = """
Parameters:
  Network: {Type: String}
Conditions:
  Never: !Equals [a, b]
Resources:
  Used:
    Type: AWS::S3::Bucket
    Properties:
      A: !ImportValue {'Fn::Sub': '${Network}-Vpc'}
      B: !If [Never, !ImportValue not-taken, !ImportValue taken]
  Skipped:
    Type: AWS::S3::Bucket
    Condition: Never
    Properties:
      A: !ImportValue skipped
Outputs:
  Out:
    Value: !ImportValue from-output
"""
    evaluated = plan(parse_template(body), {"Network": "net"}, PSEUDO)
    assert evaluated.exports_used() == {"net-Vpc", "taken", "from-output"}


def test_an_import_name_cannot_depend_on_a_resource() -> None:
    body = """
Resources:
  A:
    Type: AWS::S3::Bucket
  B:
    Type: AWS::S3::Bucket
    Properties:
      Name: !ImportValue {'Fn::Sub': '${A}-x'}
"""
    with pytest.raises(TemplateError) as raised:
        plan(parse_template(body), {}, PSEUDO).exports_used()
    assert raised.value.message == (
        "Template format error: Fn::ImportValue cannot use A: "
        "an export name cannot depend on a resource"
    )
