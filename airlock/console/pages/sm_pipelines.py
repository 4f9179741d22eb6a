"""SageMaker pipelines: their executions, and an execution's step graph, parameters and logs."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from airlock.core.errors import ServiceError
from airlock.sagemaker.pipelines.definition import InvalidDefinition, parse_definition

from ..web import Console, View, page

# The job logs' groups, as SageMaker names them (streams start with the job's name).
JOB_LOGS = {
    "TrainingJob": "/aws/sagemaker/TrainingJobs",
    "ProcessingJob": "/aws/sagemaker/ProcessingJobs",
}
LOG_LINES = 500
# The graph's boxes and the gaps between them, in SVG units.
BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 200, 48, 60, 24, 10


def pipelines(view: View) -> Response:
    """The acting account's SageMaker pipelines."""
    found = view.every(
        "sagemaker", "ListPipelines", {"MaxResults": 100}, "PipelineSummaries", limit=500
    )
    return view.render("sm_pipelines.html", pipelines=found)


def executions(view: View) -> Response:
    """A pipeline's executions, newest first."""
    name = view.request.path_params["pipeline"]
    described = view.read("sagemaker", "DescribePipeline", {"PipelineName": name})
    found = view.every(
        "sagemaker",
        "ListPipelineExecutions",
        {"PipelineName": name, "SortOrder": "Descending", "MaxResults": 100},
        "PipelineExecutionSummaries",
        limit=200,
    )
    return view.render("sm_executions.html", name=name, pipeline=described, executions=found)


def _execution(view: View) -> dict[str, Any]:
    """Everything an execution's page shows, read as the user."""
    name = view.request.path_params["pipeline"]
    execution_id = view.request.path_params["execution"]
    values: dict[str, Any] = {"name": name, "execution_id": execution_id, "execution": None}
    pipeline = view.read("sagemaker", "DescribePipeline", {"PipelineName": name})
    values.update(graph=None, steps=[], parameters=[], logs=[])
    if pipeline is None:
        return values
    arn = f"{pipeline['PipelineArn']}/execution/{execution_id}"
    execution = view.read("sagemaker", "DescribePipelineExecution", {"PipelineExecutionArn": arn})
    if execution is None:
        return values
    steps = view.every(
        "sagemaker",
        "ListPipelineExecutionSteps",
        {"PipelineExecutionArn": arn, "SortOrder": "Ascending", "MaxResults": 100},
        "PipelineExecutionSteps",
    )
    parameters = view.every(
        "sagemaker",
        "ListPipelineParametersForExecution",
        {"PipelineExecutionArn": arn, "MaxResults": 100},
        "PipelineParameters",
    )
    definition = view.read(
        "sagemaker", "DescribePipelineDefinitionForExecution", {"PipelineExecutionArn": arn}
    )
    values.update(
        execution=execution,
        steps=steps,
        parameters=parameters,
        graph=step_graph((definition or {}).get("PipelineDefinition", ""), steps),
        logs=job_logs(view, steps),
    )
    return values


def step_graph(text: str, steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The definition's steps laid out in columns by dependency depth, with their statuses."""
    try:
        definition = parse_definition(text)
    except InvalidDefinition:
        return None
    status = {s["StepName"]: s["StepStatus"] for s in steps}
    depth: dict[str, int] = {}
    for name in definition.order:  # dependencies come first in the run order
        needs = definition.steps[name].needs
        depth[name] = 1 + max((depth[n] for n in needs), default=-1)
    rows: dict[int, int] = {}
    boxes: dict[str, dict[str, Any]] = {}
    for name in definition.order:
        column = depth[name]
        row = rows.get(column, 0)
        rows[column] = row + 1
        boxes[name] = {
            "name": name,
            "type": definition.steps[name].type,
            "status": status.get(name, "NotStarted"),
            "x": MARGIN + column * (BOX_W + GAP_X),
            "y": MARGIN + row * (BOX_H + GAP_Y),
        }
    edges = [
        _edge(boxes[need], box, depth[name] - depth[need])
        for name, box in boxes.items()
        for need in sorted(definition.steps[name].needs)
    ]
    columns = max(depth.values(), default=0) + 1
    return {
        "boxes": list(boxes.values()),
        "edges": edges,
        "width": 2 * MARGIN + columns * BOX_W + (columns - 1) * GAP_X,
        "height": 2 * MARGIN + max(rows.values(), default=1) * (BOX_H + GAP_Y),
        "box_w": BOX_W,
        "box_h": BOX_H,
    }


def _edge(start: dict[str, Any], end: dict[str, Any], span: int) -> str:
    """An arrow's SVG path from a step to one that needs it."""
    x1, y1 = start["x"] + BOX_W, start["y"] + BOX_H // 2
    x2, y2 = end["x"], end["y"] + BOX_H // 2
    if span <= 1:
        return f"M{x1},{y1} L{x2},{y2}"
    # An arrow over a column bends below the boxes between (its lowest point is 3/4 of the
    # control points' depth: just under them) instead of running behind them.
    low = max(y1, y2) + BOX_H
    return f"M{x1},{y1} C{x1 + GAP_X},{low} {x2 - GAP_X},{low} {x2},{y2}"


def job_logs(view: View, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each training or processing step's job log (FilterLogEvents on the job's streams)."""
    found: list[dict[str, Any]] = []
    for step in steps:
        for kind, group in JOB_LOGS.items():
            job = (step.get("Metadata") or {}).get(kind)
            if not job or not job.get("Arn"):
                continue
            name = str(job["Arn"]).rsplit("/", 1)[-1]
            found.append(
                {"step": step["StepName"], "job": name, "lines": _log_lines(view, group, name)}
            )
    return found


def _log_lines(view: View, group: str, job: str) -> list[str]:
    try:
        out = view.call(
            "logs",
            "FilterLogEvents",
            {"logGroupName": group, "logStreamNamePrefix": f"{job}/", "limit": LOG_LINES},
        )
    except ServiceError as error:
        # A job that has not written yet has no log group or stream: nothing to show.
        if error.code != "ResourceNotFoundException":
            view.failed(error)
        return []
    return [e["message"] for e in out.get("events", [])]


def execution(view: View) -> Response:
    """An execution: its step graph, parameters and job logs, kept live while it runs."""
    return view.render("sm_execution.html", **_execution(view))


def execution_fragment(view: View) -> Response:
    """The execution's live part alone."""
    return view.fragment("sm_execution_body.html", **_execution(view), live=True)


def routes(console: Console) -> list[Route]:
    """The SageMaker pipeline pages."""
    base = "/sagemaker/pipelines"
    return [
        Route(base, page(console, pipelines), methods=["GET"]),
        Route(f"{base}/{{pipeline}}", page(console, executions), methods=["GET"]),
        Route(
            f"{base}/{{pipeline}}/executions/{{execution}}",
            page(console, execution),
            methods=["GET"],
        ),
        Route(
            f"{base}/{{pipeline}}/executions/{{execution}}/live",
            page(console, execution_fragment),
            methods=["GET"],
        ),
    ]
