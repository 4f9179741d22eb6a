"""CodePipeline's Source/AWS/CodeCommit action: a branch's commit as the pipeline's source artifact.

Every read is a CodeCommit call through the call path as the action's role, so the role
needs what AWS documents for the pipeline's service role: `codecommit:GetBranch`,
`codecommit:GetCommit`, and `codecommit:UploadArchive` for the default CODE_ZIP output,
or `codecommit:GetRepository` for a CODEBUILD_CLONE_REF output (the clone URL it names).
A source action changes nothing but its own output artifact, so a repeated first step
after a crash reads and writes again, with no effect twice.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from airlock.core.calls import call
from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import ActionJob, ActionOutcome, ConfigurationProperty

from .operations import api

CODE_ZIP = "CODE_ZIP"
CLONE_REF = "CODEBUILD_CLONE_REF"
CLONE_REF_FILE = ".airlock-clone-ref.json"
_DENIED = ("AccessDenied", "AccessDeniedException")


def iso_date(git_date: str) -> str:
    """A GetCommit date (`<epoch seconds> <+hhmm>`) as AWS's variables give it, in UTC."""
    seconds = git_date.split(" ", 1)[0]
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=int(seconds))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def clone_ref(metadata: Mapping[str, Any], branch: str, commit_id: str, region: str) -> bytes:
    """The CODEBUILD_CLONE_REF artifact: a zip of the one file CodeBuild clones from."""
    document = {
        "cloneUrlHttp": metadata["cloneUrlHttp"],
        "repositoryName": metadata["repositoryName"],
        "branch": branch,
        "commitId": commit_id,
        "accountId": metadata["accountId"],
        "region": region,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(CLONE_REF_FILE, json.dumps(document, indent=2) + "\n")
    return buffer.getvalue()


def revision_url(region: str, repository: str, commit_id: str) -> str:
    """Where the console shows the commit, as AWS links a CodeCommit source revision."""
    return (
        f"https://{region}.console.aws.amazon.com/codesuite/codecommit/repositories/"
        f"{repository}/commit/{commit_id}?region={region}"
    )


class _Failure(Exception):
    """A step ends Failed with this message."""


class CodeCommitSource:
    """Source/AWS/CodeCommit, version 1."""

    category = "Source"
    owner = "AWS"
    provider = "CodeCommit"
    version = "1"
    configuration: tuple[ConfigurationProperty, ...] = (
        ConfigurationProperty("RepositoryName", required=True),
        ConfigurationProperty("BranchName", required=True),
        ConfigurationProperty("PollForSourceChanges"),
        ConfigurationProperty("OutputArtifactFormat"),
    )
    input_artifacts: tuple[int, int] = (0, 0)
    output_artifacts: tuple[int, int] = (1, 1)

    def check(self, configuration: Mapping[str, str]) -> str | None:
        """OutputArtifactFormat and PollForSourceChanges take the values AWS allows."""
        fmt = configuration.get("OutputArtifactFormat")
        if fmt is not None and fmt not in (CODE_ZIP, CLONE_REF):
            return (
                f"Invalid action configuration: OutputArtifactFormat {fmt!r} is not valid; "
                f"use {CODE_ZIP} or {CLONE_REF}"
            )
        poll = configuration.get("PollForSourceChanges")
        if poll is not None and poll.lower() not in ("true", "false"):
            return (
                f"Invalid action configuration: PollForSourceChanges {poll!r} is not valid; "
                "use true or false"
            )
        return None

    def step(self, platform: Any, job: ActionJob) -> ActionOutcome:
        """Resolve the commit, write the output artifact, and give the commit's variables."""
        problem = self.check(job.configuration)
        if problem is not None:
            return ActionOutcome.failed(problem, "ConfigurationError")
        repository = job.configuration["RepositoryName"]
        branch = job.configuration["BranchName"]
        fmt = job.configuration.get("OutputArtifactFormat") or CODE_ZIP
        try:
            commit_id = job.source_revision or self._head(platform, job, repository, branch)
            commit = self._call(platform, job, "GetCommit", repository, commitId=commit_id)[
                "commit"
            ]
            if fmt == CODE_ZIP:
                data = self._call(platform, job, "UploadArchive", repository, commitId=commit_id)[
                    "archive"
                ]
            else:
                metadata = self._call(platform, job, "GetRepository", repository)
                data = clone_ref(metadata["repositoryMetadata"], branch, commit_id, job.region)
            self._write(job, data)
        except _Failure as failure:
            return ActionOutcome.failed(str(failure))
        message = str(commit["message"]).rstrip("\n")
        variables = {
            "CommitId": commit_id,
            "CommitMessage": message,
            "AuthorDate": iso_date(commit["author"]["date"]),
            "CommitterDate": iso_date(commit["committer"]["date"]),
            "BranchName": branch,
            "RepositoryName": repository,
        }
        return ActionOutcome(
            "Succeeded",
            summary=message,
            output_variables=variables,
            source_revision={
                "revisionId": commit_id,
                "revisionSummary": message,
                "revisionUrl": revision_url(job.region, repository, commit_id),
            },
        )

    def abandon(self, platform: Any, job: ActionJob) -> None:
        """Nothing runs after a step returns: there is nothing to stop."""

    def _head(self, platform: Any, job: ActionJob, repository: str, branch: str) -> str:
        branch_info = self._call(platform, job, "GetBranch", repository, branchName=branch)
        return str(branch_info["branch"]["commitId"])

    def _call(
        self, platform: Any, job: ActionJob, operation: str, repository: str, **params: Any
    ) -> dict[str, Any]:
        try:
            return call(
                platform,
                job.ctx,
                "codecommit",
                operation,
                {"repositoryName": repository, **params},
            )
        except ServiceError as error:
            if error.code in _DENIED:
                # CodePipeline's wording for a role that may not read the repository.
                raise _Failure(
                    "The service role or action role doesn't have the permissions required to "
                    f"access the AWS CodeCommit repository named {repository}. Update the IAM "
                    f"role permissions, and then try again. Error: {error.message}"
                ) from error
            raise _Failure(f"{error.code}: {error.message}") from error

    def _write(self, job: ActionJob, data: bytes) -> None:
        output = job.outputs[0]
        try:
            job.write_artifact(output.name, data)
        except ServiceError as error:
            raise _Failure(
                f"Could not write the output artifact {output.name} to "
                f"s3://{output.bucket}/{output.key}: {error.code}: {error.message}"
            ) from error


api.pipeline_action(CodeCommitSource())
