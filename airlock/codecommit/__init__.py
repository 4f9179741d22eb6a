"""CodeCommit: git repositories (bare, on disk), their branches, commits made through the API,
and the ref changes that both the API and git pushes make (`apply_ref_updates`)."""

from . import archive, pipeline_action, resources
from .operations import api
from .refs import RefOutcome, RefUpdate, apply_ref_updates, lock_repository, ref_targets
from .service import CodeCommitService

__all__ = [
    "CodeCommitService",
    "RefOutcome",
    "RefUpdate",
    "api",
    "apply_ref_updates",
    "archive",
    "lock_repository",
    "pipeline_action",
    "ref_targets",
    "resources",
]
