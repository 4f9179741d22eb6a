"""CloudFormation resource type of CodeCommit: `AWS::CodeCommit::Repository`.

As CloudFormation documents it: `Ref` is the repository id; `Fn::GetAtt` gives Arn,
CloneUrlHttp, CloneUrlSsh and Name; every property updates in place (a new
RepositoryName renames the repository). `Code` is used only when the repository is
created: the S3 zip, read as the stack's principal (`s3:GetObject`), becomes the
first commit on `BranchName` (default `main`). Its objects are written to the new
repository's directory and the branch is then made with CreateBranch, also as the
stack's principal, so a crash in between leaves only unreachable objects, and the
next attempt starts over.
"""

from __future__ import annotations

import io
import stat
import zipfile
from typing import Any

from dulwich.objects import Blob

from airlock.core.errors import ServiceError
from airlock.core.resources import (
    BaseResource,
    Properties,
    ProviderContext,
    ResourceFailed,
    ResourceSpec,
    gone,
)

from .commits import Identity, identity, make_commit
from .errors import CodeCommitError
from .operations import api
from .storage import (
    MODE_EXECUTABLE,
    MODE_FILE,
    MODE_SYMLINK,
    repository_path,
    write_objects,
)
from .trees import TreeEditor, normalize_path

DEFAULT_BRANCH = "main"
# A bound on the zip read into memory (CloudFormation's own limit is lower).
MAX_CODE_BYTES = 64 * 1024 * 1024
INITIAL_MESSAGE = "Initial commit by AWS CloudFormation"


def _tag_map(pc: ProviderContext, props: Properties | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in pc.resource_tags(props or {})}


