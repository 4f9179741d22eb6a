"""Home: the organization's tree of accounts, and the acting account at a glance."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from airlock.core.errors import ServiceError

from ..web import Console, View, page

# A tree deeper than this is not drawn further (the article's has three levels).
MAX_DEPTH = 5


def _children(view: View, parent: str, depth: int) -> list[dict[str, Any]]:
    """The OUs (with their subtrees) and accounts under `parent`."""
    nodes: list[dict[str, Any]] = []
    units = view.read("organizations", "ListOrganizationalUnitsForParent", {"ParentId": parent})
    for unit in (units or {}).get("OrganizationalUnits", []):
        below = _children(view, unit["Id"], depth + 1) if depth < MAX_DEPTH else []
        nodes.append({"kind": "ou", "id": unit["Id"], "name": unit["Name"], "children": below})
    accounts = view.read("organizations", "ListAccountsForParent", {"ParentId": parent})
    for account in (accounts or {}).get("Accounts", []):
        nodes.append(
            {"kind": "account", "id": account["Id"], "name": account["Name"], "children": []}
        )
    return nodes


def organization_tree(view: View) -> list[dict[str, Any]]:
    """The roots of the caller's organization with everything under them (what it may list)."""
    try:
        roots = view.call("organizations", "ListRoots")
    except ServiceError as error:
        if error.code == "AWSOrganizationsNotInUseException":
            return []  # no organization: nothing to draw, and nothing was refused
        view.failed(error)
        return []
    return [
        {"kind": "root", "id": r["Id"], "name": r["Name"], "children": _children(view, r["Id"], 1)}
        for r in (roots or {}).get("Roots", [])
    ]


def glance(view: View) -> dict[str, Any]:
    """The acting account's endpoints, pipelines and stacks."""
    endpoints = view.read("sagemaker", "ListEndpoints", {"MaxResults": 100})
    pipelines = view.read("codepipeline", "ListPipelines")
    stacks = view.read("cloudformation", "DescribeStacks")
    return {
        "endpoints": (endpoints or {}).get("Endpoints", []),
        "pipelines": (pipelines or {}).get("pipelines", []),
        "stacks": (stacks or {}).get("Stacks", []),
    }


def home(view: View) -> Response:
    """The home page."""
    return view.render("home.html", tree=organization_tree(view), glance=glance(view))


def routes(console: Console) -> list[Route]:
    """The home page's route."""
    return [Route("/", page(console, home), methods=["GET"])]
