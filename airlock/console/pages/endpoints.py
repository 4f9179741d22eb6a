"""SageMaker endpoints: their status, variants and instances, and a form that invokes one."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..web import Console, View, page

# An answer longer than this is cut in the page (a person reads the start of it).
ANSWER_CHARS = 64 * 1024


def endpoints(view: View) -> Response:
    """The acting account's endpoints."""
    found = view.every("sagemaker", "ListEndpoints", {"MaxResults": 100}, "Endpoints")
    return view.render("endpoints.html", endpoints=found)


def _described(view: View, name: str) -> dict[str, Any] | None:
    """DescribeEndpoint, each variant with its instance type from the endpoint's config."""
    described = view.read("sagemaker", "DescribeEndpoint", {"EndpointName": name})
    if described is None:
        return None
    config = view.read(
        "sagemaker",
        "DescribeEndpointConfig",
        {"EndpointConfigName": described["EndpointConfigName"]},
    )
    types = {
        v["VariantName"]: v.get("InstanceType", "")
        for v in (config or {}).get("ProductionVariants", [])
    }
    variants = [
        {**v, "InstanceType": types.get(v["VariantName"], "")}
        for v in described.get("ProductionVariants", [])
    ]
    return {**described, "ProductionVariants": variants}


def endpoint(view: View) -> Response:
    """An endpoint's status and variants, with the invoke form."""
    name = view.request.path_params["endpoint"]
    return view.render(
        "endpoint.html", name=name, endpoint=_described(view, name), row="", answer=None
    )


def endpoint_fragment(view: View) -> Response:
    """The status and variants alone, for the live refresh (the invoke form stays as typed)."""
    name = view.request.path_params["endpoint"]
    return view.fragment(
        "endpoint_body.html", name=name, endpoint=_described(view, name), live=True
    )


def invoke(view: View) -> Response:
    """Invoke the endpoint with one CSV row as the user, and show the answer on its page."""
    name = view.request.path_params["endpoint"]
    row = view.form.get("row", "").strip()
    answer: dict[str, Any] | None = None
    out = view.read(
        "sagemaker-runtime",
        "InvokeEndpoint",
        {"EndpointName": name, "ContentType": "text/csv", "Body": row.encode()},
    )
    if out is not None:
        body = bytes(out.get("Body") or b"")
        answer = {
            "body": body.decode("utf-8", "replace")[:ANSWER_CHARS],
            "type": out.get("ContentType", ""),
            "variant": out.get("InvokedProductionVariant", ""),
        }
    return view.render(
        "endpoint.html", name=name, endpoint=_described(view, name), row=row, answer=answer
    )


def routes(console: Console) -> list[Route]:
    """The endpoint pages."""
    return [
        Route("/sagemaker/endpoints", page(console, endpoints), methods=["GET"]),
        Route("/sagemaker/endpoints/{endpoint}", page(console, endpoint), methods=["GET"]),
        Route(
            "/sagemaker/endpoints/{endpoint}/live",
            page(console, endpoint_fragment),
            methods=["GET"],
        ),
        Route("/sagemaker/endpoints/{endpoint}/invoke", page(console, invoke), methods=["POST"]),
    ]
