"""check_template: what CloudFormation refuses before deploying, each in AWS's words."""

from __future__ import annotations

import pytest

from airlock.cloudformation.template import (
    ParameterError,
    TemplateError,
    check_template,
    parse_template,
)

BUCKET = "  Bucket:\n    Type: AWS::S3::Bucket\n"
CYCLE = (
    "Resources:\n"
    "  A:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: !Ref B}\n"
    "  B:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: !GetAtt C.Arn}\n"
    "  C:\n    Type: AWS::S3::Bucket\n    DependsOn: A\n"
    "  Waiting:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: !Sub '${A}'}\n"
    "  Free:\n    Type: AWS::S3::Bucket\n"
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Description: x\n",
            "Template format error: At least one Resources member must be defined.",
        ),
        (
            "Resources: {}\n",
            "Template format error: At least one Resources member must be defined.",
        ),
        (
            "Resources:\n  Bucket:\n    Properties: {}\n",
            "Template format error: [/Resources/Bucket] Every Resources object must contain a "
            "Type member.",
        ),
        (
            "Resources:\n" + BUCKET + "Bogus: 1\nOther: 2\n",
            "Template format error: Invalid template property or properties [Bogus, Other]",
        ),
        (
            "Transform: AWS::Serverless-2016-10-31\nResources:\n" + BUCKET,
            "Template format error: Airlock does not run transforms "
            "(Transform: AWS::Serverless-2016-10-31); expand the template before deploying it.",
        ),
        (
            "Transform: [AWS::LanguageExtensions, {Name: AWS::Include}]\nResources:\n" + BUCKET,
            "Template format error: Airlock does not run transforms "
            "(Transform: AWS::LanguageExtensions, AWS::Include); "
            "expand the template before deploying it.",
        ),
        (
            "AWSTemplateFormatVersion: 2011-01-01\nResources:\n" + BUCKET,
            "Template format error: AWSTemplateFormatVersion 2011-01-01 is not supported; "
            "the only version is 2010-09-09.",
        ),
        (
            "Description: [a]\nResources:\n" + BUCKET,
            "Template format error: Every Description member must be a string.",
        ),
        (
            "Resources:\n  my-bucket:\n    Type: AWS::S3::Bucket\n",
            "Template format error: Resource name my-bucket is non alphanumeric.",
        ),
        (
            "Resources:\n" + BUCKET + "    Condtion: X\n",
            "Template format error: Invalid template resource property 'Condtion'",
        ),
        (
            "Resources:\n" + BUCKET + "    Condition: [X]\n",
            "Template format error: Every Condition member must be a string.",
        ),
        (
            "Resources:\n" + BUCKET + "    Condition: IsProd\n",
            "Template format error: Unresolved condition dependencies [IsProd] in the Resources "
            "block of the template",
        ),
        (
            "Resources:\n" + BUCKET + "    DeletionPolicy: Keep\n",
            "Template format error: [/Resources/Bucket/DeletionPolicy] DeletionPolicy must be one "
            "of Delete, Retain, RetainExceptOnCreate, Snapshot.",
        ),
        (
            "Resources:\n" + BUCKET + "    Properties:\n      BucketName: !Ref Nothing\n"
            "  Other:\n    Type: AWS::S3::Bucket\n    DependsOn: [Bucket, Missing]\n"
            "    Properties:\n      BucketName: !Sub '${Nothing}-${Ghost}'\n",
            "Template format error: Unresolved resource dependencies [Missing] in the Resources "
            "block of the template",
        ),
        (
            "Resources:\n" + BUCKET + "    Properties:\n      BucketName: !Ref Nothing\n"
            "  Other:\n    Type: AWS::S3::Bucket\n"
            "    Properties:\n      BucketName: !Sub '${Nothing}-${Ghost}-${AWS::Region}'\n",
            "Template format error: Unresolved resource dependencies [Nothing, Ghost] in the "
            "Resources block of the template",
        ),
        (
            "Resources:\n" + BUCKET + "    Properties:\n      BucketName: !GetAtt Nothing.Arn\n",
            "Template error: instance of Fn::GetAtt references undefined resource Nothing",
        ),
        (
            "Resources:\n" + BUCKET + "    Properties:\n      BucketName: !Sub '${Nothing.Arn}'\n",
            "Template error: instance of Fn::GetAtt references undefined resource Nothing",
        ),
        (
            "Parameters:\n  P: {Type: String}\nResources:\n"
            + BUCKET
            + "    Properties:\n      BucketName: !GetAtt P.Arn\n",
            "Template error: instance of Fn::GetAtt references undefined resource P",
        ),
        (
            "Resources:\n" + BUCKET + "    Properties:\n      BucketName: !If [IsProd, a, b]\n",
            "Template error: unresolved condition dependency IsProd in Fn::If",
        ),
        (
            "Resources:\n" + BUCKET + "    Properties:\n      BucketName: {'Fn::Bogus': a}\n",
            "Template format error: Encountered unsupported function: Fn::Bogus Supported "
            "functions are: [Fn::Base64, Fn::Cidr, Fn::FindInMap, Fn::GetAtt, Fn::GetAZs, "
            "Fn::ImportValue, Fn::Join, Fn::Length, Fn::Select, Fn::Split, Fn::Sub, "
            "Fn::ToJsonString, Fn::Transform, Ref, Fn::And, Fn::Equals, Fn::If, Fn::Not, Fn::Or, "
            "Condition, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Fn::RefAll, "
            "Fn::ValueOf, Fn::ValueOfAll]",
        ),
        (
            "Resources:\n" + BUCKET + "    Properties:\n      BucketName: !Sub '${bad name}'\n",
            "Template error: variable names in Fn::Sub syntax must contain only alphanumeric "
            "characters, underscores, periods, and colons",
        ),
        (
            "Conditions:\n  C: !Equals [!Ref Bucket, x]\nResources:\n" + BUCKET,
            "Template format error: Unresolved dependencies [Bucket]. Cannot reference resources "
            "in the Conditions block of the template",
        ),
        (
            "Conditions:\n  C: !And [!Condition D, !Condition E]\nResources:\n" + BUCKET,
            "Template format error: Unresolved condition dependencies [D, E] in the Conditions "
            "block of the template",
        ),
        (
            "Conditions:\n  C: !Not [!Condition D]\n  D: !Not [!Condition C]\nResources:\n"
            + BUCKET,
            "Template format error: Circular dependency between conditions: [C, D]",
        ),
        (
            "Resources:\n" + BUCKET + "Outputs:\n  Name:\n    Description: x\n",
            "Template format error: Every Outputs member must contain a Value object",
        ),
        (
            "Resources:\n" + BUCKET + "Outputs:\n  Name:\n    Value: !Ref Nothing\n",
            "Template format error: Unresolved resource dependencies [Nothing] in the Outputs "
            "block of the template",
        ),
        (
            "Resources:\n" + BUCKET + "Outputs:\n  Name:\n    Value: !Ref Bucket\n    Export: {}\n",
            "Template format error: Output Name is malformed. The Name field of every Export "
            "member must be specified and consist only of alphanumeric characters, colons, or "
            "hyphens.",
        ),
        (
            "Resources:\n" + BUCKET + "Outputs:\n  Name:\n    Value: x\n    Condition: Nope\n",
            "Template format error: Unresolved condition dependencies [Nope] in the Outputs block "
            "of the template",
        ),
        (
            "Parameters:\n  Bucket: {Type: String}\nResources:\n" + BUCKET,
            "Template format error: Parameters and Resources share the names [Bucket]; every "
            "logical id must be unique.",
        ),
        (
            "Rules:\n  R:\n    Assertions:\n      - AssertDescription: x\nResources:\n" + BUCKET,
            "Template format error: Every Assertions member of rule R must contain an Assert.",
        ),
        (
            "Rules:\n  R:\n    Assertions:\n      - Assert: !Equals [!Ref Bucket, x]\nResources:\n"
            + BUCKET,
            "Template format error: Unresolved resource dependencies [Bucket] in the Rules block "
            "of the template",
        ),
        (
            "Mappings:\n  M: {a: 1}\nResources:\n" + BUCKET,
            "Template format error: Mappings attribute M must be a map of maps.",
        ),
        # A cycle names every resource that cannot be ordered: in it, or waiting on it.
        (CYCLE, "Circular dependency between resources: [A, B, C, Waiting]"),
        (
            "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: !Ref A}\n",
            "Circular dependency between resources: [A]",
        ),
    ],
)
def test_a_malformed_template_is_refused(body: str, message: str) -> None:
    with pytest.raises(TemplateError) as raised:
        check_template(parse_template(body))
    assert raised.value.message == message


