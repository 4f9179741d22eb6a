"""Parameters: declarations, every constraint and type, UsePreviousValue, NoEcho, Rules."""

from __future__ import annotations

from typing import Any

import pytest

from airlock.cloudformation.template import (
    ParameterDecl,
    ParameterError,
    TemplateError,
    declared_parameters,
    masked,
    parse_template,
    resolve_parameters,
)


def _template(parameters: str, rules: str = "") -> dict[str, Any]:
    return parse_template(
        f"Parameters:\n{parameters}{rules}Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
    )


def test_declarations_carry_every_constraint_in_template_order() -> None:
    template = _template(
        "  Name:\n    Type: String\n    Default: abc\n    Description: the name\n"
        "    AllowedPattern: '[a-z]+'\n    MinLength: 1\n    MaxLength: '8'\n"
        "    ConstraintDescription: lower case\n    NoEcho: 'true'\n"
        "  Size:\n    Type: Number\n    MinValue: 1\n    MaxValue: 2.5\n"
        "  Flag:\n    Type: String\n    AllowedValues: [true, false]\n    Default: true\n"
    )
    assert declared_parameters(template) == [
        ParameterDecl(
            name="Name",
            type="String",
            default="abc",
            no_echo=True,
            description="the name",
            allowed_pattern="[a-z]+",
            min_length=1,
            max_length=8,
            constraint_description="lower case",
        ),
        ParameterDecl(name="Size", type="Number", min_value=1.0, max_value=2.5),
        # YAML booleans in a declaration are the strings CloudFormation compares.
        ParameterDecl(name="Flag", type="String", default="true", allowed_values=["true", "false"]),
    ]


STRING = "  P:\n    Type: String\n"


@pytest.mark.parametrize(
    ("declaration", "value", "message"),
    [
        (
            STRING + "    AllowedValues: [dev, prod]\n",
            "test",
            "Parameter 'P' must be one of AllowedValues",
        ),
        (
            STRING + "    AllowedPattern: '[a-z]+'\n",
            "abc1",
            "Parameter 'P' failed to satisfy constraint: "
            "Malformed input-Parameter P must match pattern [a-z]+",
        ),
        (
            STRING + "    AllowedPattern: '[a-z]+'\n    ConstraintDescription: only letters\n",
            "ABC",
            "Parameter 'P' failed to satisfy constraint: only letters",
        ),
        (STRING + "    MinLength: 3\n", "ab", "Parameter 'P' must contain at least 3 characters"),
        (STRING + "    MaxLength: 3\n", "abcd", "Parameter 'P' must contain at most 3 characters"),
        (
            STRING + "    MinLength: 3\n    ConstraintDescription: three or more\n",
            "ab",
            "Parameter 'P' failed to satisfy constraint: three or more",
        ),
        ("  P:\n    Type: Number\n", "12a", "Parameter 'P' must be a number."),
        ("  P:\n    Type: Number\n", "", "Parameter 'P' must be a number."),
        (
            "  P:\n    Type: Number\n    MinValue: 1\n",
            "0.5",
            "Parameter 'P' must be a number not less than 1",
        ),
        (
            "  P:\n    Type: Number\n    MaxValue: 2.5\n",
            "3",
            "Parameter 'P' must be a number not greater than 2.5",
        ),
        (
            "  P:\n    Type: Number\n    AllowedValues: [1, 2]\n",
            "3",
            "Parameter 'P' must be one of AllowedValues",
        ),
        ("  P:\n    Type: List<Number>\n", "1,x", "Parameter 'P' must be a number."),
        (
            "  P:\n    Type: List<Number>\n    MaxValue: 10\n",
            "1, 11",
            "Parameter 'P' must be a number not greater than 10",
        ),
        (
            "  P:\n    Type: CommaDelimitedList\n    AllowedValues: [a, b]\n",
            "a,c",
            "Parameter 'P' must be one of AllowedValues",
        ),
        (
            "  P:\n    Type: List<AWS::EC2::Subnet::Id>\n    AllowedPattern: subnet-[0-9a-f]+\n",
            "subnet-1,vpc-2",
            "Parameter 'P' failed to satisfy constraint: "
            "Malformed input-Parameter P must match pattern subnet-[0-9a-f]+",
        ),
        (
            STRING + "    AllowedPattern: '\\p{Alnum}+'\n",
            "a-b",
            "Parameter 'P' failed to satisfy constraint: "
            "Malformed input-Parameter P must match pattern \\p{Alnum}+",
        ),
    ],
)
def test_a_value_that_breaks_a_constraint_is_refused(
    declaration: str, value: str, message: str
) -> None:
    with pytest.raises(ParameterError) as raised:
        resolve_parameters(_template(declaration), {"P": value})
    assert raised.value.message == message


