"""Intrinsic functions evaluated: one Evaluator per block (Conditions, Rules, Resources, Outputs).

Values stay JSON types. `Ref: AWS::NoValue` evaluates to NO_VALUE, and an object key or list
item holding it is dropped, so `!If [Cond, x, !Ref AWS::NoValue]` removes the property.
What a block may name differs: Conditions and Rules see parameters, pseudo parameters and
mappings; Resources and Outputs also see resources, through `attributes(logical_id)` (the
resource's `Fn::GetAtt` values, and its `Ref` under the key "Ref").
"""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Callable, Collection, Mapping
from typing import Any

from airlock.cloudformation.template.errors import (
    TemplateError,
    format_error,
    template_error,
    undefined_resource,
    unresolved,
)
from airlock.cloudformation.template.values import (
    FUNCTIONS,
    NO_VALUE,
    PSEUDO_PARAMETERS,
    function_name,
    getatt_arguments,
    is_scalar,
    sub_arguments,
    sub_pieces,
    sub_target,
    text,
)

Attributes = Callable[[str], Mapping[str, Any]]
Exports = Callable[[str], "str | None"]

_JOIN_USAGE = (
    "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of "
    "strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) "
    "to be joined."
)
_SPLIT_USAGE = (
    "every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string "
    "to be split or a function that returns a string to be split."
)
_SELECT_USAGE = "Fn::Select requires a list argument with two elements: an integer index and a list"
_CONDITIONS_ONLY_BOOLEAN = (
    "Conditions can only be boolean operations on parameters and other conditions"
)


def unsupported_function(name: str) -> TemplateError:
    """A `Fn::…` CloudFormation does not know."""
    return format_error(
        f"Encountered unsupported function: {name} "
        f"Supported functions are: [{', '.join(FUNCTIONS)}]"
    )


def _comparable(value: Any) -> Any:
    # Fn::Equals compares what the values read as: `true` equals 'true', 1 equals '1'.
    if is_scalar(value):
        return text(value)
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    return value


def _pair(function: str, argument: Any) -> tuple[Any, Any]:
    if not isinstance(argument, list) or len(argument) != 2:
        raise template_error(f"{function} requires a list of two arguments")
    return argument[0], argument[1]


