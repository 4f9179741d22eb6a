"""The audit trail's events as the console shows them (CloudTrail LookupEvents as the user)."""

from __future__ import annotations

import json
from typing import Any

from ..web import View


def event_row(event: dict[str, Any]) -> dict[str, Any]:
    """What a table row shows of one event: when, who, what, on what, and the outcome."""
    document = json.loads(event.get("CloudTrailEvent") or "{}")
    identity = document.get("userIdentity") or {}
    return {
        "time": event.get("EventTime"),
        "name": event.get("EventName"),
        "source": event.get("EventSource"),
        "who": identity.get("arn", ""),
        "account": document.get("recipientAccountId", ""),
        "resources": [r["ResourceName"] for r in event.get("Resources") or []],
        "error": document.get("errorCode"),
        "request": document.get("requestParameters") or {},
        "document": document,
    }


def lookup(
    view: View, attribute: tuple[str, str] | None, *, limit: int = 200
) -> list[dict[str, Any]]:
    """The acting account's events (newest first) matching one lookup attribute."""
    params: dict[str, Any] = {"MaxResults": 50}
    if attribute is not None:
        params["LookupAttributes"] = [
            {"AttributeKey": attribute[0], "AttributeValue": attribute[1]}
        ]
    events = view.every("cloudtrail", "LookupEvents", params, "Events", limit=limit)
    return [event_row(e) for e in events]
