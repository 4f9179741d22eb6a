"""The CloudFormation template language, pure: parsing, checks, parameters, evaluation.

Nothing here touches a database, the network or another service; the stack engine feeds
it template text, parameter values, pseudo parameters and resources' attributes.
"""

from airlock.cloudformation.template.errors import ParameterError, TemplateError
from airlock.cloudformation.template.parameters import (
    MASK,
    ParameterDecl,
    declared_parameters,
    masked,
    resolve_parameters,
)
from airlock.cloudformation.template.parsing import parse_template
from airlock.cloudformation.template.values import NO_VALUE, PSEUDO_PARAMETERS

__all__ = [
    "MASK",
    "NO_VALUE",
    "PSEUDO_PARAMETERS",
    "ParameterDecl",
    "ParameterError",
    "TemplateError",
    "declared_parameters",
    "masked",
    "parse_template",
    "resolve_parameters",
]
