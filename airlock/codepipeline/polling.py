"""PollForSourceChanges: the engine looks at polling sources now and then, and starts an
execution (trigger PollForSourceChanges) when one has a new revision.

A source polls when its type can say its newest revision (`PollingSource`) and its
configuration does not set PollForSourceChanges to false. The first look only records
what it saw. Each look is a call as the action's role, so IAM decides and the trail
shows it, as AWS's polling does.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from airlock.core.calls import acting_context
from airlock.core.pipeline_actions import action_key
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from .events import pipeline_arn
from .models import Pipeline
from .operations import PRINCIPAL, known_types, pipeline_variables
from .roles import action_context
from .service import CodePipelineService

log = logging.getLogger("airlock.codepipeline")

POLL_INTERVAL = timedelta(seconds=30)


def polling_sources(platform: Any, declaration: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    """The pipeline's source actions that poll, with their types."""
    known = known_types(platform)
    found = []
    for action in declaration["stages"][0]["actions"]:
        type_id = action["actionTypeId"]
        provider = known.get(action_key(type_id["category"], type_id["owner"], type_id["provider"]))
        poll = str((action.get("configuration") or {}).get("PollForSourceChanges", "true"))
        if (
            provider is not None
            and hasattr(provider, "latest_revision")
            and poll.lower() != "false"
        ):
            found.append((action, provider))
    return found


def poll(platform: Any) -> bool:
    """Look at the sources due; whether an execution was started."""
    now = platform.clock.now()
    with platform.db.read() as session:
        pipelines = list(session.scalars(select(Pipeline)))
        due = []
        for pipeline in pipelines:
            for action, provider in polling_sources(platform, pipeline.declaration):
                seen = pipeline.polled.get(action["name"]) or {}
                if seen and now - datetime.fromisoformat(seen["at"]) < POLL_INTERVAL:
                    continue
                pipeline_role = pipeline.declaration["roleArn"]
                try:
                    principal = assume_role_for_service(
                        session,
                        platform.clock,
                        service_principal=PRINCIPAL,
                        role_arn=pipeline_role,
                        session_name="codepipeline-poll",
                        source_account=pipeline.account_id,
                        source_arn=pipeline.arn,
                    )
                except ServiceAccessDenied:
                    continue
                ctx = acting_context(
                    platform,
                    principal,
                    via=PRINCIPAL,
                    service="codepipeline",
                    region=pipeline.region,
                )
                role = action.get("roleArn") or pipeline_role
                due.append((pipeline.id, action, provider, ctx, pipeline_role, role))
    started = False
    for pipeline_pk, action, provider, pipeline_ctx, pipeline_role, role in due:
        try:
            # An action's own role is assumed by the pipeline's, outside the read above.
            ctx = action_context(platform, pipeline_ctx, pipeline_role, role, "codepipeline-poll")
            revision = provider.latest_revision(
                platform, ctx, dict(action.get("configuration") or {})
            )
        except Exception:
            log.exception("polling %s failed", action["name"])
            continue
        started |= _record(platform, pipeline_pk, action["name"], revision, now)
    return started


def _record(
    platform: Any, pipeline_pk: int, action: str, revision: str | None, now: datetime
) -> bool:
    with platform.db.write() as session:
        pipeline = session.get(Pipeline, pipeline_pk)
        if pipeline is None:
            return False
        seen = pipeline.polled.get(action) or {}
        pipeline.polled = {**pipeline.polled, action: {"revision": revision, "at": now.isoformat()}}
        if not seen or revision is None or seen.get("revision") == revision:
            return False
        svc = CodePipelineService(session, platform.clock, known_types(platform))
        trigger = {
            "triggerType": "PollForSourceChanges",
            "triggerDetail": pipeline_arn(pipeline.account_id, pipeline.region, pipeline.name),
        }
        svc.start_execution(pipeline, trigger, pipeline_variables(pipeline.declaration, []))
        return True