def test_unrecognized_types_are_named_once_each_in_template_order() -> None:
    body = (
        "Resources:\n  A:\n    Type: AWS::X::Y\n  B:\n    Type: AWS::S3::Bucket\n"
        "  C:\n    Type: Custom::Thing\n  D:\n    Type: AWS::X::Y\n"
    )
    with pytest.raises(TemplateError) as raised:
        check_template(parse_template(body), known_types={"AWS::S3::Bucket"})
    assert raised.value.message == (
        "Template format error: Unrecognized resource types: [AWS::X::Y, Custom::Thing]"
    )
    # Without known types, types are not judged.
    check_template(parse_template(body))


def test_a_default_that_breaks_its_constraint_is_refused() -> None:
    body = (
        "Parameters:\n  P:\n    Type: String\n    Default: ab\n    MinLength: 12\nResources:\n"
        + BUCKET
    )
    with pytest.raises(ParameterError) as raised:
        check_template(parse_template(body))
    assert raised.value.message == "Parameter 'P' must contain at least 12 characters"


def test_a_sound_template_passes() -> None:
    body = (
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Parameters:\n  Env: {Type: String, AllowedValues: [dev, prod], Default: dev}\n"
        "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
        "Resources:\n"
        "  Bucket:\n    Type: AWS::S3::Bucket\n    Condition: IsProd\n    DeletionPolicy: Retain\n"
        "  Policy:\n    Type: AWS::S3::BucketPolicy\n    DependsOn: Bucket\n"
        "    DeletionPolicy: !If [IsProd, Retain, Delete]\n"
        "    Properties:\n      Bucket: !Ref Bucket\n"
        "      Document: !Sub ['${B}-${AWS::Region}-${!Literal}', {B: !GetAtt Bucket.Arn}]\n"
        "Outputs:\n  Arn:\n    Value: !GetAtt Bucket.Arn\n"
        "    Export: {Name: !Sub '${AWS::StackName}-Arn'}\n"
    )
    check_template(parse_template(body), known_types={"AWS::S3::Bucket", "AWS::S3::BucketPolicy"})
