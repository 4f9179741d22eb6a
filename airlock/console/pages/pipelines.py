"""CodePipeline: pipelines, the live stage view, Review → Approve or Reject, history, details."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..web import BASE, Console, View, page, redirect

# The manual approval action's type: Review applies to these actions only.
APPROVAL = ("Approval", "Manual")
HISTORY_LIMIT = 500


def pipelines(view: View) -> Response:
    """The acting account's pipelines."""
    out = view.read("codepipeline", "ListPipelines")
    return view.render("pipelines.html", pipelines=(out or {}).get("pipelines", []))


def _stages(view: View, name: str) -> list[dict[str, Any]]:
    """The pipeline's stages with each action's type and latest execution."""
    declared = view.read("codepipeline", "GetPipeline", {"name": name})
    state = view.read("codepipeline", "GetPipelineState", {"name": name})
    if declared is None or state is None:
        return []
    states = {s["stageName"]: s for s in state.get("stageStates", [])}
    stages = []
    for stage in declared["pipeline"]["stages"]:
        stage_state = states.get(stage["name"], {})
        actions = {a["actionName"]: a for a in stage_state.get("actionStates", [])}
        stages.append(
            {
                "name": stage["name"],
                "status": (stage_state.get("latestExecution") or {}).get("status", ""),
                "execution": (stage_state.get("latestExecution") or {}).get(
                    "pipelineExecutionId", ""
                ),
                "actions": [_action(a, actions.get(a["name"], {})) for a in stage["actions"]],
            }
        )
    return stages


def _action(declared: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    kind = declared["actionTypeId"]
    latest = state.get("latestExecution") or {}
    return {
        "name": declared["name"],
        "provider": kind["provider"],
        "approval": (kind["category"], kind["provider"]) == APPROVAL,
        "status": latest.get("status", ""),
        "summary": latest.get("summary", ""),
        "updated_by": latest.get("lastUpdatedBy", ""),
        "external_id": latest.get("externalExecutionId", ""),
        "waiting": bool(latest.get("token")),
        "error": (latest.get("errorDetails") or {}).get("message", ""),
    }


def pipeline(view: View) -> Response:
    """A pipeline's stages and actions, kept live by polling its state fragment."""
    name = view.request.path_params["name"]
    return view.render("pipeline.html", name=name, stages=_stages(view, name))


def state_fragment(view: View) -> Response:
    """The stage view alone, for the page's live refresh."""
    name = view.request.path_params["name"]
    return view.fragment("pipeline_stages.html", name=name, stages=_stages(view, name))


def _waiting_token(view: View, name: str, stage: str, action: str) -> str | None:
    state = view.read("codepipeline", "GetPipelineState", {"name": name})
    for stage_state in (state or {}).get("stageStates", []):
        if stage_state["stageName"] != stage:
            continue
        for action_state in stage_state.get("actionStates", []):
            if action_state["actionName"] == action:
                token = (action_state.get("latestExecution") or {}).get("token")
                return str(token) if token else None
    return None


def review(view: View) -> Response:
    """Review a waiting approval: a summary, then Approve or Reject."""
    params = view.request.path_params
    return view.render(
        "review.html",
        name=params["name"],
        stage=params["stage"],
        action=params["action"],
        waiting=_waiting_token(view, params["name"], params["stage"], params["action"]),
    )


def review_submit(view: View) -> Response:
    """PutApprovalResult as the user, with the waiting action's token."""
    params = view.request.path_params
    name, stage, action = params["name"], params["stage"], params["action"]
    back = f"{BASE}/codepipeline/pipelines/{name}"
    assert view.session is not None
    status = view.form.get("status", "")
    if status not in ("Approved", "Rejected"):
        view.session.tell("error", "Choose Approve or Reject.")
        return redirect(back)
    token = _waiting_token(view, name, stage, action)
    if token is None:
        view.session.tell("error", f"{stage}/{action} is not waiting for an approval.")
        return redirect(back)
    view.act(
        "codepipeline",
        "PutApprovalResult",
        {
            "pipelineName": name,
            "stageName": stage,
            "actionName": action,
            "result": {"summary": view.form.get("summary", ""), "status": status},
            "token": token,
        },
        f"{stage}/{action}: {status}.",
    )
    return redirect(back)


def history(view: View) -> Response:
    """A pipeline's executions, newest first."""
    name = view.request.path_params["name"]
    executions = view.every(
        "codepipeline",
        "ListPipelineExecutions",
        {"pipelineName": name, "maxResults": 100},
        "pipelineExecutionSummaries",
        token="nextToken",
        limit=HISTORY_LIMIT,
    )
    return view.render("executions.html", name=name, executions=executions)


def execution(view: View) -> Response:
    """One execution's actions, with their results and a link to each build's logs."""
    name = view.request.path_params["name"]
    run = view.request.path_params["execution"]
    summary = view.read(
        "codepipeline", "GetPipelineExecution", {"pipelineName": name, "pipelineExecutionId": run}
    )
    details = view.every(
        "codepipeline",
        "ListActionExecutions",
        {"pipelineName": name, "filter": {"pipelineExecutionId": run}},
        "actionExecutionDetails",
        token="nextToken",
    )
    details.sort(key=lambda d: d.get("startTime") or 0)
    return view.render(
        "execution.html",
        name=name,
        run=run,
        execution=(summary or {}).get("pipelineExecution"),
        details=details,
    )


def routes(console: Console) -> list[Route]:
    """The CodePipeline pages."""
    one = "/codepipeline/pipelines/{name}"
    return [
        Route("/codepipeline/pipelines", page(console, pipelines), methods=["GET"]),
        Route(one, page(console, pipeline), methods=["GET"]),
        Route(one + "/state", page(console, state_fragment), methods=["GET"]),
        Route(one + "/review/{stage}/{action}", page(console, review), methods=["GET"]),
        Route(one + "/review/{stage}/{action}", page(console, review_submit), methods=["POST"]),
        Route(one + "/executions", page(console, history), methods=["GET"]),
        Route(one + "/executions/{execution}", page(console, execution), methods=["GET"]),
    ]
