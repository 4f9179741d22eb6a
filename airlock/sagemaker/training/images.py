"""Which local program an image URI stands for."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass

_ECR = re.compile(
    r"^(?:\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/)?([^:@]+)(?::[^@]+)?(?:@.+)?$"
)


@dataclass(frozen=True)
class Runtime:
    """A local stand-in for a container image: a program, or the user's script."""

    name: str
    command: tuple[str, ...] = ()
    # Script mode: the entry point and where its source directory comes from.
    script: str | None = None
    source: str | None = None


XGBOOST = Runtime(
    "built-in XGBoost", (sys.executable, "-m", "airlock.sagemaker.algorithms.xgboost")
)
SUPPORTED = (
    "sagemaker-xgboost (the built-in algorithm, or script mode with sagemaker_program)",
    "sagemaker-scikit-learn (script mode)",
)


class UnknownImage(Exception):
    """No local runtime stands for the image."""


def hyperparameter(hyperparameters: dict[str, str], name: str) -> str | None:
    """A hyperparameter as SageMaker's SDK sends it (JSON-encoded strings are decoded)."""
    value = hyperparameters.get(name)
    if value is None:
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else value


def repository_of(image: str) -> str:
    """The repository of an image URI (`sagemaker-xgboost` of `…/sagemaker-xgboost:1.7-1`)."""
    match = _ECR.match(image.strip())
    return match.group(1).rsplit("/", 1)[-1] if match else ""


def unknown_image(image: str) -> UnknownImage:
    """The refusal of an image no local runtime stands for, listing the supported ones."""
    return UnknownImage(
        f"Airlock has no local runtime for the image {image}. Supported images: "
        f"{'; '.join(SUPPORTED)}."
    )


def check_image(image: str) -> None:
    """UnknownImage unless a local runtime stands for the image."""
    if repository_of(image) not in ("sagemaker-xgboost", "sagemaker-scikit-learn"):
        raise unknown_image(image)


def runtime_for(image: str, hyperparameters: dict[str, str]) -> Runtime:
    """The runtime of an image, or UnknownImage with a reason listing the supported ones."""
    repository = repository_of(image)
    program = hyperparameter(hyperparameters, "sagemaker_program")
    source = hyperparameter(hyperparameters, "sagemaker_submit_directory")
    if repository in ("sagemaker-xgboost", "sagemaker-scikit-learn") and program:
        return Runtime(f"{repository} script mode", script=program, source=source)
    if repository == "sagemaker-xgboost":
        return XGBOOST
    if repository == "sagemaker-scikit-learn":
        raise UnknownImage(
            "The scikit-learn image runs script mode only: set the sagemaker_program "
            "hyperparameter (and sagemaker_submit_directory)."
        )
    raise unknown_image(image)
