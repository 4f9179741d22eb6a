"""GetTemplateSummary's and ValidateTemplate's answers, and the capabilities a template needs."""

from __future__ import annotations

import botocore.session
import pytest

from airlock.cloudformation.template import (
    missing_capabilities,
    parse_template,
    required_capabilities,
    template_summary,
    validation_summary,
)

TEMPLATE = """
Description: A role and a bucket
Metadata:
  AWS::CloudFormation::Interface: {ParameterGroups: []}
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
    Description: where
  Secret:
    Type: String
    NoEcho: true
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  Policy:
    Type: AWS::IAM::Policy
  Other:
    Type: AWS::S3::Bucket
"""


def test_the_summary_answers_as_get_template_summary_does() -> None:
    assert template_summary(parse_template(TEMPLATE)) == {
        "Parameters": [
            {
                "ParameterKey": "Env",
                "DefaultValue": "dev",
                "ParameterType": "String",
                "NoEcho": False,
                "Description": "where",
                "ParameterConstraints": {"AllowedValues": ["dev", "prod"]},
            },
            {
                "ParameterKey": "Secret",
                "ParameterType": "String",
                "NoEcho": True,
                "ParameterConstraints": {},
            },
        ],
        "Description": "A role and a bucket",
        "Capabilities": ["CAPABILITY_IAM"],
        "CapabilitiesReason": "The following resource(s) require capabilities: "
        "[AWS::IAM::Role, AWS::IAM::Policy]",
        "ResourceTypes": ["AWS::IAM::Policy", "AWS::IAM::Role", "AWS::S3::Bucket"],
        "Version": "2010-09-09",
        "Metadata": '{"AWS::CloudFormation::Interface": {"ParameterGroups": []}}',
        "DeclaredTransforms": [],
    }


def test_validation_answers_as_validate_template_does() -> None:
    assert validation_summary(parse_template(TEMPLATE)) == {
        "Parameters": [
            {"ParameterKey": "Env", "DefaultValue": "dev", "NoEcho": False, "Description": "where"},
            {"ParameterKey": "Secret", "NoEcho": True},
        ],
        "Description": "A role and a bucket",
        "Capabilities": ["CAPABILITY_IAM"],
        "CapabilitiesReason": "The following resource(s) require capabilities: "
        "[AWS::IAM::Role, AWS::IAM::Policy]",
        "DeclaredTransforms": [],
    }


@pytest.mark.parametrize(
    ("operation", "answer"),
    [("GetTemplateSummary", template_summary), ("ValidateTemplate", validation_summary)],
)
def test_every_member_is_one_botocore_knows(operation: str, answer: object) -> None:
    model = botocore.session.get_session().get_service_model("cloudformation")
    output = model.operation_model(operation).output_shape
    summary = answer(parse_template(TEMPLATE))  # type: ignore[operator]
    assert set(summary) <= set(output.members)
    parameter_members = set(output.members["Parameters"].member.members)
    assert all(set(entry) <= parameter_members for entry in summary["Parameters"])


@pytest.mark.parametrize(
    ("resources", "capabilities"),
    [
        ("  B:\n    Type: AWS::S3::Bucket\n", []),
        ("  R:\n    Type: AWS::IAM::Role\n", ["CAPABILITY_IAM"]),
        (
            "  R:\n    Type: AWS::IAM::ManagedPolicy\n    Properties: {Description: x}\n",
            ["CAPABILITY_IAM"],
        ),
        ("  R:\n    Type: AWS::IAM::AccessKey\n", ["CAPABILITY_IAM"]),
        ("  R:\n    Type: AWS::IAM::InstanceProfile\n", ["CAPABILITY_IAM"]),
        ("  R:\n    Type: AWS::IAM::UserToGroupAddition\n", ["CAPABILITY_IAM"]),
        # A policy's PolicyName is no custom name of an IAM entity.
        ("  P:\n    Type: AWS::IAM::Policy\n    Properties: {PolicyName: p}\n", ["CAPABILITY_IAM"]),
        (
            "  R:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: r}\n",
            ["CAPABILITY_NAMED_IAM"],
        ),
        (
            "  U:\n    Type: AWS::IAM::User\n    Properties: {UserName: !Ref AWS::StackName}\n",
            ["CAPABILITY_NAMED_IAM"],
        ),
        (
            "  G:\n    Type: AWS::IAM::Group\n    Properties: {GroupName: g}\n",
            ["CAPABILITY_NAMED_IAM"],
        ),
        (
            "  M:\n    Type: AWS::IAM::ManagedPolicy\n    Properties: {ManagedPolicyName: m}\n",
            ["CAPABILITY_NAMED_IAM"],
        ),
        (
            "  I:\n    Type: AWS::IAM::InstanceProfile\n    Properties: {InstanceProfileName: i}\n",
            ["CAPABILITY_NAMED_IAM"],
        ),
    ],
)
def test_required_capabilities(resources: str, capabilities: list[str]) -> None:
    template = parse_template("Resources:\n" + resources)
    assert required_capabilities(template) == capabilities
    if not capabilities:
        assert "Capabilities" not in template_summary(template)


def test_a_transform_needs_auto_expand_and_is_declared() -> None:
    template = parse_template(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  B:\n    Type: AWS::S3::Bucket\n"
    )
    assert required_capabilities(template) == ["CAPABILITY_AUTO_EXPAND"]
    assert template_summary(template)["DeclaredTransforms"] == ["AWS::Serverless-2016-10-31"]


@pytest.mark.parametrize(
    ("granted", "missing"),
    [
        ([], ["CAPABILITY_NAMED_IAM"]),
        (["CAPABILITY_IAM"], ["CAPABILITY_NAMED_IAM"]),
        (["CAPABILITY_NAMED_IAM"], []),
    ],
)
def test_named_iam_needs_its_own_capability(granted: list[str], missing: list[str]) -> None:
    template = parse_template(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: r}\n"
    )
    assert missing_capabilities(template, granted) == missing


@pytest.mark.parametrize(
    ("granted", "missing"),
    [([], ["CAPABILITY_IAM"]), (["CAPABILITY_IAM"], []), (["CAPABILITY_NAMED_IAM"], [])],
)
def test_named_iam_also_grants_iam(granted: list[str], missing: list[str]) -> None:
    template = parse_template("Resources:\n  R:\n    Type: AWS::IAM::Role\n")
    assert missing_capabilities(template, granted) == missing
