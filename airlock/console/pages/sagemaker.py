"""SageMaker: model package groups, their versions, and Update status → Approve or Reject."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..web import BASE, Console, View, page, redirect
from .trail import lookup

# A metrics report larger than this is linked, not shown.
METRICS_LIMIT = 64 * 1024
STATUSES = {"Approved", "Rejected"}


def groups(view: View) -> Response:
    """The model package groups of the acting account."""
    found = view.every(
        "sagemaker", "ListModelPackageGroups", {"MaxResults": 100}, "ModelPackageGroupSummaryList"
    )
    return view.render("model_groups.html", groups=found)


def versions(view: View) -> Response:
    """A group's versions, newest first, with their approval status."""
    group = view.request.path_params["group"]
    found = view.every(
        "sagemaker",
        "ListModelPackages",
        {
            "ModelPackageGroupName": group,
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": 100,
        },
        "ModelPackageSummaryList",
    )
    return view.render("model_versions.html", group=group, versions=found)


def package_arn(view: View, group: str, version: str) -> str:
    """The ARN of a version of a group in the acting account."""
    principal = view.me().principal
    region = view.platform.settings.region
    return f"arn:aws:sagemaker:{region}:{principal.account_id}:model-package/{group}/{version}"


def _s3_parts(url: str) -> tuple[str, str] | None:
    if not url.startswith("s3://") or "/" not in url[5:]:
        return None
    bucket, key = url[5:].split("/", 1)
    return bucket, key


def artifact(view: View, url: str) -> dict[str, Any]:
    """The model artifact's location, size and checksums (S3 HeadObject as the user)."""
    parts = _s3_parts(url)
    if parts is None:
        return {"url": url}
    head = view.read(
        "s3", "HeadObject", {"Bucket": parts[0], "Key": parts[1], "ChecksumMode": "ENABLED"}
    )
    if head is None:
        return {"url": url}
    return {
        "url": url,
        "size": head.get("ContentLength"),
        "etag": head.get("ETag"),
        "sha256": head.get("ChecksumSHA256"),
    }


def metrics(view: View, described: dict[str, Any]) -> list[dict[str, Any]]:
    """Each metrics report the version names, read from S3 as the user when small."""
    reports: list[dict[str, Any]] = []
    for family, kinds in (described.get("ModelMetrics") or {}).items():
        for kind, source in (kinds or {}).items():
            url = (source or {}).get("S3Uri", "")
            report: dict[str, Any] = {"name": f"{family} {kind}", "url": url, "values": None}
            parts = _s3_parts(url)
            if parts is not None:
                report["values"] = _metric_values(view, parts)
            reports.append(report)
    return reports


def _metric_values(view: View, parts: tuple[str, str]) -> list[tuple[str, Any]] | None:
    out = view.read("s3", "GetObject", {"Bucket": parts[0], "Key": parts[1]})
    if out is None:
        return None
    body = out["Body"]
    try:
        data = body if isinstance(body, bytes) else b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    if len(data) > METRICS_LIMIT:
        return None
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return list(_flatten(document, ""))


def _flatten(value: Any, prefix: str) -> list[tuple[str, Any]]:
    """A metrics document's leaves as dotted names (`metrics.accuracy.value`)."""
    if isinstance(value, dict):
        pairs: list[tuple[str, Any]] = []
        for key, inner in value.items():
            pairs.extend(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return pairs
    return [(prefix, value)]


def approvals(view: View, arn: str) -> list[dict[str, Any]]:
    """The version's status changes from the audit trail: who, when, to what, and why."""
    history = []
    for row in lookup(view, ("ResourceName", arn)):
        request = row["request"]
        if row["name"] != "UpdateModelPackage" or row["error"]:
            continue
        if "modelApprovalStatus" not in request:
            continue
        history.append(
            {
                "time": row["time"],
                "who": row["who"],
                "status": request.get("modelApprovalStatus"),
                "reason": request.get("approvalDescription", ""),
            }
        )
    return history


def version(view: View) -> Response:
    """One version: status, metrics, artifact with checksum, approval history, the form."""
    group = view.request.path_params["group"]
    number = view.request.path_params["version"]
    arn = package_arn(view, group, number)
    described = view.read("sagemaker", "DescribeModelPackage", {"ModelPackageName": arn})
    containers = ((described or {}).get("InferenceSpecification") or {}).get("Containers") or []
    return view.render(
        "model_version.html",
        group=group,
        number=number,
        arn=arn,
        package=described,
        artifacts=[artifact(view, c["ModelDataUrl"]) for c in containers if c.get("ModelDataUrl")],
        metrics=metrics(view, described) if described else [],
        history=approvals(view, arn),
    )


def update_status(view: View) -> Response:
    """Update status: Approve or Reject, with the reason (UpdateModelPackage as the user)."""
    group = view.request.path_params["group"]
    number = view.request.path_params["version"]
    status = view.form.get("status", "")
    back = f"{BASE}/sagemaker/model-groups/{group}/versions/{number}"
    assert view.session is not None
    if status not in STATUSES:
        view.session.tell("error", "Choose Approve or Reject.")
        return redirect(back)
    params: dict[str, Any] = {
        "ModelPackageArn": package_arn(view, group, number),
        "ModelApprovalStatus": status,
    }
    reason = view.form.get("reason", "").strip()
    if reason:
        params["ApprovalDescription"] = reason
    view.act("sagemaker", "UpdateModelPackage", params, f"Version {number} is now {status}.")
    return redirect(back)


def routes(console: Console) -> list[Route]:
    """The SageMaker model registry pages."""
    base = "/sagemaker/model-groups"
    one = base + "/{group}/versions/{version}"
    return [
        Route(base, page(console, groups), methods=["GET"]),
        Route(base + "/{group}", page(console, versions), methods=["GET"]),
        Route(one, page(console, version), methods=["GET"]),
        Route(one + "/status", page(console, update_status), methods=["POST"]),
    ]


__all__ = ["routes"]
