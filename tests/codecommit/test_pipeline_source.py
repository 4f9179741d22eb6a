"""The Source/AWS/CodeCommit pipeline action, stepped as the engine steps it, as a pipeline role."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.codecommit.pipeline_action import CodeCommitSource
from tests.codecommit.test_git_http import Git, clone_url
from tests.pipeline_actions import ActionRun, unzipped
from tests.support import LiveServer, policy_document, service_trust

KEY = "Source/AWS/CodeCommit"
READ_ACTIONS = [
    "codecommit:GetBranch",
    "codecommit:GetCommit",
    "codecommit:GetRepository",
    "codecommit:UploadArchive",
    "codecommit:GetUploadArchiveStatus",
]
FILES = {
    "README.md": b"# demo\n",
    "src/app.py": b"print('hello')\n",
    "src/deep/data.txt": b"deep\n",
}


def pipeline_role(server: LiveServer, actions: list[str], name: str = "pipeline-role") -> str:
    """A role codepipeline.amazonaws.com may assume, allowed `actions` on everything."""
    iam = server.client("iam")
    arn = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=service_trust("codepipeline.amazonaws.com")
    )["Role"]["Arn"]
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy_document(statement))
    return str(arn)


def repository(cc: Any, name: str = "demo") -> str:
    """A repository whose main branch holds FILES and an executable script; the commit id."""
    cc.create_repository(repositoryName=name)
    out = cc.create_commit(
        repositoryName=name,
        branchName="main",
        putFiles=[
            *({"filePath": k, "fileContent": v} for k, v in FILES.items()),
            {"filePath": "run.sh", "fileContent": b"#!/bin/sh\n", "fileMode": "EXECUTABLE"},
        ],
        commitMessage="first version",
        authorName="Ada",
        email="ada@example.com",
    )
    return str(out["commitId"])


def source_run(server: LiveServer, role: str, **configuration: str) -> ActionRun:
    """A CodeCommit source action with one output artifact, in a fresh artifact bucket."""
    server.client("s3").create_bucket(Bucket="artifacts")
    return ActionRun(
        server,
        KEY,
        {"RepositoryName": "demo", "BranchName": "main", **configuration},
        role,
        "artifacts",
        server.first_account_id(),
        outputs=("SourceArtifact",),
    )


def test_code_zip_is_the_branch_tree_with_the_commit_variables(server: LiveServer, cc: Any) -> None:
    head = repository(cc)
    run = source_run(server, pipeline_role(server, [*READ_ACTIONS, "s3:*"]))
    outcome = run.run()
    assert outcome.status == "Succeeded", outcome.error_message
    data = run.read("SourceArtifact")
    assert unzipped(data) == {**FILES, "run.sh": b"#!/bin/sh\n"}
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert archive.getinfo("run.sh").external_attr >> 16 == 0o100755
        assert archive.getinfo("README.md").external_attr >> 16 == 0o100644
    commit = cc.get_commit(repositoryName="demo", commitId=head)["commit"]
    variables = outcome.output_variables
    assert variables["CommitId"] == head
    assert variables["CommitMessage"] == "first version"
    assert variables["BranchName"] == "main"
    assert variables["RepositoryName"] == "demo"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", variables["AuthorDate"])
    assert variables["AuthorDate"] == variables["CommitterDate"]
    assert commit["author"]["date"].startswith(str(_epoch(variables["AuthorDate"])))
    region = server.settings.region
    assert outcome.source_revision == {
        "revisionId": head,
        "revisionSummary": "first version",
        "revisionUrl": (
            f"https://{region}.console.aws.amazon.com/codesuite/codecommit/repositories/demo/"
            f"commit/{head}?region={region}"
        ),
    }
    assert outcome.summary == "first version"


def _epoch(iso: str) -> int:
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def test_the_started_revision_is_taken_over_the_branch_head(server: LiveServer, cc: Any) -> None:
    first = repository(cc)
    cc.put_file(
        repositoryName="demo",
        branchName="main",
        parentCommitId=first,
        filePath="README.md",
        fileContent=b"# changed\n",
        commitMessage="second",
    )
    run = source_run(server, pipeline_role(server, [*READ_ACTIONS, "s3:*"]))
    run.source_revision = first
    outcome = run.run()
    assert outcome.status == "Succeeded", outcome.error_message
    assert outcome.output_variables["CommitId"] == first
    assert unzipped(run.read("SourceArtifact"))["README.md"] == b"# demo\n"


def test_a_clone_ref_names_the_repository_and_commit(server: LiveServer, cc: Any) -> None:
    head = repository(cc)
    role = pipeline_role(
        server, ["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:GetRepository"]
    )
    run = source_run(server, role, OutputArtifactFormat="CODEBUILD_CLONE_REF")
    outcome = run.run()
    assert outcome.status == "Succeeded", outcome.error_message
    files = unzipped(run.read("SourceArtifact"))
    assert list(files) == [".airlock-clone-ref.json"]
    meta = cc.get_repository(repositoryName="demo")["repositoryMetadata"]
    assert json.loads(files[".airlock-clone-ref.json"]) == {
        "cloneUrlHttp": meta["cloneUrlHttp"],
        "repositoryName": "demo",
        "branch": "main",
        "commitId": head,
        "accountId": server.first_account_id(),
        "region": server.settings.region,
    }
    assert outcome.output_variables["CommitId"] == head


def test_a_missing_branch_fails_the_action(server: LiveServer, cc: Any) -> None:
    repository(cc)
    run = source_run(server, pipeline_role(server, [*READ_ACTIONS, "s3:*"]), BranchName="nope")
    outcome = run.run()
    assert (outcome.status, outcome.error_code) == ("Failed", "JobFailed")
    assert outcome.error_message == (
        "BranchDoesNotExistException: The branch nope does not exist in the repository demo."
    )


def test_a_role_without_upload_archive_is_refused(server: LiveServer, cc: Any) -> None:
    repository(cc)
    role = pipeline_role(server, ["codecommit:GetBranch", "codecommit:GetCommit", "s3:*"])
    run = source_run(server, role)
    outcome = run.run()
    assert (outcome.status, outcome.error_code) == ("Failed", "JobFailed")
    account, region = server.first_account_id(), server.settings.region
    session = f"arn:aws:sts::{account}:assumed-role/pipeline-role/test-{run.job_id[:8]}"
    assert outcome.error_message == (
        "The service role or action role doesn't have the permissions required to access the "
        "AWS CodeCommit repository named demo. Update the IAM role permissions, and then try "
        f"again. Error: User: {session} is not authorized to perform: codecommit:UploadArchive "
        f"on resource: arn:aws:codecommit:{region}:{account}:demo because no identity-based "
        "policy allows the codecommit:UploadArchive action"
    )
    trail = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UploadArchive"}]
    )["Events"]
    event = json.loads(trail[0]["CloudTrailEvent"])
    assert (event["errorCode"], event["userIdentity"]["invokedBy"]) == (
        "AccessDeniedException",
        "codepipeline.amazonaws.com",
    )


def test_the_configuration_is_checked() -> None:
    source = CodeCommitSource()
    base = {"RepositoryName": "demo", "BranchName": "main"}
    assert source.check(base) is None
    assert source.check({**base, "OutputArtifactFormat": "CODEBUILD_CLONE_REF"}) is None
    assert source.check({**base, "OutputArtifactFormat": "TAR"}) == (
        "Invalid action configuration: OutputArtifactFormat 'TAR' is not valid; use CODE_ZIP "
        "or CODEBUILD_CLONE_REF"
    )
    assert source.check({**base, "PollForSourceChanges": "maybe"}) == (
        "Invalid action configuration: PollForSourceChanges 'maybe' is not valid; use true or false"
    )


def test_upload_archive_is_not_reachable_from_the_wire(server: LiveServer, cc: Any) -> None:
    repository(cc)

    def retarget(request: Any, **_: Any) -> None:
        # Sent as GetRepository by botocore, which has no UploadArchive; signed as the latter.
        request.headers.replace_header("X-Amz-Target", "CodeCommit_20150413.UploadArchive")

    cc.meta.events.register("before-sign.codecommit.GetRepository", retarget)
    with pytest.raises(ClientError) as caught:
        cc.get_repository(repositoryName="demo")
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "UnknownOperationException",
        "The X-Amz-Target header 'CodeCommit_20150413.UploadArchive' names no operation of "
        "codecommit; expected 'CodeCommit_20150413.<Operation>'.",
    )


def test_code_zip_of_a_git_push_matches_git_archive(
    server: LiveServer, cc: Any, tmp_path: Path
) -> None:
    repository(cc)
    git = Git(server, tmp_path / "dev", server.root_keys(server.first_account_id()))
    work = git.clone(clone_url(cc, "demo"), "demo")
    (work / "lib" / "nested").mkdir(parents=True)
    (work / "lib" / "nested" / "model.bin").write_bytes(bytes(range(256)) * 64)
    (work / "tool.sh").write_text("#!/bin/sh\necho tool\n")
    (work / "tool.sh").chmod(0o755)
    (work / "latest").symlink_to("lib/nested/model.bin")
    (work / "README.md").unlink()
    git.run(work, "add", "-A", check=True)
    git.run(work, "commit", "-m", "pushed with git", check=True)
    git.run(work, "push", "origin", "main", check=True)
    pushed = git.run(work, "rev-parse", "HEAD", check=True).stdout.strip()
    reference = tmp_path / "reference.zip"
    git.run(work, "archive", "--format=zip", "-o", str(reference), "HEAD", check=True)

    run = source_run(server, pipeline_role(server, [*READ_ACTIONS, "s3:*"]))
    outcome = run.run()
    assert outcome.status == "Succeeded", outcome.error_message
    assert outcome.output_variables["CommitId"] == pushed
    assert outcome.output_variables["CommitMessage"] == "pushed with git"

    def entries(data: bytes) -> dict[str, tuple[int, bytes]]:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return {
                info.filename: (info.external_attr >> 16, archive.read(info))
                for info in archive.infolist()
                if not info.filename.endswith("/")
            }

    ours = entries(run.read("SourceArtifact"))
    assert set(ours) == {
        "lib/nested/model.bin",
        "tool.sh",
        "latest",
        "src/app.py",
        "src/deep/data.txt",
        "run.sh",
    }
    theirs = entries(reference.read_bytes())
    assert {k: v[1] for k, v in ours.items()} == {k: v[1] for k, v in theirs.items()}
    # git archive gives a mode to executables and links only; ours gives every file its mode.
    assert {k: v[0] for k, v in theirs.items() if v[0]} == {
        "tool.sh": 0o100755,
        "run.sh": 0o100755,
        "latest": 0o120777,
    }
    assert {k: ours[k][0] for k in ("tool.sh", "run.sh", "latest")} == {
        "tool.sh": 0o100755,
        "run.sh": 0o100755,
        "latest": 0o120777,
    }
    assert ours["src/app.py"][0] == 0o100644