@pytest.mark.parametrize(
    ("declaration", "value", "expected"),
    [
        (STRING, "", ""),
        (STRING + "    AllowedPattern: '[a-z]+'\n", "abc", "abc"),
        (STRING + "    AllowedPattern: '\\p{Alnum}+'\n", "aB3", "aB3"),
        (STRING + "    MinLength: 2\n    MaxLength: 3\n", "abc", "abc"),
        ("  P:\n    Type: Number\n    MinValue: 1\n    MaxValue: 3\n", "2.5", "2.5"),
        ("  P:\n    Type: Number\n", "-1e3", "-1e3"),
        ("  P:\n    Type: List<Number>\n", "1, 2,3", ["1", "2", "3"]),
        ("  P:\n    Type: CommaDelimitedList\n", " a , b", ["a", "b"]),
        ("  P:\n    Type: CommaDelimitedList\n", "", [""]),
        ("  P:\n    Type: AWS::EC2::VPC::Id\n", "vpc-1", "vpc-1"),
        (
            "  P:\n    Type: List<AWS::EC2::Subnet::Id>\n",
            "subnet-1,subnet-2",
            ["subnet-1", "subnet-2"],
        ),
        ("  P:\n    Type: AWS::SSM::Parameter::Name\n", "/my/param", "/my/param"),
    ],
)
def test_a_value_gets_its_type(declaration: str, value: str, expected: Any) -> None:
    assert resolve_parameters(_template(declaration), {"P": value}) == {"P": expected}


def test_defaults_apply_and_missing_values_are_named_together() -> None:
    template = _template(
        "  A:\n    Type: String\n  B:\n    Type: String\n    Default: b\n  C:\n    Type: Number\n"
    )
    with pytest.raises(ParameterError) as raised:
        resolve_parameters(template, {})
    assert raised.value.message == "Parameters: [A, C] must have values"
    assert resolve_parameters(template, {"A": "a", "C": "1"}) == {"A": "a", "B": "b", "C": "1"}


def test_a_default_is_checked_like_a_given_value() -> None:
    template = _template(STRING + "    Default: x\n    MinLength: 3\n")
    with pytest.raises(ParameterError) as raised:
        resolve_parameters(template, {})
    assert raised.value.message == "Parameter 'P' must contain at least 3 characters"


def test_keys_the_template_does_not_declare_are_refused() -> None:
    with pytest.raises(ParameterError) as raised:
        resolve_parameters(_template(STRING), {"P": "a", "X": "1", "Y": "2"})
    assert raised.value.message == "Parameters: [X, Y] do not exist in the template"


def test_use_previous_value_reads_the_previous_stacks_value() -> None:
    template = _template(STRING + "  Q:\n    Type: String\n    Default: q\n")
    assert resolve_parameters(template, {"P": None}, {"P": "old", "Q": "old-q"}) == {
        "P": "old",
        "Q": "q",
    }
    with pytest.raises(ParameterError) as raised:
        resolve_parameters(template, {"Q": None}, {"P": "old"})
    assert raised.value.message == (
        "Invalid input for parameter key Q. Cannot specify usePreviousValue as true "
        "for a parameter key not in the previous template"
    )
    with pytest.raises(ParameterError):
        resolve_parameters(template, {"P": None})


