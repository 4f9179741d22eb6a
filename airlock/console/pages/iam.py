"""IAM: users, roles and policies, and an explain form (principal, action, resource → why)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..web import Console, View, page


def explain(view: View, principal: str, action: str, resource: str) -> dict[str, Any] | None:
    """IAM's decision for the question, and the statements behind it (SimulatePrincipalPolicy)."""
    out = view.read(
        "iam",
        "SimulatePrincipalPolicy",
        {"PolicySourceArn": principal, "ActionNames": [action], "ResourceArns": [resource or "*"]},
    )
    results = (out or {}).get("EvaluationResults", [])
    if not results:
        return None
    result = results[0]
    return {
        "decision": result["EvalDecision"],
        "matched": result.get("MatchedStatements", []),
        "missing": result.get("MissingContextValues", []),
        "details": result.get("EvalDecisionDetails", {}),
    }


def iam(view: View) -> Response:
    """Users, roles and the account's own policies; the explain form and its answer."""
    query = view.request.query_params
    question = {name: query.get(name, "").strip() for name in ("principal", "action", "resource")}
    answer = None
    if question["principal"] and question["action"]:
        answer = explain(view, question["principal"], question["action"], question["resource"])
    return view.render(
        "iam.html",
        users=view.every("iam", "ListUsers", {}, "Users", token="Marker"),
        roles=view.every("iam", "ListRoles", {}, "Roles", token="Marker"),
        policies=view.every("iam", "ListPolicies", {"Scope": "Local"}, "Policies", token="Marker"),
        question=question,
        answer=answer,
    )


def routes(console: Console) -> list[Route]:
    """The IAM page."""
    return [Route("/iam", page(console, iam), methods=["GET"])]
