"""Pipelines as EventBridge targets: a matching event starts an execution.

The target's ARN is the pipeline's (`arn:aws:codepipeline:<region>:<account>:<name>`) and
its RoleArn is required, as on AWS. The delivery goes through the call path as
`codepipeline:StartPipelineExecution` as that role, so the role's policies decide and the
trail records it with EventBridge as `invokedBy`; the execution's trigger is
`CloudWatchEvent`, naming the rule.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from airlock.core.calls import call
from airlock.core.errors import ServiceError
from airlock.events import register_kind
from airlock.events.targets import Attempt, DeliveryFailure, delivery_context

from .service import CodePipelineService

_PIPELINE = re.compile(r"^arn:aws:codepipeline:([^:]+):(\d{12}):([A-Za-z0-9.@\-_]+)$")


class PipelineTarget:
    """A pipeline of the rule's account."""

    name = "CodePipeline pipeline"

    def accepts(self, arn: str) -> bool:
        """CodePipeline ARNs."""
        return arn.startswith("arn:aws:codepipeline:")

    def check(self, target: dict[str, Any], rule_arn: str) -> str | None:
        """A pipeline ARN, with a RoleArn."""
        if _PIPELINE.match(target["Arn"]) is None:
            return f"Parameter {target['Arn']} is not valid. Reason: not a pipeline ARN."
        if not target.get("RoleArn"):
            return f"RoleArn is required for target {target['Arn']}."
        return None

    def deliver(self, platform: Any, attempt: Attempt) -> None:
        """Start an execution as the target's role, with trigger CloudWatchEvent."""
        from .executions import start

        match = _PIPELINE.match(attempt.target["Arn"])
        assert match is not None
        region, account, name = match.groups()
        ctx = replace(delivery_context(platform, attempt), region=region)

        def start_execution(svc: CodePipelineService, params: dict[str, Any]) -> dict[str, Any]:
            pipeline = svc.require_pipeline(account, region, name)
            trigger = {"triggerType": "CloudWatchEvent", "triggerDetail": attempt.rule_arn}
            revisions = pushed_revisions(pipeline.declaration, attempt.event)
            options = {"sourceRevisions": revisions} if revisions else {}
            return {"pipelineExecutionId": start(svc, pipeline, trigger, options).execution_id}

        try:
            call(
                platform,
                ctx,
                "codepipeline",
                "StartPipelineExecution",
                {"name": name},
                effect=start_execution,
            )
        except ServiceError as error:
            raise DeliveryFailure(f"{error.code}: {error.message}", retryable=False) from error


def pushed_revisions(declaration: dict[str, Any], event: dict[str, Any]) -> list[dict[str, str]]:
    """For a CodeCommit push event: the pushed commit, for each source action of that
    repository and branch, so the execution builds what was pushed (not a later head)."""
    detail = event.get("detail") or {}
    if event.get("source") != "aws.codecommit" or not detail.get("commitId"):
        return []
    revisions = []
    for action in declaration["stages"][0]["actions"]:
        config = action.get("configuration") or {}
        if (
            action["actionTypeId"].get("provider") == "CodeCommit"
            and config.get("RepositoryName") == detail.get("repositoryName")
            and config.get("BranchName") == detail.get("referenceName")
        ):
            revisions.append(
                {
                    "actionName": action["name"],
                    "revisionType": "COMMIT_ID",
                    "revisionValue": str(detail["commitId"]),
                }
            )
    return revisions


def register() -> None:
    """Add the kind to EventBridge's."""
    register_kind(PipelineTarget())
