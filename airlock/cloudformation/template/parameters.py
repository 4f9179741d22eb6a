"""Template parameters: their declarations, the values a stack gets, and how they are shown.

CloudFormation's parameter types are validators: every value arrives as a string and
stays one (a `Number`'s `Ref` is its text); only the list types become lists, split on
commas with each member space-trimmed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from airlock.cloudformation.template.errors import ParameterError, format_error
from airlock.cloudformation.template.rules import check_rules
from airlock.cloudformation.template.values import alphanumeric, is_scalar, text

_AWS_TYPES = frozenset(
    {
        "AWS::EC2::AvailabilityZone::Name",
        "AWS::EC2::Image::Id",
        "AWS::EC2::Instance::Id",
        "AWS::EC2::KeyPair::KeyName",
        "AWS::EC2::SecurityGroup::GroupName",
        "AWS::EC2::SecurityGroup::Id",
        "AWS::EC2::Subnet::Id",
        "AWS::EC2::Volume::Id",
        "AWS::EC2::VPC::Id",
        "AWS::Route53::HostedZone::Id",
    }
)
_LIST_TYPES = frozenset(
    {"CommaDelimitedList", "List<Number>", *(f"List<{kind}>" for kind in _AWS_TYPES)}
)
_TYPES = frozenset({"String", "Number", "AWS::SSM::Parameter::Name", *_AWS_TYPES, *_LIST_TYPES})
_SSM_VALUE = re.compile(r"AWS::SSM::Parameter::Value<(.+)>")
_SSM_VALUE_TYPES = frozenset({"String", "List<String>", "CommaDelimitedList", *_AWS_TYPES}) | {
    f"List<{kind}>" for kind in _AWS_TYPES
}
_PROPERTIES = frozenset(
    {
        "Type",
        "Default",
        "NoEcho",
        "AllowedValues",
        "AllowedPattern",
        "MaxLength",
        "MinLength",
        "MaxValue",
        "MinValue",
        "Description",
        "ConstraintDescription",
    }
)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# Java's POSIX classes, which AllowedPattern may use and Python's re does not know.
_POSIX_CLASSES = {
    r"\p{Lower}": "a-z",
    r"\p{Upper}": "A-Z",
    r"\p{ASCII}": r"\x00-\x7F",
    r"\p{Alpha}": "a-zA-Z",
    r"\p{Digit}": "0-9",
    r"\p{Alnum}": "a-zA-Z0-9",
    r"\p{Punct}": r"!-/:-@\[-`{-~",
    r"\p{Graph}": r"!-~",
    r"\p{Print}": r" -~",
    r"\p{Blank}": r" \t",
    r"\p{Space}": r" \t\n\x0B\f\r",
    r"\p{XDigit}": "0-9a-fA-F",
}
MASK = "****"


@dataclass(frozen=True)
class ParameterDecl:
    """One entry of a template's Parameters section, its constraints as text and numbers."""

    name: str
    type: str
    default: str | None = None
    no_echo: bool = False
    description: str | None = None
    allowed_values: list[str] | None = None
    allowed_pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    constraint_description: str | None = None

    @property
    def ssm_type(self) -> str | None:
        """For `AWS::SSM::Parameter::Value<T>`, T (the value's type); otherwise None."""
        found = _SSM_VALUE.fullmatch(self.type)
        return found.group(1) if found else None

    @property
    def value_type(self) -> str:
        """The type the value has once read (T for an SSM parameter)."""
        return self.ssm_type or self.type

    @property
    def is_list(self) -> bool:
        """Whether `Ref` gives a list."""
        kind = self.value_type
        return kind in _LIST_TYPES or kind == "List<String>"


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _integer(name: str, key: str, value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(text(value))
    except ValueError:
        raise format_error(f"Parameter '{name}' {key} must be an integer") from None


def _number(name: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if not is_scalar(value) or _NUMBER.fullmatch(text(value)) is None:
        raise format_error(f"Parameter '{name}' {key} must be a number")
    return float(text(value))


def _declaration(name: str, body: Any) -> ParameterDecl:
    if not alphanumeric(name):
        raise format_error(f"Parameter name {name} is non alphanumeric.")
    if not isinstance(body, dict):
        raise format_error("Every Parameters object must be an object.")
    for key in body:
        if key not in _PROPERTIES:
            raise format_error(f"Invalid template parameter property '{key}'")
    kind = body.get("Type")
    if kind is None:
        raise format_error("Every Parameters object must contain a Type member.")
    ssm = _SSM_VALUE.fullmatch(kind) if isinstance(kind, str) else None
    if not isinstance(kind, str) or (
        kind not in _TYPES and (ssm is None or ssm.group(1) not in _SSM_VALUE_TYPES)
    ):
        raise format_error(f"Unrecognized parameter type: {text(kind)}")
    allowed = body.get("AllowedValues")
    if allowed is not None and not isinstance(allowed, list):
        raise format_error(f"Parameter '{name}' AllowedValues must be a list")
    default = body.get("Default")
    if isinstance(default, list):
        default = ",".join(text(item) for item in default)
    description = body.get("Description")
    return ParameterDecl(
        name=name,
        type=kind,
        default=None if default is None else text(default),
        no_echo=text(body.get("NoEcho", False)).lower() == "true",
        description=None if description is None else text(description),
        allowed_values=None if allowed is None else [text(item) for item in allowed],
        allowed_pattern=None
        if body.get("AllowedPattern") is None
        else text(body["AllowedPattern"]),
        min_length=_integer(name, "MinLength", body.get("MinLength")),
        max_length=_integer(name, "MaxLength", body.get("MaxLength")),
        min_value=_number(name, "MinValue", body.get("MinValue")),
        max_value=_number(name, "MaxValue", body.get("MaxValue")),
        constraint_description=(
            None
            if body.get("ConstraintDescription") is None
            else text(body["ConstraintDescription"])
        ),
    )


def declared_parameters(template: Mapping[str, Any]) -> list[ParameterDecl]:
    """The template's parameters, in template order. Raises TemplateError for a malformed one."""
    section = template.get("Parameters") or {}
    if not isinstance(section, dict):
        raise format_error("Every Parameters member must be an object.")
    return [_declaration(name, body) for name, body in section.items()]


def _pattern(decl: ParameterDecl) -> re.Pattern[str]:
    source = decl.allowed_pattern or ""
    for posix, members in _POSIX_CLASSES.items():
        source = source.replace(f"[{posix}", f"[{members}").replace(posix, f"[{members}]")
    try:
        return re.compile(source)
    except re.error:
        raise format_error(
            f"Parameter '{decl.name}' AllowedPattern must be a valid regular expression."
        ) from None


def _refused(decl: ParameterDecl, reason: str) -> ParameterError:
    if decl.constraint_description is not None:
        return ParameterError(
            f"Parameter '{decl.name}' failed to satisfy constraint: {decl.constraint_description}"
        )
    return ParameterError(reason)


def check_value(decl: ParameterDecl, value: str) -> None:
    """Raise ParameterError, in AWS's words, if `value` breaks one of `decl`'s constraints."""
    name = decl.name
    # An SSM parameter's value is the name of the Systems Manager parameter: a string.
    listed = decl.is_list and decl.ssm_type is None
    members = [member.strip() for member in value.split(",")] if listed else [value]
    numeric = decl.type in ("Number", "List<Number>")
    for member in members:
        if numeric and _NUMBER.fullmatch(member) is None:
            raise ParameterError(f"Parameter '{name}' must be a number.")
        if decl.allowed_values is not None and member not in decl.allowed_values:
            raise _refused(decl, f"Parameter '{name}' must be one of AllowedValues")
        if decl.allowed_pattern is not None and _pattern(decl).fullmatch(member) is None:
            raise _refused(
                decl,
                f"Parameter '{name}' failed to satisfy constraint: "
                f"Malformed input-Parameter {name} must match pattern {decl.allowed_pattern}",
            )
        if numeric:
            number = float(member)
            if decl.min_value is not None and number < decl.min_value:
                raise _refused(
                    decl,
                    f"Parameter '{name}' must be a number not less than "
                    f"{_number_text(decl.min_value)}",
                )
            if decl.max_value is not None and number > decl.max_value:
                raise _refused(
                    decl,
                    f"Parameter '{name}' must be a number not greater than "
                    f"{_number_text(decl.max_value)}",
                )
    if not listed:
        if decl.min_length is not None and len(value) < decl.min_length:
            raise _refused(
                decl, f"Parameter '{name}' must contain at least {decl.min_length} characters"
            )
        if decl.max_length is not None and len(value) > decl.max_length:
            raise _refused(
                decl, f"Parameter '{name}' must contain at most {decl.max_length} characters"
            )


def _typed(decl: ParameterDecl, value: str) -> str | list[str]:
    if decl.is_list:
        return [member.strip() for member in value.split(",")]
    return value


def _read_ssm(decl: ParameterDecl, value: str, ssm: Callable[[str], str] | None) -> str:
    if ssm is None:
        raise ParameterError(
            f"Parameter '{decl.name}' is of type {decl.type}, which reads the Systems Manager "
            f"parameter '{value}': Airlock has no Parameter Store. Declare the parameter as "
            f"{decl.ssm_type} and pass the value itself."
        )
    try:
        return ssm(value)
    except KeyError:
        raise ParameterError(
            f"Parameters [{decl.name}] referenced by template have types not supported "
            f"by CloudFormation or the Systems Manager parameter '{value}' does not exist."
        ) from None


def resolve_parameters(
    template: Mapping[str, Any],
    given: Mapping[str, str | None],
    previous: Mapping[str, str] | None = None,
    *,
    pseudo: Mapping[str, Any] | None = None,
    ssm: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The stack's parameter values: `given` (None = UsePreviousValue), else the Default.

    Every constraint is checked, then the template's Rules (with `pseudo`, if a rule
    refers to a pseudo parameter). String, Number and the AWS id types give strings, the
    list types lists of strings. An `AWS::SSM::Parameter::Value<T>` reads its value with
    `ssm(name)`; without `ssm` it is a ParameterError. Raises ParameterError.
    """
    declared = declared_parameters(template)
    names = {decl.name for decl in declared}
    unknown = [key for key in given if key not in names]
    if unknown:
        raise ParameterError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    raw: dict[str, str] = {}
    missing = []
    for decl in declared:
        if decl.name in given:
            value = given[decl.name]
            if value is None:
                if previous is None or decl.name not in previous:
                    raise ParameterError(
                        f"Invalid input for parameter key {decl.name}. Cannot specify "
                        "usePreviousValue as true for a parameter key not in the previous template"
                    )
                value = previous[decl.name]
            raw[decl.name] = value
        elif decl.default is not None:
            raw[decl.name] = decl.default
        else:
            missing.append(decl.name)
    if missing:
        raise ParameterError(f"Parameters: [{', '.join(missing)}] must have values")
    values: dict[str, Any] = {}
    for decl in declared:
        value = raw[decl.name]
        check_value(decl, value)
        if decl.ssm_type is not None:
            value = _read_ssm(decl, value, ssm)
        values[decl.name] = _typed(decl, value)
    check_rules(template, values, {decl.name: decl.type for decl in declared}, pseudo or {})
    return values


def masked(template: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, str]:
    """The ParameterValue strings Describe* answers show: NoEcho ones `****`, lists joined."""
    shown = {}
    for decl in declared_parameters(template):
        if decl.name not in values:
            continue
        value = values[decl.name]
        if decl.no_echo:
            shown[decl.name] = MASK
        elif isinstance(value, list):
            shown[decl.name] = ",".join(text(item) for item in value)
        else:
            shown[decl.name] = text(value)
    return shown


def check_defaults(template: Mapping[str, Any]) -> None:
    """A Default must satisfy its own constraints, as ValidateTemplate checks."""
    for decl in declared_parameters(template):
        if decl.default is not None:
            check_value(decl, decl.default)