def test_ssm_parameters_are_refused_unless_a_store_is_given() -> None:
    template = _template(
        "  P:\n    Type: AWS::SSM::Parameter::Value<String>\n"
        "  L:\n    Type: AWS::SSM::Parameter::Value<List<String>>\n    Default: /ids\n"
    )
    with pytest.raises(ParameterError) as raised:
        resolve_parameters(template, {"P": "/name"})
    assert raised.value.message == (
        "Parameter 'P' is of type AWS::SSM::Parameter::Value<String>, which reads the Systems "
        "Manager parameter '/name': Airlock has no Parameter Store. Declare the parameter as "
        "String and pass the value itself."
    )
    store = {"/name": "value", "/ids": "a,b"}
    assert resolve_parameters(template, {"P": "/name"}, ssm=store.__getitem__) == {
        "P": "value",
        "L": ["a", "b"],
    }
    with pytest.raises(ParameterError) as raised:
        resolve_parameters(template, {"P": "/gone"}, ssm=store.__getitem__)
    assert raised.value.message == (
        "Parameters [P] referenced by template have types not supported by CloudFormation "
        "or the Systems Manager parameter '/gone' does not exist."
    )


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        (
            "  P:\n    Default: x\n",
            "Template format error: Every Parameters object must contain a Type member.",
        ),
        ("  P:\n    Type: Text\n", "Template format error: Unrecognized parameter type: Text"),
        (
            "  P:\n    Type: AWS::SSM::Parameter::Value<Number>\n",
            "Template format error: Unrecognized parameter type: "
            "AWS::SSM::Parameter::Value<Number>",
        ),
        (
            "  P:\n    Type: String\n    Minimum: 1\n",
            "Template format error: Invalid template parameter property 'Minimum'",
        ),
        (
            "  P-1:\n    Type: String\n",
            "Template format error: Parameter name P-1 is non alphanumeric.",
        ),
        (
            "  P:\n    Type: String\n    MinLength: many\n",
            "Template format error: Parameter 'P' MinLength must be an integer",
        ),
        (
            "  P:\n    Type: Number\n    MaxValue: lots\n",
            "Template format error: Parameter 'P' MaxValue must be a number",
        ),
        (
            "  P:\n    Type: String\n    AllowedValues: a\n",
            "Template format error: Parameter 'P' AllowedValues must be a list",
        ),
        (
            "  P:\n    Type: String\n    AllowedPattern: '[a-'\n",
            "Template format error: Parameter 'P' AllowedPattern must be a valid regular "
            "expression.",
        ),
    ],
)
def test_malformed_declarations_are_template_errors(declaration: str, message: str) -> None:
    with pytest.raises(TemplateError) as raised:
        resolve_parameters(_template(declaration), {"P": "1"})
    assert raised.value.message == message
    assert not isinstance(raised.value, ParameterError)


def test_masked_hides_no_echo_values_and_joins_lists() -> None:
    template = _template(
        "  Secret:\n    Type: String\n    NoEcho: true\n"
        "  Names:\n    Type: CommaDelimitedList\n  Count:\n    Type: Number\n"
    )
    values = resolve_parameters(template, {"Secret": "hunter2", "Names": "a,b", "Count": "3"})
    assert masked(template, values) == {"Secret": "****", "Names": "a,b", "Count": "3"}


RULES = (
    "Rules:\n"
    "  ProdNeedsBig:\n"
    "    RuleCondition: !Equals [!Ref Env, prod]\n"
    "    Assertions:\n"
    "      - Assert: !Contains [[large, xlarge], !Ref Size]\n"
    "        AssertDescription: prod needs a large size\n"
    "  Always:\n"
    "    Assertions:\n"
    "      - Assert: !EachMemberIn [!Ref Zones, [a, b]]\n"
    "        AssertDescription: zones are a or b\n"
    "      - Assert: !EachMemberEquals [!RefAll AWS::EC2::VPC::Id, vpc-1]\n"
    "      - Assert: !Not [!Equals [!Ref AWS::Region, cn-north-1]]\n"
    "        AssertDescription: not in China\n"
)
RULE_PARAMETERS = (
    "  Env:\n    Type: String\n  Size:\n    Type: String\n"
    "  Zones:\n    Type: CommaDelimitedList\n    Default: a\n"
    "  Vpc:\n    Type: AWS::EC2::VPC::Id\n    Default: vpc-1\n"
)
PSEUDO = {"AWS::Region": "eu-west-1"}


@pytest.mark.parametrize(
    ("given", "pseudo", "message"),
    [
        ({"Env": "prod", "Size": "small"}, PSEUDO, "prod needs a large size"),
        ({"Env": "dev", "Size": "small", "Zones": "a,c"}, PSEUDO, "zones are a or b"),
        ({"Env": "dev", "Size": "s", "Vpc": "vpc-2"}, PSEUDO, "Template rule Always failed"),
        ({"Env": "dev", "Size": "s"}, {"AWS::Region": "cn-north-1"}, "not in China"),
    ],
)
def test_a_failed_rule_assertion_refuses_the_parameters(
    given: dict[str, str], pseudo: dict[str, str], message: str
) -> None:
    with pytest.raises(ParameterError) as raised:
        resolve_parameters(_template(RULE_PARAMETERS, RULES), given, pseudo=pseudo)
    assert raised.value.message == message


def test_rules_that_hold_let_the_values_through() -> None:
    template = _template(RULE_PARAMETERS, RULES)
    values = resolve_parameters(template, {"Env": "prod", "Size": "large"}, pseudo=PSEUDO)
    assert values == {"Env": "prod", "Size": "large", "Zones": ["a"], "Vpc": "vpc-1"}
    # A rule whose RuleCondition is false asserts nothing.
    assert (
        resolve_parameters(template, {"Env": "dev", "Size": "tiny"}, pseudo=PSEUDO)["Size"]
        == "tiny"
    )
