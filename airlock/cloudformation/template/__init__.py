"""The CloudFormation template language, pure: parsing, checks, parameters, evaluation.

Nothing here touches a database, the network or another service; the stack engine feeds
it template text, parameter values, pseudo parameters and resources' attributes.
"""

from airlock.cloudformation.template.checks import check_template, declared_transforms
from airlock.cloudformation.template.errors import ParameterError, TemplateError
from airlock.cloudformation.template.parameters import (
    MASK,
    ParameterDecl,
    declared_parameters,
    masked,
    resolve_parameters,
)
from airlock.cloudformation.template.parsing import parse_template
from airlock.cloudformation.template.plan import Plan, plan
from airlock.cloudformation.template.summary import (
    CAPABILITY_AUTO_EXPAND,
    CAPABILITY_IAM,
    CAPABILITY_NAMED_IAM,
    missing_capabilities,
    required_capabilities,
    template_summary,
    validation_summary,
)
from airlock.cloudformation.template.values import NO_VALUE, PSEUDO_PARAMETERS

__all__ = [
    "CAPABILITY_AUTO_EXPAND",
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
    "MASK",
    "NO_VALUE",
    "PSEUDO_PARAMETERS",
    "ParameterDecl",
    "ParameterError",
    "Plan",
    "TemplateError",
    "check_template",
    "declared_parameters",
    "declared_transforms",
    "masked",
    "missing_capabilities",
    "parse_template",
    "plan",
    "required_capabilities",
    "resolve_parameters",
    "template_summary",
    "validation_summary",
]
