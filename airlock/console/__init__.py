"""The Airlock console at `/console/`: a browser client of Airlock's own API.

Every page reads, and every form acts, through the call path as the signed-in
principal, so IAM decides what a person sees and does, and the audit trail
records it. Sessions live on the server; the browser holds an HttpOnly cookie.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from airlock.platform import Platform

from .pages import (
    audit,
    auth,
    builds,
    cloudformation,
    codecommit,
    endpoints,
    home,
    iam,
    pipelines,
    projects,
    sagemaker,
    servicecatalog,
    sm_pipelines,
)
from .web import BASE, STATIC, Console


def console_routes(platform: Platform) -> tuple[Console, list[BaseRoute]]:
    """The console (its sessions) and the routes that serve it under `/console`."""
    console = Console(platform)
    routes: list[BaseRoute] = [Mount("/static", StaticFiles(directory=STATIC), name="static")]
    for module in (
        auth,
        home,
        sagemaker,
        pipelines,
        builds,
        audit,
        iam,
        cloudformation,
        codecommit,
        servicecatalog,
        endpoints,
        projects,
        sm_pipelines,
    ):
        routes.extend(module.routes(console))
    return console, [Mount(BASE, routes=routes)]


__all__ = ["BASE", "Console", "console_routes"]