def _zip_files(data: bytes, where: str) -> list[tuple[str, int, bytes]]:
    """(path, git mode, content) of every file in a zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ResourceFailed(f"The Code object {where} is not a ZIP file: {error}.") from error
    files = []
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            try:
                path = normalize_path(info.filename.replace("\\", "/"))
            except CodeCommitError as error:
                raise ResourceFailed(
                    f"The Code object {where} holds a file that cannot be a repository path: "
                    f"{error.message}"
                ) from error
            unix = info.external_attr >> 16
            if stat.S_ISLNK(unix):
                mode = MODE_SYMLINK
            elif unix & 0o111:
                mode = MODE_EXECUTABLE
            else:
                mode = MODE_FILE
            files.append((path, mode, archive.read(info)))
    if not files:
        raise ResourceFailed(f"The Code object {where} holds no files to commit.")
    return files


def _refuse_triggers(props: Properties) -> None:
    if props.get("Triggers"):
        raise ResourceFailed(
            "Airlock does not implement CodeCommit repository triggers yet; remove Triggers "
            "(an EventBridge rule on CodeCommit Repository State Change does the same)."
        )


class Repository(BaseResource):
    """A CodeCommit repository; its physical id is the repository id."""

    type_name = "AWS::CodeCommit::Repository"
    spec = ResourceSpec(
        properties=frozenset(
            {"RepositoryName", "RepositoryDescription", "Tags", "Code", "KmsKeyId", "Triggers"}
        ),
        required=frozenset({"RepositoryName"}),
        attributes=frozenset({"Arn", "CloneUrlHttp", "CloneUrlSsh", "Name"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        _refuse_triggers(props)
        request: dict[str, Any] = {"repositoryName": str(props["RepositoryName"])}
        if props.get("RepositoryDescription") is not None:
            request["repositoryDescription"] = str(props["RepositoryDescription"])
        if props.get("KmsKeyId"):
            request["kmsKeyId"] = str(props["KmsKeyId"])
        tags = _tag_map(pc, props)
        if tags:
            request["tags"] = tags
        out = pc.call(
            "codecommit",
            "CreateRepository",
            request,
            creates=lambda output: str(output["repositoryMetadata"]["repositoryId"]),
        )
        return str(out["repositoryMetadata"]["repositoryId"])

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        _refuse_triggers(props)  # before anything changes
        name = str(props["RepositoryName"])
        if old is None:
            if props.get("Code"):
                self._seed(pc, physical_id, name, props["Code"])
            return
        old_name = str(old["RepositoryName"])
        if old_name != name and self._metadata(pc, name, physical_id) is None:
            pc.call("codecommit", "UpdateRepositoryName", {"oldName": old_name, "newName": name})
        if props.get("RepositoryDescription") != old.get("RepositoryDescription"):
            request: dict[str, Any] = {"repositoryName": name}
            if props.get("RepositoryDescription") is not None:
                request["repositoryDescription"] = str(props["RepositoryDescription"])
            pc.call("codecommit", "UpdateRepositoryDescription", request)
        wanted, had = _tag_map(pc, props), _tag_map(pc, old)
        if wanted == had:
            return
        arn = self._arn(pc, name)
        dropped = sorted(set(had) - set(wanted))
        if dropped:
            pc.call("codecommit", "UntagResource", {"resourceArn": arn, "tagKeys": dropped})
        if wanted:
            pc.call("codecommit", "TagResource", {"resourceArn": arn, "tags": wanted})

    def _arn(self, pc: ProviderContext, name: str) -> str:
        return f"arn:aws:codecommit:{pc.region}:{pc.account_id}:{name}"

    def _metadata(self, pc: ProviderContext, name: str, physical_id: str) -> dict[str, Any] | None:
        """The repository's metadata if `name` is this resource's repository."""
        try:
            out = pc.call("codecommit", "GetRepository", {"repositoryName": name})
        except ServiceError as error:
            if gone(error):
                return None
            raise
        metadata: dict[str, Any] = out["repositoryMetadata"]
        return metadata if metadata["repositoryId"] == physical_id else None

    def _seed(self, pc: ProviderContext, physical_id: str, name: str, code: Any) -> None:
        """The zip's files as the first commit on the branch, unless a branch exists already."""
        listed = pc.call("codecommit", "ListBranches", {"repositoryName": name})
        if listed.get("branches"):
            return  # seeded before a crash, or pushed to since
        source = code.get("S3") or {}
        bucket, key = source.get("Bucket"), source.get("Key")
        if not bucket or not key:
            raise ResourceFailed("Code.S3 needs a Bucket and a Key naming the repository's zip.")
        request: dict[str, Any] = {"Bucket": str(bucket), "Key": str(key)}
        if source.get("ObjectVersion"):
            request["VersionId"] = str(source["ObjectVersion"])
        where = f"s3://{bucket}/{key}"
        data = self._read(pc, request, where)
        branch = str(code.get("BranchName") or DEFAULT_BRANCH)
        path = repository_path(
            pc.platform.settings.state_dir, pc.account_id, pc.region, physical_id
        )
        author: Identity = identity("AWS CloudFormation", None, pc.ctx.principal.arn)
        with write_objects(path) as objects:
            editor = TreeEditor(objects, None)
            blobs = []
            for file_path, mode, content in _zip_files(data, where):
                blob = Blob.from_string(content)
                blobs.append(blob)
                editor.put(file_path, mode, blob.id.decode())
            tree = editor.write()
            commit = make_commit(
                tree, None, author, f"{INITIAL_MESSAGE}\n".encode(), pc.platform.clock.now()
            )
            objects.add([*blobs, *editor.made, commit])
        pc.call(
            "codecommit",
            "CreateBranch",
            {"repositoryName": name, "branchName": branch, "commitId": commit.id.decode()},
        )

    def _read(self, pc: ProviderContext, request: dict[str, Any], where: str) -> bytes:
        out = pc.call("s3", "GetObject", request)
        body = out["Body"]
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in body:
                size += len(chunk)
                if size > MAX_CODE_BYTES:
                    raise ResourceFailed(
                        f"The Code object {where} is larger than {MAX_CODE_BYTES} bytes."
                    )
                chunks.append(chunk)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return b"".join(chunks)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        name = str(props["RepositoryName"])
        metadata = self._metadata(pc, name, physical_id)
        if metadata is None:
            raise ResourceFailed(f"The repository {name} ({physical_id}) does not exist.")
        return {
            "Ref": physical_id,
            "Arn": metadata["Arn"],
            "CloneUrlHttp": metadata["cloneUrlHttp"],
            "CloneUrlSsh": metadata["cloneUrlSsh"],
            "Name": metadata["repositoryName"],
        }

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        name = str(props["RepositoryName"])
        if self._metadata(pc, name, physical_id) is None:
            return  # gone, or the name is another repository's now
        pc.call("codecommit", "DeleteRepository", {"repositoryName": name})


api.resource_type(Repository())
