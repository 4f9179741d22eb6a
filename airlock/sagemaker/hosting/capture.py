"""Data capture: sampled requests and responses, written to S3 as JSON Lines.

As SageMaker lays them out: `<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/
<mm-ss-mmm>-<uuid>.jsonl`, one line per captured invocation with `captureData`
(`endpointInput` / `endpointOutput`: observed content type, mode, data, encoding)
and `eventMetadata` (event id, inference time). Records wait in memory and are
written with the variant's model role every few seconds.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FLUSH_SECONDS = 2.0
CSV_TYPES = ("text/csv",)
JSON_TYPES = ("application/json",)


@dataclass(frozen=True)
class Target:
    """Where one variant's captures go, and as whom."""

    account: str
    endpoint_arn: str
    endpoint: str
    variant: str
    destination: str
    role: str


@dataclass
class Capture:
    """A variant's capture settings (from DataCaptureConfig) and where they go."""

    target: Target
    percent: float
    modes: tuple[str, ...]
    csv_types: tuple[str, ...]
    json_types: tuple[str, ...]

    @classmethod
    def of(cls, config: dict[str, Any] | None, target: Target) -> Capture | None:
        if not config or not config.get("EnableCapture", True):
            return None
        header = config.get("CaptureContentTypeHeader") or {}
        modes = tuple(o["CaptureMode"] for o in config.get("CaptureOptions") or [])
        return cls(
            target,
            float(config.get("InitialSamplingPercentage", 100)),
            modes or ("Input", "Output"),
            tuple(header.get("CsvContentTypes") or CSV_TYPES),
            tuple(header.get("JsonContentTypes") or JSON_TYPES),
        )

    def sampled(self) -> bool:
        return random.uniform(0, 100) < self.percent

    def record(
        self, body: bytes, content_type: str, answer: bytes, answer_type: str, at: datetime
    ) -> str:
        """One JSON line for an invocation."""
        data: dict[str, Any] = {}
        if "Input" in self.modes:
            data["endpointInput"] = self._side(body, content_type, "INPUT")
        if "Output" in self.modes:
            data["endpointOutput"] = self._side(answer, answer_type, "OUTPUT")
        return json.dumps(
            {
                "captureData": data,
                "eventMetadata": {
                    "eventId": str(uuid.uuid4()),
                    "inferenceTime": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
                "eventVersion": "0",
            }
        )

    def _side(self, data: bytes, content_type: str, mode: str) -> dict[str, Any]:
        kind = content_type.split(";", 1)[0].strip()
        if kind in self.csv_types or kind in self.json_types:
            text, encoding = (
                data.decode("utf-8", "replace"),
                ("CSV" if kind in self.csv_types else "JSON"),
            )
        else:
            text, encoding = base64.b64encode(data).decode(), "BASE64"
        return {
            "observedContentType": content_type,
            "mode": mode,
            "data": text,
            "encoding": encoding,
        }


@dataclass
class Captured:
    """Records waiting to be written, by target."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: dict[Target, list[str]] = field(default_factory=dict)

    def add(self, target: Target, line: str) -> None:
        with self.lock:
            self.waiting.setdefault(target, []).append(line)

    def take(self) -> dict[Target, list[str]]:
        with self.lock:
            taken, self.waiting = self.waiting, {}
            return taken


def object_key(target: Target, at: datetime) -> str:
    """The S3 URL of a capture file written at `at`."""
    moment = at.astimezone(UTC)
    base = target.destination.rstrip("/")
    return (
        f"{base}/{target.endpoint}/{target.variant}/{moment:%Y/%m/%d/%H}/"
        f"{moment:%M-%S}-{moment.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
    )
