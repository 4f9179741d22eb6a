"""The CloudFormation template language, pure: parsing, checks, parameters, evaluation.

Nothing here touches a database, the network or another service; the stack engine feeds
it template text, parameter values, pseudo parameters and resources' attributes.
"""

from airlock.cloudformation.template.errors import ParameterError, TemplateError
from airlock.cloudformation.template.parsing import parse_template

__all__ = [
    "ParameterError",
    "TemplateError",
    "parse_template",
]
