"""CodeBuild: build projects and builds that run their buildspecs for real."""

from .artifacts import ArtifactError, SelectedFile, select_files, write_zip
from .buildspec import (
    ArtifactSpec,
    Buildspec,
    BuildspecError,
    EnvSpec,
    PhaseSpec,
    load_buildspec_file,
    parse_buildspec,
)
from .environment import BuildEnvironment, create_build_environment, is_managed_image
from .phases import PhaseContext, PhaseRecord, build_status, next_phase, succeeding
from .runner import BuildOutcome, BuildRunner, container_line, kill_process_group

__all__ = [
    "ArtifactError",
    "ArtifactSpec",
    "BuildEnvironment",
    "BuildOutcome",
    "BuildRunner",
    "Buildspec",
    "BuildspecError",
    "EnvSpec",
    "PhaseContext",
    "PhaseRecord",
    "PhaseSpec",
    "SelectedFile",
    "build_status",
    "container_line",
    "create_build_environment",
    "is_managed_image",
    "kill_process_group",
    "load_buildspec_file",
    "next_phase",
    "parse_buildspec",
    "select_files",
    "succeeding",
    "write_zip",
]


def _register() -> None:
    """Hang the worker on the API (imported late: the operations import the core above)."""
    # Imported for what they register: AWS::CodeBuild::Project, the Build and Test actions.
    from . import pipeline_action, resources  # noqa: F401
    from .operations import api
    from .worker import BuildWorker

    api.worker = BuildWorker


_register()
