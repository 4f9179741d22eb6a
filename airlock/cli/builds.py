"""`airlock builds logs`: a build's log from CloudWatch Logs, optionally followed to its end.

A client of the API like any other: it signs as the profile's principal with the state dir's
AWS config, so it reads what that principal may read (codebuild:BatchGetBuilds, logs:GetLogEvents).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import botocore.session

from airlock.identity.profiles import aws_dir
from airlock.settings import Settings

POLL_SECONDS = 0.5


class BuildLogError(Exception):
    """The build or its log cannot be read; the message says why."""


def client(settings: Settings, profile: str, service: str) -> Any:
    """A botocore client for a profile of the state dir's AWS config."""
    session = botocore.session.Session(profile=profile)
    folder = aws_dir(settings)
    session.set_config_variable("config_file", str(folder / "config"))
    session.set_config_variable("credentials_file", str(folder / "credentials"))
    return session.create_client(
        service, endpoint_url=settings.endpoint_url, region_name=settings.region
    )


def _build(codebuild: Any, build_id: str) -> dict[str, Any]:
    answer = codebuild.batch_get_builds(ids=[build_id])
    if not answer["builds"]:
        raise BuildLogError(f"Build {build_id} does not exist")
    return dict(answer["builds"][0])


def print_build_log(
    codebuild: Any,
    logs: Any,
    build_id: str,
    write: Callable[[str], None],
    *,
    follow: bool = False,
) -> str:
    """Write the build's log lines; with `follow`, until the build completes. Its status."""
    token: str | None = None
    while True:
        build = _build(codebuild, build_id)
        # Read after the status: once the build is complete, every line is in the stream.
        complete = bool(build["buildComplete"])
        group, stream = build["logs"]["groupName"], build["logs"]["streamName"]
        while True:
            args: dict[str, Any] = {
                "logGroupName": group,
                "logStreamName": stream,
                "startFromHead": True,
            }
            if token:
                args["nextToken"] = token
            try:
                page = logs.get_log_events(**args)
            except logs.exceptions.ResourceNotFoundException:
                break  # nothing was written yet
            for event in page["events"]:
                write(event["message"])
            if page.get("nextForwardToken") == token:
                break
            token = page.get("nextForwardToken")
            if not page["events"]:
                break
        if complete or not follow:
            return str(build["buildStatus"])
        time.sleep(POLL_SECONDS)
