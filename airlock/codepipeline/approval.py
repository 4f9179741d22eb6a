"""Approval/AWS/Manual: the engine's own action type.

The approval waits as persisted state (its token and deadline in the action execution),
never as a thread: each step only checks whether the 7 days are over. PutApprovalResult
ends it by writing the result in its own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from airlock.core.pipeline_actions import (
    ActionJob,
    ActionOutcome,
    ActionProvider,
    ConfigurationProperty,
)

APPROVAL_TIMEOUT = timedelta(days=7)
EXPIRED = "The approval request expired: no one approved or rejected it within 7 days"


class ManualApproval:
    """A person approves or rejects, by the token GetPipelineState shows."""

    category = "Approval"
    owner = "AWS"
    provider = "Manual"
    version = "1"
    configuration: tuple[ConfigurationProperty, ...] = (
        ConfigurationProperty("CustomData"),
        ConfigurationProperty("ExternalEntityLink"),
        ConfigurationProperty("NotificationArn"),
    )
    input_artifacts: tuple[int, int] = (0, 0)
    output_artifacts: tuple[int, int] = (0, 0)

    def check(self, configuration: Mapping[str, str]) -> str | None:
        """CustomData is at most 512 characters, as AWS allows."""
        if len(configuration.get("CustomData") or "") > 512:
            return "CustomData must be at most 512 characters"
        return None

    def step(self, platform: Any, job: ActionJob) -> ActionOutcome:
        """Begin (a token and a deadline), then fail once the deadline passed."""
        now = platform.clock.now()
        if not job.state:
            deadline = now + APPROVAL_TIMEOUT
            return ActionOutcome(
                "InProgress", state={"token": str(uuid.uuid4()), "deadline": deadline.isoformat()}
            )
        if now >= datetime.fromisoformat(str(job.state["deadline"])):
            return ActionOutcome.failed(EXPIRED, state=dict(job.state))
        return ActionOutcome("InProgress", state=dict(job.state))

    def abandon(self, platform: Any, job: ActionJob) -> None:
        """Nothing runs elsewhere: the token simply stops being valid."""


APPROVAL = ManualApproval()
OWN_TYPES: dict[str, ActionProvider] = {"Approval/AWS/Manual": APPROVAL}
