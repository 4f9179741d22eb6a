"""CloudFormation: stacks (events, resources, outputs, template) and stack sets."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from ..web import Console, View, page

# Enough of a stack's history for a page; the oldest are left to the API.
EVENTS = 200


def stacks(view: View) -> Response:
    """The acting account's stacks."""
    found = view.every("cloudformation", "DescribeStacks", {}, "Stacks")
    return view.render("stacks.html", stacks=found)


def stack(view: View) -> Response:
    """A stack: status, parameters, outputs, resources, events and template."""
    name = view.request.path_params["stack"]
    described = view.read("cloudformation", "DescribeStacks", {"StackName": name})
    found = (described or {}).get("Stacks", [])
    events = view.every(
        "cloudformation", "DescribeStackEvents", {"StackName": name}, "StackEvents", limit=EVENTS
    )
    resources = view.every(
        "cloudformation", "ListStackResources", {"StackName": name}, "StackResourceSummaries"
    )
    template = view.read("cloudformation", "GetTemplate", {"StackName": name})
    return view.render(
        "stack.html",
        name=name,
        stack=found[0] if found else None,
        events=events,
        resources=resources,
        body=(template or {}).get("TemplateBody", ""),
    )


def stack_sets(view: View) -> Response:
    """The acting account's stack sets."""
    found = view.every("cloudformation", "ListStackSets", {}, "Summaries")
    return view.render("stack_sets.html", stack_sets=found)


def stack_set(view: View) -> Response:
    """A stack set: its instances per account and region, and its operations."""
    name = view.request.path_params["stack_set"]
    described = view.read("cloudformation", "DescribeStackSet", {"StackSetName": name})
    instances = view.every(
        "cloudformation", "ListStackInstances", {"StackSetName": name}, "Summaries"
    )
    operations = view.every(
        "cloudformation", "ListStackSetOperations", {"StackSetName": name}, "Summaries"
    )
    return view.render(
        "stack_set.html",
        name=name,
        stack_set=(described or {}).get("StackSet"),
        instances=instances,
        operations=operations,
    )


def operation(view: View) -> Response:
    """One stack set operation and its result per account and region."""
    name = view.request.path_params["stack_set"]
    operation_id = view.request.path_params["operation"]
    params = {"StackSetName": name, "OperationId": operation_id}
    described = view.read("cloudformation", "DescribeStackSetOperation", params)
    results = view.every("cloudformation", "ListStackSetOperationResults", params, "Summaries")
    return view.render(
        "stack_set_operation.html",
        name=name,
        operation_id=operation_id,
        operation=(described or {}).get("StackSetOperation"),
        results=results,
    )


def routes(console: Console) -> list[Route]:
    """The CloudFormation pages."""
    return [
        Route("/cloudformation/stacks", page(console, stacks), methods=["GET"]),
        Route("/cloudformation/stacks/{stack}", page(console, stack), methods=["GET"]),
        Route("/cloudformation/stack-sets", page(console, stack_sets), methods=["GET"]),
        Route("/cloudformation/stack-sets/{stack_set}", page(console, stack_set), methods=["GET"]),
        Route(
            "/cloudformation/stack-sets/{stack_set}/operations/{operation}",
            page(console, operation),
            methods=["GET"],
        ),
    ]
