"""CodeBuild: a build's phases and its log, kept live while it runs."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..web import Console, View, page

LOG_LINES = 2000


def _build(view: View, build_id: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The build (BatchGetBuilds) and its log lines (CloudWatch Logs), as the user."""
    out = view.read("codebuild", "BatchGetBuilds", {"ids": [build_id]})
    builds = (out or {}).get("builds", [])
    if not builds:
        return None, []
    build = builds[0]
    logs = build.get("logs") or {}
    lines: list[str] = []
    if logs.get("groupName") and logs.get("streamName"):
        events = view.read(
            "logs",
            "GetLogEvents",
            {
                "logGroupName": logs["groupName"],
                "logStreamName": logs["streamName"],
                "startFromHead": True,
                "limit": LOG_LINES,
            },
        )
        lines = [e["message"] for e in (events or {}).get("events", [])]
    return build, lines


def build_page(view: View) -> Response:
    """A build's status, phases and log."""
    build_id = view.request.path_params["build"]
    build, lines = _build(view, build_id)
    return view.render("build.html", build_id=build_id, build=build, lines=lines)


def build_fragment(view: View) -> Response:
    """The phases and log alone, for the live refresh."""
    build_id = view.request.path_params["build"]
    build, lines = _build(view, build_id)
    return view.fragment("build_body.html", build_id=build_id, build=build, lines=lines)


def routes(console: Console) -> list[Route]:
    """The CodeBuild pages."""
    return [
        Route("/codebuild/builds/{build}", page(console, build_page), methods=["GET"]),
        Route("/codebuild/builds/{build}/live", page(console, build_fragment), methods=["GET"]),
    ]