class Evaluator:
    """Evaluates the intrinsic functions of one block against known values."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        parameters: Mapping[str, Any],
        pseudo: Mapping[str, Any],
        block: str,
        condition: Callable[[str], bool] | None = None,
        resources: Collection[str] = (),
        attributes: Attributes | None = None,
        exports: Exports | None = None,
        parameter_types: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.parameters = parameters
        self.pseudo = pseudo
        self.block = block
        self._condition = condition
        self.resources = resources
        self.attributes = attributes
        self.exports = exports
        self.parameter_types = parameter_types or {}

    # --- the walk -------------------------------------------------------------------------

    def value(self, node: Any) -> Any:
        """`node` with every function evaluated (NO_VALUE where it is AWS::NoValue)."""
        if isinstance(node, dict):
            function = function_name(node)
            if function is not None:
                return self.call(function, node[function])
            evaluated = {}
            for key, item in node.items():
                result = self.value(item)
                if result is not NO_VALUE:
                    evaluated[key] = result
            return evaluated
        if isinstance(node, list):
            return [result for result in map(self.value, node) if result is not NO_VALUE]
        return node

    def condition_value(self, node: Any) -> bool:
        """A condition: `{"Condition": name}`, or a function that yields a boolean."""
        if function_name(node, condition=True) == "Condition":
            name = node["Condition"]
            if not isinstance(name, str):
                raise format_error("Every Condition member must be a string.")
            return self.named_condition(name)
        result = self.value(node)
        if isinstance(result, bool):
            return result
        if isinstance(result, str) and result in ("true", "false"):
            return result == "true"
        raise template_error(_CONDITIONS_ONLY_BOOLEAN)

    def named_condition(self, name: str) -> bool:
        """The value of a condition of the Conditions section."""
        if self._condition is None:
            raise template_error(f"condition {name} cannot be used in the {self.block} block")
        return self._condition(name)

    def call(self, function: str, argument: Any) -> Any:
        """Evaluate one function call."""
        method = _FUNCTIONS.get(function)
        if method is None:
            raise unsupported_function(function)
        return method(self, argument)

    def string(self, node: Any, what: str) -> str:
        """`node` evaluated, which must be a string (numbers and booleans read as text)."""
        result = self.value(node)
        if not is_scalar(result):
            raise template_error(f"{what} must be a string")
        return text(result)

    def strings(self, node: Any, what: str) -> list[str]:
        """`node` evaluated, which must be a list of strings."""
        result = self.value(node)
        if not isinstance(result, list) or not all(is_scalar(item) for item in result):
            raise template_error(f"{what} must be a list of strings")
        return [text(item) for item in result]

    # --- names ----------------------------------------------------------------------------

    def ref(self, argument: Any) -> Any:
        """`Ref`: a parameter's value, a pseudo parameter, or a resource's Ref value."""
        name = argument if isinstance(argument, str) else self.string(argument, "Ref")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in PSEUDO_PARAMETERS:
            if name not in self.pseudo:
                raise template_error(f"no value is known for the pseudo parameter {name}")
            return self.pseudo[name]
        if name in self.resources:
            return self.attribute(name, "Ref")
        raise self._unresolved(name)

    def _unresolved(self, name: str) -> TemplateError:
        if self.block in ("Conditions", "Rules"):
            return format_error(
                f"Unresolved dependencies [{name}]. "
                f"Cannot reference resources in the {self.block} block of the template"
            )
        return unresolved([name], self.block)

    def attribute(self, resource: str, name: str) -> Any:
        """A resource's attribute (`Ref`, or a GetAtt name; `A.B` also as nested `A` → `B`)."""
        if self.attributes is None:
            raise self._unresolved(resource)
        values = self.attributes(resource)
        try:
            return values[name]
        except KeyError:
            pass
        found: Any = values
        for part in name.split("."):
            if not isinstance(found, Mapping) or part not in found:
                if name == "Ref":
                    raise template_error(f"resource {resource} has no Ref value") from None
                raise template_error(
                    f"resource {resource} does not support attribute type {name} in Fn::GetAtt"
                ) from None
            found = found[part]
        return found

    def getatt(self, argument: Any) -> Any:
        """`Fn::GetAtt`: `[resource, attribute]` or `resource.attribute`."""
        resource, attribute = getatt_arguments(argument)
        if resource not in self.resources:
            raise undefined_resource(resource)
        name = attribute if isinstance(attribute, str) else self.string(attribute, "Fn::GetAtt")
        return self.attribute(resource, name)

    def sub(self, argument: Any) -> str:
        """`Fn::Sub`, in both forms; `${!x}` is the literal `${x}`."""
        string, variables = sub_arguments(argument)
        out = []
        for piece in sub_pieces(string):
            if isinstance(piece, str):
                out.append(piece)
                continue
            (name,) = piece
            if name in variables:
                value = self.value(variables[name])
            else:
                target, attribute = sub_target(name)
                if attribute is None:
                    value = self.ref(target)
                else:
                    if target not in self.resources:
                        raise undefined_resource(target)
                    value = self.attribute(target, attribute)
            if not is_scalar(value):
                raise template_error(
                    f"variable {name} in Fn::Sub expression does not resolve to a string"
                )
            out.append(text(value))
        return "".join(out)

    def find_in_map(self, argument: Any) -> Any:
        """`Fn::FindInMap: [map, top key, second key, {DefaultValue: …}?]`."""
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise template_error("Fn::FindInMap requires a list of three or four arguments")
        name, top, second = (self.string(item, "Fn::FindInMap") for item in argument[:3])
        mapping = (self.template.get("Mappings") or {}).get(name)
        if not isinstance(mapping, dict):
            raise template_error(
                f"Mapping named '{name}' is not present in the 'Mappings' section of template."
            )
        level = mapping.get(top)
        if isinstance(level, dict) and second in level:
            return self.value(level[second])
        if len(argument) == 4 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
            return self.value(argument[3]["DefaultValue"])
        raise template_error(f"Unable to get mapping for {name}::{top}::{second}")

    def import_value(self, argument: Any) -> Any:
        """`Fn::ImportValue`: another stack's export, through `exports(name)`."""
        name = self.string(argument, "Fn::ImportValue")
        found = None
        if self.exports is not None:
            try:
                found = self.exports(name)
            except KeyError:
                found = None
        if found is None:
            raise TemplateError(f"No export named {name} found.")
        return found

    # --- strings and lists ----------------------------------------------------------------

    def join(self, argument: Any) -> str:
        """`Fn::Join: [delimiter, list]`."""
        if not isinstance(argument, list) or len(argument) != 2:
            raise template_error(_JOIN_USAGE)
        delimiter = self.value(argument[0])
        items = self.value(argument[1])
        if not isinstance(delimiter, str) or not isinstance(items, list):
            raise template_error(_JOIN_USAGE)
        if not all(is_scalar(item) for item in items):
            raise template_error(_JOIN_USAGE)
        return delimiter.join(text(item) for item in items)

    def split(self, argument: Any) -> list[str]:
        """`Fn::Split: [delimiter, string]`."""
        if not isinstance(argument, list) or len(argument) != 2:
            raise template_error(_SPLIT_USAGE)
        delimiter = self.value(argument[0])
        source = self.value(argument[1])
        if not isinstance(delimiter, str) or not delimiter or not is_scalar(source):
            raise template_error(_SPLIT_USAGE)
        return text(source).split(delimiter)

    def select(self, argument: Any) -> Any:
        """`Fn::Select: [index, list]`."""
        if not isinstance(argument, list) or len(argument) != 2:
            raise template_error(_SELECT_USAGE)
        index_text = self.string(argument[0], "Fn::Select's index")
        items = self.value(argument[1])
        if not isinstance(items, list):
            raise template_error(_SELECT_USAGE)
        try:
            index = int(index_text)
        except ValueError:
            raise template_error(_SELECT_USAGE) from None
        if not 0 <= index < len(items):
            raise template_error(f"Fn::Select cannot select nonexistent value at index {index}")
        return items[index]

    def base64(self, argument: Any) -> str:
        """`Fn::Base64`."""
        return base64.b64encode(self.string(argument, "Fn::Base64").encode()).decode()

    def get_azs(self, argument: Any) -> list[str]:
        """`Fn::GetAZs`: three zones, `<region>a` to `<region>c` (the region's by default)."""
        region = self.string(argument, "Fn::GetAZs") or self.ref("AWS::Region")
        return [f"{region}{letter}" for letter in "abc"]

    def cidr(self, argument: Any) -> list[str]:
        """`Fn::Cidr: [block, count, bits]`: the first `count` subnets of `bits` host bits."""
        if not isinstance(argument, list) or len(argument) != 3:
            raise template_error("Fn::Cidr requires a list of three arguments")
        block, count_text, bits_text = (self.string(item, "Fn::Cidr") for item in argument)
        try:
            network = ipaddress.ip_network(block, strict=False)
            count, bits = int(count_text), int(bits_text)
            prefix = network.max_prefixlen - bits
            if not 1 <= count <= 256 or prefix < network.prefixlen:
                raise ValueError(block)
            subnets = []
            for subnet in network.subnets(new_prefix=prefix):
                subnets.append(str(subnet))
                if len(subnets) == count:
                    return subnets
        except ValueError:
            pass
        raise template_error(
            f"Fn::Cidr cannot make {count_text} subnets of {bits_text} bits in {block}"
        )

    def length(self, argument: Any) -> int:
        """`Fn::Length`: how many items a list has."""
        items = self.value(argument)
        if not isinstance(items, list):
            raise template_error("Fn::Length requires a list")
        return len(items)

    def to_json_string(self, argument: Any) -> str:
        """`Fn::ToJsonString`: an object or list as compact JSON text."""
        return json.dumps(self.value(argument), separators=(",", ":"))

    def transform(self, argument: Any) -> Any:
        """`Fn::Transform` runs a macro, which Airlock does not."""
        name = argument.get("Name") if isinstance(argument, dict) else argument
        raise format_error(
            f"Airlock does not run transforms (Fn::Transform: {text(name)}); "
            "expand the template before deploying it."
        )

    # --- conditions and rules -------------------------------------------------------------

    def if_(self, argument: Any) -> Any:
        """`Fn::If: [condition, when true, when false]`."""
        if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
            raise template_error("Fn::If requires a list of a condition name and two values")
        return self.value(argument[1] if self.named_condition(argument[0]) else argument[2])

    def equals(self, argument: Any) -> bool:
        """`Fn::Equals: [a, b]`."""
        first, second = _pair("Fn::Equals", argument)
        return bool(_comparable(self.value(first)) == _comparable(self.value(second)))

    def _conditions(self, function: str, argument: Any) -> list[bool]:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise template_error(f"{function} requires a list of 2 to 10 conditions")
        return [self.condition_value(item) for item in argument]

    def and_(self, argument: Any) -> bool:
        """`Fn::And`."""
        return all(self._conditions("Fn::And", argument))

    def or_(self, argument: Any) -> bool:
        """`Fn::Or`."""
        return any(self._conditions("Fn::Or", argument))

    def not_(self, argument: Any) -> bool:
        """`Fn::Not: [condition]`."""
        if not isinstance(argument, list) or len(argument) != 1:
            raise template_error("Fn::Not requires a list of one condition")
        return not self.condition_value(argument[0])

    def condition_ref(self, argument: Any) -> bool:
        """`{"Condition": name}` where a function is expected."""
        return self.condition_value({"Condition": argument})

    def contains(self, argument: Any) -> bool:
        """Rules' `Fn::Contains: [list, value]`."""
        items, value = _pair("Fn::Contains", argument)
        return self.string(value, "Fn::Contains") in self.strings(items, "Fn::Contains")

    def each_member_equals(self, argument: Any) -> bool:
        """Rules' `Fn::EachMemberEquals: [list, value]`."""
        items, value = _pair("Fn::EachMemberEquals", argument)
        wanted = self.string(value, "Fn::EachMemberEquals")
        return all(item == wanted for item in self.strings(items, "Fn::EachMemberEquals"))

    def each_member_in(self, argument: Any) -> bool:
        """Rules' `Fn::EachMemberIn: [list, allowed list]`."""
        items, allowed = _pair("Fn::EachMemberIn", argument)
        permitted = set(self.strings(allowed, "Fn::EachMemberIn"))
        return all(item in permitted for item in self.strings(items, "Fn::EachMemberIn"))

    def ref_all(self, argument: Any) -> list[Any]:
        """Rules' `Fn::RefAll: parameter type`: the values of every parameter of that type."""
        kind = self.string(argument, "Fn::RefAll")
        return [
            self.parameters[name]
            for name, declared in self.parameter_types.items()
            if declared == kind and name in self.parameters
        ]

    def value_of(self, argument: Any) -> Any:
        """Rules' `Fn::ValueOf` reads EC2 resources' attributes, which Airlock does not have."""
        raise template_error("Fn::ValueOf and Fn::ValueOfAll need EC2, which Airlock does not have")


