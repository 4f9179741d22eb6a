"""Source/AWS/S3: a CodePipeline source action that takes an object of a versioned bucket.

The object (a zip) becomes the output artifact as it is; its version id is the source
revision. Reads are the action's role's, through the call path; the artifact is written
by `ActionJob.write_artifact` as the pipeline's role.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airlock.core.calls import call
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import ActionJob, ActionOutcome, ConfigurationProperty

from .operations import api

SUMMARY_KEY = "codepipeline-artifact-revision-summary"


class S3Source:
    """An S3 object as a pipeline's source."""

    category = "Source"
    owner = "AWS"
    provider = "S3"
    version = "1"
    configuration: tuple[ConfigurationProperty, ...] = (
        ConfigurationProperty("S3Bucket", required=True),
        ConfigurationProperty("S3ObjectKey", required=True),
        ConfigurationProperty("PollForSourceChanges"),
        ConfigurationProperty("AllowOverrideForS3ObjectKey"),
    )
    input_artifacts: tuple[int, int] = (0, 0)
    output_artifacts: tuple[int, int] = (1, 1)

    def check(self, configuration: Mapping[str, str]) -> str | None:
        """PollForSourceChanges is true or false."""
        poll = configuration.get("PollForSourceChanges")
        if poll is not None and poll.lower() not in ("true", "false"):
            return f"PollForSourceChanges must be true or false, not {poll}"
        return None

    def step(self, platform: Any, job: ActionJob) -> ActionOutcome:
        """Read the object (the requested version, or the newest) and store it as the artifact.

        Repeating it writes the same bytes to the same artifact key: nothing happens twice.
        """
        bucket = job.configuration["S3Bucket"]
        key = job.configuration["S3ObjectKey"]
        try:
            versioning = call(platform, job.ctx, "s3", "GetBucketVersioning", {"Bucket": bucket})
            if versioning.get("Status") != "Enabled":
                return ActionOutcome.failed(
                    f"The S3 bucket {bucket} is not versioned: a source bucket must have "
                    "versioning enabled"
                )
            params: dict[str, Any] = {"Bucket": bucket, "Key": key}
            if job.source_revision:
                params["VersionId"] = job.source_revision
            out = call(platform, job.ctx, "s3", "GetObject", params)
            body = out["Body"]
            try:
                data = b"".join(body)
            finally:
                getattr(body, "close", lambda: None)()
        except ServiceError as error:
            return ActionOutcome.failed(
                f"Could not read s3://{bucket}/{key} as {job.ctx.principal.arn}: "
                f"{error.code}: {error.message}"
            )
        version = str(out.get("VersionId") or "")
        job.write_artifact(job.outputs[0].name, data)
        revision = {"revisionId": version}
        summary = (out.get("Metadata") or {}).get(SUMMARY_KEY)
        if summary:
            revision["revisionSummary"] = summary
        return ActionOutcome(
            "Succeeded",
            external_execution_id=version,
            summary=summary,
            output_variables={"ETag": str(out.get("ETag") or "").strip('"'), "VersionId": version},
            source_revision=revision,
        )

    def latest_revision(
        self, platform: Any, ctx: RequestContext, configuration: Mapping[str, str]
    ) -> str | None:
        """The object's current version id (None while there is no such object)."""
        params = {"Bucket": configuration["S3Bucket"], "Key": configuration["S3ObjectKey"]}
        try:
            out = call(platform, ctx, "s3", "HeadObject", params)
        except ServiceError:
            return None
        return str(out.get("VersionId") or "") or None

    def abandon(self, platform: Any, job: ActionJob) -> None:
        """A read of one object runs no longer than its step."""


api.pipeline_action(S3Source())
