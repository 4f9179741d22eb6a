"""SageMaker endpoints: their status, variants and instances, their invocation metrics
(CloudWatch's, charted), and a form that invokes one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..charts import InvocationChart, invocation_chart, per_minute
from ..web import Console, View, page

# An answer longer than this is cut in the page (a person reads the start of it).
ANSWER_CHARS = 64 * 1024
# The chart's window: the last hour, a bar per minute.
CHART_MINUTES = 60


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


def _chart(view: View, name: str, endpoint: dict[str, Any] | None) -> InvocationChart | None:
    """The last hour's invocations and model latency of every variant, from CloudWatch."""
    if endpoint is None:
        return None
    last = view.platform.clock.now().replace(second=0, microsecond=0)
    first = last - timedelta(minutes=CHART_MINUTES - 1)
    window = {"StartTime": first, "EndTime": last + timedelta(minutes=1), "Period": 60}
    invocations: list[dict[str, Any]] = []
    latency: list[dict[str, Any]] = []
    for variant in endpoint.get("ProductionVariants", []):
        dimensions = [
            {"Name": "EndpointName", "Value": name},
            {"Name": "VariantName", "Value": variant["VariantName"]},
        ]
        for metric, statistics, into in (
            ("Invocations", ["Sum"], invocations),
            ("ModelLatency", ["Sum", "SampleCount"], latency),
        ):
            out = view.read(
                "cloudwatch",
                "GetMetricStatistics",
                {
                    "Namespace": "AWS/SageMaker",
                    "MetricName": metric,
                    "Dimensions": dimensions,
                    "Statistics": statistics,
                    **window,
                },
            )
            if out is None:
                return None  # refused: the page says why
            into.extend(out.get("Datapoints", []))
    return invocation_chart(
        first,
        CHART_MINUTES,
        per_minute(invocations, "Sum"),
        per_minute(latency, "Sum"),
        per_minute(latency, "SampleCount"),
    )


def _body(view: View, name: str) -> dict[str, Any]:
    """What the live part of the page shows: the endpoint and its chart."""
    described = _described(view, name)
    return {"name": name, "endpoint": described, "chart": _chart(view, name, described)}


def endpoint(view: View) -> Response:
    """An endpoint's status, variants and metrics, with the invoke form."""
    name = view.request.path_params["endpoint"]
    return view.render("endpoint.html", **_body(view, name), row="", answer=None)


def endpoint_fragment(view: View) -> Response:
    """The status, variants and metrics alone, for the live refresh (the invoke form stays
    as typed)."""
    name = view.request.path_params["endpoint"]
    return view.fragment("endpoint_body.html", **_body(view, name), live=True)


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
    return view.render("endpoint.html", **_body(view, name), row=row, answer=answer)


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
