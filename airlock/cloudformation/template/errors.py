"""The two ways a template or its parameters are refused, with AWS's words."""

from __future__ import annotations


class TemplateError(Exception):
    """A template CloudFormation refuses; `message` is AWS's text (the API says ValidationError)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ParameterError(TemplateError):
    """A parameter value CloudFormation refuses (the API answers ValidationError too)."""


def format_error(text: str) -> TemplateError:
    """`Template format error: …`, what AWS says of a template's structure."""
    return TemplateError(f"Template format error: {text}")


def template_error(text: str) -> TemplateError:
    """`Template error: …`, what AWS says of a function that cannot be evaluated."""
    return TemplateError(f"Template error: {text}")


def unresolved(names: list[str], block: str) -> TemplateError:
    """A Ref, Sub or DependsOn naming nothing the block may reference."""
    listed = ", ".join(dict.fromkeys(names))
    return format_error(
        f"Unresolved resource dependencies [{listed}] in the {block} block of the template"
    )


def undefined_resource(name: str) -> TemplateError:
    """A Fn::GetAtt naming no resource."""
    return template_error(f"instance of Fn::GetAtt references undefined resource {name}")


def undefined_condition(name: str) -> TemplateError:
    """A Fn::If naming no condition."""
    return template_error(f"unresolved condition dependency {name} in Fn::If")


def circular(names: list[str]) -> TemplateError:
    """Resources that wait on each other (AWS lists every one it could not order)."""
    return TemplateError(f"Circular dependency between resources: [{', '.join(names)}]")
