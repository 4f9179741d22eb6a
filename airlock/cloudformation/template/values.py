"""What every part of the template language shares: scalars as text, function names, Fn::Sub."""

from __future__ import annotations

import re
from typing import Any, Final

from airlock.cloudformation.template.errors import template_error


class _NoValue:
    """`Ref: AWS::NoValue`: the key or list item that holds it is removed."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()

PSEUDO_PARAMETERS: Final = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)

# The intrinsic functions a template may call anywhere, in conditions, and in Rules.
FUNCTIONS: Final = (
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Length",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
    "Fn::ToJsonString",
    "Fn::Transform",
    "Ref",
    "Fn::And",
    "Fn::Equals",
    "Fn::If",
    "Fn::Not",
    "Fn::Or",
    "Condition",
    "Fn::Contains",
    "Fn::EachMemberEquals",
    "Fn::EachMemberIn",
    "Fn::RefAll",
    "Fn::ValueOf",
    "Fn::ValueOfAll",
)

_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SUB_NAME = re.compile(r"[A-Za-z0-9_.:]+")


def text(value: Any) -> str:
    """A scalar as CloudFormation reads it: booleans are `true`/`false`, numbers their digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def is_scalar(value: Any) -> bool:
    """A string, number or boolean (what a Join, Sub or parameter takes)."""
    return isinstance(value, str | int | float | bool)


def function_name(node: Any, *, condition: bool = False) -> str | None:
    """The function a one-key object calls (`Ref`, `Fn::…`; `Condition` among conditions)."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    (key,) = node
    if key == "Ref" or key.startswith("Fn::") or (condition and key == "Condition"):
        return str(key)
    return None


def alphanumeric(name: Any) -> bool:
    """Whether a logical id is one CloudFormation accepts."""
    return isinstance(name, str) and _ALPHANUMERIC.fullmatch(name) is not None


def sub_pieces(template: str) -> list[str | tuple[str]]:
    """A Fn::Sub string cut into text and `(variable,)` names; `${!x}` is the text `${x}`."""
    pieces: list[str | tuple[str]] = []
    at = 0
    for found in _SUB_VARIABLE.finditer(template):
        if found.start() > at:
            pieces.append(template[at : found.start()])
        name = found.group(1)
        if name.startswith("!"):
            pieces.append("${" + name[1:] + "}")
        elif _SUB_NAME.fullmatch(name) is None:
            raise template_error(
                "variable names in Fn::Sub syntax must contain only alphanumeric characters, "
                "underscores, periods, and colons"
            )
        else:
            pieces.append((name,))
        at = found.end()
    if at < len(template):
        pieces.append(template[at:])
    return pieces


def sub_arguments(argument: Any) -> tuple[str, dict[str, Any]]:
    """Fn::Sub's string and variable map, from either form."""
    if isinstance(argument, str):
        return argument, {}
    if (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], dict)
    ):
        return argument[0], argument[1]
    raise template_error(
        "One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a "
        "string as first argument, and an optional second argument to specify a mapping of "
        "values to replace in the string"
    )


def sub_target(name: str) -> tuple[str, str | None]:
    """What `${name}` names when no variable does: `(resource, attribute)` or `(name, None)`."""
    if "." in name and name not in PSEUDO_PARAMETERS:
        resource, attribute = name.split(".", 1)
        return resource, attribute
    return name, None


def getatt_arguments(argument: Any) -> tuple[str, Any]:
    """Fn::GetAtt's resource and attribute, from `A.B` or `[A, B]` (the attribute may be a Ref)."""
    if isinstance(argument, str) and "." in argument:
        resource, attribute = argument.split(".", 1)
        return resource, attribute
    if (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and argument[0]
        and argument[1] not in ("", None)
    ):
        return argument[0], argument[1]
    raise template_error("every Fn::GetAtt object requires two non-empty parameters")
