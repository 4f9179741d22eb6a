"""Which local program an image URI stands for."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

_ECR = re.compile(
    r"^(?:\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/)?([^:@]+)(?::[^@]+)?(?:@.+)?$"
)


@dataclass(frozen=True)
class Runtime:
    """A local stand-in for a container image."""

    name: str
    command: tuple[str, ...]


XGBOOST = Runtime(
    "built-in XGBoost", (sys.executable, "-m", "airlock.sagemaker.algorithms.xgboost")
)
SUPPORTED = ("sagemaker-xgboost (any account, region and tag)",)


class UnknownImage(Exception):
    """No local runtime stands for the image."""


def runtime_for(image: str, hyperparameters: dict[str, str]) -> Runtime:
    """The runtime of an image, or UnknownImage with a reason listing the supported ones."""
    match = _ECR.match(image.strip())
    repository = match.group(1).rsplit("/", 1)[-1] if match else ""
    if repository == "sagemaker-xgboost":
        if "sagemaker_program" in hyperparameters:
            raise UnknownImage(
                "Script mode (the sagemaker_program hyperparameter) is not supported yet; "
                "the built-in XGBoost algorithm runs when sagemaker_program is not set."
            )
        return XGBOOST
    raise UnknownImage(
        f"Airlock has no local runtime for the image {image}. Supported images: "
        f"{', '.join(SUPPORTED)}."
    )