_FUNCTIONS: dict[str, Callable[[Evaluator, Any], Any]] = {
    "Ref": Evaluator.ref,
    "Condition": Evaluator.condition_ref,
    "Fn::And": Evaluator.and_,
    "Fn::Base64": Evaluator.base64,
    "Fn::Cidr": Evaluator.cidr,
    "Fn::Contains": Evaluator.contains,
    "Fn::EachMemberEquals": Evaluator.each_member_equals,
    "Fn::EachMemberIn": Evaluator.each_member_in,
    "Fn::Equals": Evaluator.equals,
    "Fn::FindInMap": Evaluator.find_in_map,
    "Fn::GetAtt": Evaluator.getatt,
    "Fn::GetAZs": Evaluator.get_azs,
    "Fn::If": Evaluator.if_,
    "Fn::ImportValue": Evaluator.import_value,
    "Fn::Join": Evaluator.join,
    "Fn::Length": Evaluator.length,
    "Fn::Not": Evaluator.not_,
    "Fn::Or": Evaluator.or_,
    "Fn::RefAll": Evaluator.ref_all,
    "Fn::Select": Evaluator.select,
    "Fn::Split": Evaluator.split,
    "Fn::Sub": Evaluator.sub,
    "Fn::ToJsonString": Evaluator.to_json_string,
    "Fn::Transform": Evaluator.transform,
    "Fn::ValueOf": Evaluator.value_of,
    "Fn::ValueOfAll": Evaluator.value_of,
}
