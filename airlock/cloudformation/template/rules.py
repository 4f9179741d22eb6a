"""The Rules section: assertions on parameter values, checked before a stack is made.

A rule whose `RuleCondition` holds (or that has none) must have every `Assert` true; the
first that is false refuses the parameters with its `AssertDescription`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airlock.cloudformation.template.errors import ParameterError, format_error
from airlock.cloudformation.template.intrinsics import Evaluator


def check_rules_section(template: Mapping[str, Any]) -> None:
    """Raise TemplateError if the Rules section is not rules of assertions."""
    rules = template.get("Rules") or {}
    if not isinstance(rules, dict):
        raise format_error("Every Rules member must be an object.")
    for name, rule in rules.items():
        if not isinstance(rule, dict) or not isinstance(rule.get("Assertions", []), list):
            raise format_error(f"Rule {name} must be an object with a list of Assertions.")
        for assertion in rule.get("Assertions", []):
            if not isinstance(assertion, dict) or "Assert" not in assertion:
                raise format_error(
                    f"Every Assertions member of rule {name} must contain an Assert."
                )


def check_rules(
    template: Mapping[str, Any],
    values: Mapping[str, Any],
    parameter_types: Mapping[str, str],
    pseudo: Mapping[str, Any],
) -> None:
    """Raise ParameterError with the AssertDescription of the first assertion that fails."""
    check_rules_section(template)
    evaluator = Evaluator(
        template,
        parameters=values,
        pseudo=pseudo,
        block="Rules",
        parameter_types=parameter_types,
    )
    for name, rule in (template.get("Rules") or {}).items():
        if "RuleCondition" in rule and not evaluator.condition_value(rule["RuleCondition"]):
            continue
        for assertion in rule.get("Assertions", []):
            if not evaluator.condition_value(assertion["Assert"]):
                description = assertion.get("AssertDescription")
                raise ParameterError(
                    str(description) if description else f"Template rule {name} failed"
                )
