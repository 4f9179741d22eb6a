"""Which local program an image URI stands for.

Built in: `sagemaker-xgboost` (the XGBoost algorithm, or script mode) and
`sagemaker-scikit-learn` (script mode) of any account, region and tag. A user maps
further images to local commands in a JSON file (`<state dir>/images.json`, or
`--images` / `AIRLOCK_IMAGES`):

    {"123456789012.dkr.ecr.us-east-1.amazonaws.com/my-trainer": ["/opt/bin/trainer"]}

A key is a whole image URI, the URI without its tag, or a repository name. The
command is the image's entry point: a training job runs it with the argument
`train`, as SageMaker runs a container, under the same /opt/ml contract.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


XGBOOST = Runtime("built-in XGBoost", (sys.executable, "-m", "airlock.algorithms.xgboost"))
SUPPORTED = (
    "sagemaker-xgboost (the built-in algorithm, or script mode with sagemaker_program)",
    "sagemaker-scikit-learn (script mode)",
    "images mapped to local commands in the images file (--images)",
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


def unknown_image(image: str, images_file: Path | None = None) -> UnknownImage:
    """The refusal of an image no local runtime stands for, listing the supported ones."""
    where = f" ({images_file})" if images_file is not None else ""
    return UnknownImage(
        f"Airlock has no local runtime for the image {image}. Supported images: "
        f"{'; '.join(SUPPORTED)}{where}."
    )


def mapped_command(image: str, images_file: Path | None) -> tuple[str, ...] | None:
    """The local command the user mapped the image to, if any (UnknownImage if unreadable)."""
    if images_file is None or not images_file.exists():
        return None
    try:
        mapping: Any = json.loads(images_file.read_text())
    except (OSError, ValueError) as error:
        raise UnknownImage(f"The images file {images_file} cannot be read: {error}") from error
    if not isinstance(mapping, dict):
        raise UnknownImage(f"The images file {images_file} must hold a JSON object.")
    untagged = re.sub(r"(@.+|:[^/:]+)$", "", image.strip())
    for key in (image.strip(), untagged, repository_of(image)):
        command = mapping.get(key)
        if command is None:
            continue
        if not (isinstance(command, list) and command and all(isinstance(a, str) for a in command)):
            raise UnknownImage(
                f"The images file {images_file} maps {key} to {command!r}: expected a list of "
                "strings (a command and its arguments)."
            )
        return tuple(command)
    return None


def check_image(image: str, images_file: Path | None = None) -> None:
    """UnknownImage unless a local runtime stands for the image."""
    if repository_of(image) in ("sagemaker-xgboost", "sagemaker-scikit-learn"):
        return
    if mapped_command(image, images_file) is None:
        raise unknown_image(image, images_file)


def runtime_for(
    image: str, hyperparameters: dict[str, str], images_file: Path | None = None
) -> Runtime:
    """The runtime of an image, or UnknownImage with a reason listing the supported ones."""
    repository = repository_of(image)
    mapped = mapped_command(image, images_file)
    if mapped is not None:
        return Runtime(f"{image} (mapped to {' '.join(mapped)})", (*mapped, "train"))
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
    raise unknown_image(image, images_file)
