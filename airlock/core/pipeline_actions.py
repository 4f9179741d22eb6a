"""What a CodePipeline action type is: the interface a service's action provider implements.

As with CloudFormation resource types, a provider lives in its service's package
(CodeBuild's build and test actions in `airlock.codebuild`, the CloudFormation deploy
actions in `airlock.cloudformation`) and does its work through the call path as the
action's role (`ActionJob.ctx`), so IAM decides every step and the trail records it.
The pipeline engine knows action types only by their (category, owner, provider)
key: it finds them through the services' `ServiceApi.pipeline_actions`.

The lifecycle, chosen so a crash at any moment neither loses nor repeats work:

- the engine calls `step` with an empty `state` to begin, then again, while the
  outcome is InProgress, with the `state` the last outcome saved;
- `step` may be repeated with the same `state` (the server died before the outcome
  committed), so whatever it starts carries an idempotency key derived from
  `ActionJob.job_id` (a build's idempotencyToken, a stack set's OperationId) or is
  found again from it: no action's effect happens twice;
- `abandon` stops what the action started, when an execution is stopped with
  abandon or superseded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from airlock.core.context import RequestContext

ActionStatus = Literal["InProgress", "Succeeded", "Failed"]


@dataclass(frozen=True)
class ArtifactLocation:
    """Where an artifact is: a zip object in the pipeline's artifact store."""

    name: str
    bucket: str
    key: str


@dataclass(frozen=True)
class ActionJob:
    """One run of one action, as its provider sees it."""

    # Stable for this action execution across restarts and repeated steps, and new for
    # every retry: the seed of every idempotency key the provider uses.
    job_id: str
    pipeline_name: str
    pipeline_execution_id: str
    stage_name: str
    action_name: str
    account_id: str
    region: str
    # The action's configuration with every `#{Namespace.Variable}` resolved.
    configuration: Mapping[str, str]
    inputs: tuple[ArtifactLocation, ...]
    outputs: tuple[ArtifactLocation, ...]
    # The action's role (its roleArn, or the pipeline's), assumed as
    # codepipeline.amazonaws.com: every call the provider makes uses it.
    ctx: RequestContext
    # What the provider's last outcome saved; empty on the first step.
    state: Mapping[str, Any]
    # For a source action: the revision the execution was started for (the pushed
    # commit of the event that triggered it, or StartPipelineExecution's
    # sourceRevisions); None means the newest.
    source_revision: str | None
    # Read an input artifact's bytes and write an output artifact's, as the pipeline's
    # role (as AWS reads and writes the artifact store), by artifact name.
    read_artifact: Callable[[str], bytes]
    write_artifact: Callable[[str, bytes], None]


@dataclass
class ActionOutcome:
    """What one step of an action came to."""

    status: ActionStatus
    # Saved with the action execution and handed to the next step.
    state: dict[str, Any] = field(default_factory=dict)
    external_execution_id: str | None = None
    external_execution_url: str | None = None
    summary: str | None = None
    # The action's output variables, under its namespace (once Succeeded).
    output_variables: dict[str, str] = field(default_factory=dict)
    # For a source action: the revision it produced, as ListPipelineExecutions shows it
    # under sourceRevisions (revisionId, revisionSummary, revisionUrl).
    source_revision: dict[str, str] | None = None
    # For Failed: AWS's errorDetails code ("JobFailed", "ConfigurationError"…) and message.
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def failed(cls, message: str, code: str = "JobFailed", **extra: Any) -> ActionOutcome:
        """A failed outcome with AWS's errorDetails."""
        return cls("Failed", error_code=code, error_message=message, **extra)


@dataclass(frozen=True)
class ConfigurationProperty:
    """One configuration key of an action type, as GetActionType lists it."""

    name: str
    required: bool = False
    secret: bool = False


class ActionProvider(Protocol):
    """An action type: category, owner and provider, and how to run one."""

    category: str  # Source, Build, Test, Deploy, Approval, Invoke
    owner: str  # AWS
    provider: str  # CodeCommit, CodeBuild, CloudFormation…
    version: str  # "1"
    configuration: tuple[ConfigurationProperty, ...]
    # How many input and output artifacts the type takes, (min, max) each.
    input_artifacts: tuple[int, int]
    output_artifacts: tuple[int, int]

    def check(self, configuration: Mapping[str, str]) -> str | None:
        """Why CreatePipeline must refuse this configuration (beyond required keys), or None."""
        ...

    def step(self, platform: Any, job: ActionJob) -> ActionOutcome:
        """Begin or go on with the action; see the module's lifecycle."""
        ...

    def abandon(self, platform: Any, job: ActionJob) -> None:
        """Stop what the action started (best effort; an error is logged, not raised)."""
        ...


class PollingSource(Protocol):
    """A source action type that can say what its newest revision is (optional).

    With `PollForSourceChanges` true (the default), the engine asks it now and then, as the
    action's role, and starts an execution with trigger PollForSourceChanges when the
    answer changes. A provider without `latest_revision` is never polled.
    """

    def latest_revision(
        self, platform: Any, ctx: RequestContext, configuration: Mapping[str, str]
    ) -> str | None:
        """The revision an execution started now would take, or None if there is none."""
        ...


def action_key(category: str, owner: str, provider: str) -> str:
    """The key an action type is registered under: `Build/AWS/CodeBuild`."""
    return f"{category}/{owner}/{provider}"
