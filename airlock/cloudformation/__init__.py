"""CloudFormation: templates, stacks and change sets, made as the stack's principal."""

from . import change_sets, operations
from .operations import api

__all__ = ["api", "change_sets", "operations"]
