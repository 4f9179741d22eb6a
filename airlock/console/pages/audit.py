"""The audit trail: who did what, when, filtered by account, principal, service and event."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from ..web import Console, View, page
from .trail import lookup

FILTERS = ("account", "principal", "service", "event")


def audit(view: View) -> Response:
    """The acting account's trail (LookupEvents as the user), filtered as the form asks.

    LookupEvents takes one attribute: the event name (or the service) narrows the
    lookup, and the other filters apply to what it returns.
    """
    query = {name: view.request.query_params.get(name, "").strip() for name in FILTERS}
    attribute = None
    if query["event"]:
        attribute = ("EventName", query["event"])
    elif query["service"]:
        attribute = ("EventSource", _source(query["service"]))
    rows = lookup(view, attribute)
    if query["service"]:
        rows = [r for r in rows if r["source"] == _source(query["service"])]
    if query["principal"]:
        rows = [r for r in rows if query["principal"] in r["who"]]
    if query["account"]:
        rows = [r for r in rows if query["account"] in (r["account"], _account_of(r["who"]))]
    return view.render("audit.html", query=query, rows=rows)


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _source(service: str) -> str:
    """`codepipeline` or `codepipeline.amazonaws.com`: the event source."""
    return service if "." in service else f"{service}.amazonaws.com"


def routes(console: Console) -> list[Route]:
    """The audit trail's page."""
    return [Route("/audit", page(console, audit), methods=["GET"])]
