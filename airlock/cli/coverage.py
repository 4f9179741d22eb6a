"""How much of each service's botocore API Airlock implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airlock.core.api import ServiceApi
from airlock.protocol import load_service_model

# The services of the multi-account deployment system, in the order they arrive.
PLANNED = [
    "organizations",
    "iam",
    "sts",
    "cloudtrail",
    "s3",
    "logs",
    "sagemaker",
    "sagemaker-runtime",
    "events",
    "codecommit",
    "codebuild",
    "codepipeline",
    "cloudformation",
    "servicecatalog",
]


@dataclass(frozen=True)
class Coverage:
    """Implemented and missing operations of one service."""

    service: str
    implemented: list[str]
    missing: list[str]

    @property
    def total(self) -> int:
        """Operations in botocore's model."""
        return len(self.implemented) + len(self.missing)


def coverage(apis: list[ServiceApi[Any]]) -> list[Coverage]:
    """Coverage of every planned service (and any implemented one not planned)."""
    by_name = {api.name: api for api in apis}
    names = PLANNED + [n for n in by_name if n not in PLANNED]
    result = []
    for name in names:
        model = load_service_model(name)
        done = set(by_name[name].operations) if name in by_name else set()
        ops = sorted(model.operation_names)
        result.append(
            Coverage(name, [o for o in ops if o in done], [o for o in ops if o not in done])
        )
    return result
