"""Who an action acts as: its own role, assumed by the pipeline's role, as on AWS.

CodePipeline assumes the pipeline's role (`codepipeline.amazonaws.com` in its trust
policy). An action with a `roleArn` of its own runs as that role, which the pipeline's
role assumes with `sts:AssumeRole`: so the action role's trust policy names the
pipeline's role or account (as a cross-account action role does on AWS), the pipeline
role's policy must allow the AssumeRole, and the call is in the trail. The session is
kept for the action execution until shortly before it expires, so an action stepped
many times assumes its role once.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from airlock.core.calls import acting_context, call
from airlock.core.context import Principal, RequestContext
from airlock.sts import credentials_principal

SESSIONS = "codepipeline.action-role-sessions"
# A session is renewed this long before it expires (an action may run for hours).
RENEW_BEFORE = timedelta(minutes=5)
_LOCK = threading.Lock()


def action_context(
    platform: Any,
    pipeline_ctx: RequestContext,
    pipeline_role: str,
    action_role: str,
    session_name: str,
) -> RequestContext:
    """The context an action's calls run in: the pipeline role's, or its own role's.

    Raises the ServiceError AssumeRole gives when the action's role cannot be assumed.
    """
    if action_role == pipeline_role:
        return pipeline_ctx
    now = platform.clock.now()
    key = (pipeline_ctx.principal.arn, action_role, session_name)
    with _LOCK:
        sessions: dict[tuple[str, str, str], tuple[Principal, datetime]] = (
            platform.runtime.setdefault(SESSIONS, {})
        )
        cached = sessions.get(key)
    if cached is not None and cached[1] - RENEW_BEFORE > now:
        principal = cached[0]
    else:
        answer = call(
            platform,
            pipeline_ctx,
            "sts",
            "AssumeRole",
            {"RoleArn": action_role, "RoleSessionName": session_name[:64]},
        )
        credentials = answer["Credentials"]
        with platform.db.read() as session:
            principal = credentials_principal(session, platform.clock, credentials["AccessKeyId"])
        expires = credentials["Expiration"]
        if isinstance(expires, str):
            expires = datetime.fromisoformat(expires)
        with _LOCK:
            for stale in [k for k, (_, end) in sessions.items() if end <= now]:
                del sessions[stale]
            sessions[key] = (principal, expires)
    return acting_context(
        platform,
        principal,
        via=pipeline_ctx.user_agent or "codepipeline.amazonaws.com",
        service="codepipeline",
        region=pipeline_ctx.region,
    )
