"""Template text to the long-form template: JSON, or YAML with CloudFormation's short forms.

YAML is read by PyYAML's SafeLoader with two changes, both what CloudFormation does:

- the short forms (`!Ref X`, `!GetAtt A.B`, `!Sub`, `!If`…) construct their long form
  (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`…);
- timestamps stay text: `Version: 2012-10-17` and `AWSTemplateFormatVersion: 2010-09-09`
  are strings to CloudFormation, not dates.

Booleans stay YAML 1.1's, as CloudFormation reads them: unquoted `yes`/`no`/`on`/`off`
(any case) are booleans, so a tag `Value: YES` becomes the string "true" where a string
is wanted (quote it to keep `YES`). Mapping keys that YAML reads as numbers or booleans
become their text, since every key in a template is a name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from airlock.cloudformation.template.errors import format_error
from airlock.cloudformation.template.values import text

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BINARY = "tag:yaml.org,2002:binary"

# `!Name` → `Fn::Name`, except the three that are not `Fn::` functions.
_SHORT_FORMS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Contains",
            "EachMemberEquals",
            "EachMemberIn",
            "Equals",
            "FindInMap",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "RefAll",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
            "ValueOf",
            "ValueOfAll",
        )
    },
}


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader that knows the short forms and keeps timestamps as text."""


_TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _argument(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


def _short_form(function: str) -> Callable[[yaml.SafeLoader, yaml.Node], Any]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        return {function: _argument(loader, node)}

    return construct


def _getatt(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    argument = _argument(loader, node)
    if isinstance(argument, str):
        # `!GetAtt Endpoint.Address.Port`: the resource is before the first dot.
        argument = argument.split(".", 1)
    return {"Fn::GetAtt": argument}


_TemplateLoader.add_constructor(_TIMESTAMP, _as_text)
_TemplateLoader.add_constructor(_BINARY, _as_text)
for _name, _function in _SHORT_FORMS.items():
    _TemplateLoader.add_constructor(f"!{_name}", _short_form(_function))
_TemplateLoader.add_constructor("!GetAtt", _getatt)


def _named_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            (key if isinstance(key, str) else text(key)): _named_keys(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_named_keys(item) for item in value]
    return value


def _json(body: str) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise format_error(
            f"JSON not well-formed. (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise format_error("JSON not well-formed.") from None


def _yaml(body: str) -> Any:
    try:
        # A SafeLoader: no tag builds a Python object.
        return yaml.load(body, Loader=_TemplateLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise format_error(f"YAML not well-formed.{where}") from None
    except (yaml.YAMLError, RecursionError):
        raise format_error("YAML not well-formed.") from None


def parse_template(body: str) -> dict[str, Any]:
    """JSON or YAML template text → the long-form template. Raises TemplateError.

    Text whose first character is `{` is JSON, as CloudFormation decides; anything else YAML.
    """
    if not isinstance(body, str):
        raise format_error("unsupported structure.")
    parsed = _json(body) if body.lstrip().startswith("{") else _yaml(body)
    if not isinstance(parsed, dict):
        raise format_error("unsupported structure.")
    result: dict[str, Any] = _named_keys(parsed)
    return result
