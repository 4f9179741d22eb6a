"""CodeCommit operations (JSON 1.1, `CodeCommit_20150413`).

Each is authorized as `codecommit:<Operation>` on `arn:aws:codecommit:REGION:ACCOUNT:NAME`;
the calls that move a branch also set `codecommit:References` (`refs/heads/<branch>`),
so a policy can deny changing one branch.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.paging import paginate

from . import browse, errors
from .commits import identity, plan_commit, plan_delete_file, plan_put_file
from .errors import validation_error
from .recovery import refresh
from .service import MAX_BATCH_NAMES, CodeCommitService, check_repository_name
from .storage import BRANCH_PREFIX, is_hex_id
from .trees import normalize_path

# Page sizes of the list operations (AWS's; the input names none).
REPOSITORIES_PAGE = 1000
BRANCHES_PAGE = 100
DIFFERENCES_PAGE = 100


def _factory(platform: Any, session: Session) -> CodeCommitService:
    return CodeCommitService(platform, session)


api: ServiceApi[CodeCommitService] = ServiceApi(
    "codecommit", _factory, validation_error=validation_error, on_start=refresh
)


def _arn(ctx: RequestContext, name: str) -> str:
    return f"arn:aws:codecommit:{ctx.region}:{ctx.account_id}:{name}"


def _tag_keys(tags: dict[str, Any]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {f"aws:RequestTag/{k}": [str(v)] for k, v in tags.items()}
    if tags:
        keys["aws:TagKeys"] = list(tags)
    return keys


def _repository(member: str = "repositoryName") -> Any:
    def find(svc: CodeCommitService, ctx: RequestContext, p: Params) -> list[Resource]:
        context = _tag_keys(p.get("tags") or {})
        branch = p.get("branchName")
        if isinstance(branch, str) and branch:
            context["codecommit:References"] = [BRANCH_PREFIX + branch]
        return [Resource(_arn(ctx, str(p.get(member) or "")), ctx.account_id, context=context)]

    return find


def _by_arn(svc: CodeCommitService, ctx: RequestContext, p: Params) -> list[Resource]:
    arn = str(p.get("resourceArn") or "")
    parts = arn.split(":")
    owner = parts[4] if len(parts) > 4 and parts[4] else ctx.account_id
    context = _tag_keys(p.get("tags") or {})
    if p.get("tagKeys"):
        context["aws:TagKeys"] = [str(k) for k in p["tagKeys"]]
    return [Resource(arn or "*", owner, context=context)]


def _named_repositories(svc: CodeCommitService, ctx: RequestContext, p: Params) -> list[Resource]:
    names = p.get("repositoryNames") or []
    return [Resource(_arn(ctx, str(n)), ctx.account_id) for n in names] or [Resource("*")]


def _bad_token() -> errors.CodeCommitError:
    return errors.InvalidContinuationToken("The specified continuation token is not valid.")


def _get(svc: CodeCommitService, ctx: RequestContext, name: Any) -> Any:
    return svc.repository(ctx.account_id, ctx.region, str(name))


# Repositories ----------------------------------------------------------------------------


@api.operation("codecommit:CreateRepository", resources=_repository())
def create_repository(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """A new, empty repository."""
    repository = svc.create(
        ctx.account_id,
        ctx.region,
        p["repositoryName"],
        p.get("repositoryDescription"),
        dict(p.get("tags") or {}),
        p.get("kmsKeyId"),
    )
    return {"repositoryMetadata": svc.metadata(repository)}


@api.operation("codecommit:GetRepository", resources=_repository())
def get_repository(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """A repository's metadata."""
    return {"repositoryMetadata": svc.metadata(_get(svc, ctx, p["repositoryName"]))}


@api.operation("codecommit:BatchGetRepositories", resources=_named_repositories, readonly=True)
def batch_get_repositories(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Metadata of several repositories; the missing ones are listed as not found."""
    names = [str(n) for n in p["repositoryNames"]]
    if not names:
        raise errors.RepositoryNamesRequired(
            "At least one repository name object is required, but was not specified."
        )
    if len(names) > MAX_BATCH_NAMES:
        raise errors.MaximumRepositoryNamesExceeded(
            f"The maximum number of allowed repository names was exceeded ({len(names)} given). "
            f"Currently, this number is {MAX_BATCH_NAMES}."
        )
    for name in names:
        check_repository_name(name)
    found, missing, failures = [], [], []
    for name in names:
        repository = svc.find(ctx.account_id, ctx.region, name)
        if repository is None:
            missing.append(name)
            failures.append(
                {
                    "repositoryName": name,
                    "errorCode": "RepositoryDoesNotExistException",
                    "errorMessage": f"{name} does not exist",
                }
            )
        else:
            found.append(svc.metadata(repository))
    return {"repositories": found, "repositoriesNotFound": missing, "errors": failures}


@api.operation("codecommit:ListRepositories")
def list_repositories(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Names and ids, by name or by last modification, a thousand to a page."""
    rows = svc.repositories(
        ctx.account_id,
        ctx.region,
        p.get("sortBy") or "repositoryName",
        p.get("order") or "ascending",
    )
    pairs = [{"repositoryName": r.name, "repositoryId": r.repository_id} for r in rows]
    page, token = paginate(
        pairs, p, default_max=REPOSITORIES_PAGE, bad_token=_bad_token, token_key="nextToken"
    )
    out: Output = {"repositories": page}
    if token:
        out["nextToken"] = token
    return out


@api.operation("codecommit:DeleteRepository", resources=_repository())
def delete_repository(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Delete a repository; one already gone answers with no id, as in AWS."""
    name = str(p["repositoryName"])
    check_repository_name(name)
    repository = svc.find(ctx.account_id, ctx.region, name)
    if repository is None:
        return {}
    return {"repositoryId": svc.delete(repository)}


@api.operation("codecommit:UpdateRepositoryName", resources=_repository("oldName"))
def update_repository_name(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Rename a repository (its ARN and clone URLs change with it)."""
    svc.rename(_get(svc, ctx, p["oldName"]), str(p["newName"]))
    return {}


@api.operation("codecommit:UpdateRepositoryDescription", resources=_repository())
def update_repository_description(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Set or clear a repository's description."""
    svc.describe(_get(svc, ctx, p["repositoryName"]), p.get("repositoryDescription"))
    return {}


@api.operation("codecommit:UpdateDefaultBranch", resources=_repository())
def update_default_branch(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Make an existing branch the default (what a clone checks out)."""
    svc.set_default_branch(_get(svc, ctx, p["repositoryName"]), str(p["defaultBranchName"]))
    return {}


# Branches --------------------------------------------------------------------------------


@api.operation("codecommit:CreateBranch", resources=_repository())
def create_branch(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """A branch at an existing commit."""
    repository = _get(svc, ctx, p["repositoryName"])
    svc.create_branch(repository, str(p["branchName"]), str(p["commitId"]), ctx.principal.arn)
    return {}


@api.operation(
    "codecommit:GetBranch", resources=_repository(), required=("repositoryName", "branchName")
)
def get_branch(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """A branch and the commit it points at."""
    repository = _get(svc, ctx, p["repositoryName"])
    branch = str(p["branchName"])
    return {"branch": {"branchName": branch, "commitId": svc.branch_head(repository, branch)}}


@api.operation("codecommit:ListBranches", resources=_repository())
def list_branches(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Branch names, a hundred to a page."""
    names = svc.branches(_get(svc, ctx, p["repositoryName"]))
    page, token = paginate(
        names, p, default_max=BRANCHES_PAGE, bad_token=_bad_token, token_key="nextToken"
    )
    out: Output = {"branches": page}
    if token:
        out["nextToken"] = token
    return out


@api.operation("codecommit:DeleteBranch", resources=_repository())
def delete_branch(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Delete a branch (not the default one); one not there answers with nothing."""
    repository = _get(svc, ctx, p["repositoryName"])
    deleted = svc.delete_branch(repository, str(p["branchName"]), ctx.principal.arn)
    if deleted is None:
        return {}
    return {"deletedBranch": {"branchName": deleted[0], "commitId": deleted[1]}}


# Reading ---------------------------------------------------------------------------------


@api.operation("codecommit:GetCommit", resources=_repository())
def get_commit(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """A commit by its full id."""
    repository = _get(svc, ctx, p["repositoryName"])
    commit_id = str(p["commitId"])
    if not commit_id:
        raise errors.CommitIdRequired("A commit ID was not specified.")
    with svc.objects(repository) as objects:
        if not is_hex_id(commit_id):
            raise errors.InvalidCommitId(f"The specified commit ID {commit_id!r} is not valid.")
        commit = objects.commit(commit_id)
        if commit is None:
            raise errors.CommitIdDoesNotExist(
                f"The specified commit ID {commit_id} does not exist in the repository "
                f"{repository.name}."
            )
        return {"commit": browse.commit_out(commit)}


def _specified(svc: CodeCommitService, repository: Any, objects: Any, specifier: Any) -> Any:
    return browse.resolve_commit(
        objects, svc.refs(repository), repository.default_branch, specifier or None
    )


@api.operation("codecommit:GetFile", resources=_repository())
def get_file(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """A file's content at a commit (the default branch's head unless one is named)."""
    repository = _get(svc, ctx, p["repositoryName"])
    with svc.objects(repository) as objects:
        commit = _specified(svc, repository, objects, p.get("commitSpecifier"))
        return browse.get_file(objects, commit, str(p["filePath"]))


@api.operation("codecommit:GetFolder", resources=_repository())
def get_folder(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """A folder's files, subfolders, symbolic links and submodules at a commit."""
    repository = _get(svc, ctx, p["repositoryName"])
    with svc.objects(repository) as objects:
        commit = _specified(svc, repository, objects, p.get("commitSpecifier"))
        return browse.get_folder(objects, commit, str(p["folderPath"]))


@api.operation("codecommit:GetBlob", resources=_repository())
def get_blob(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """A blob's content by id."""
    repository = _get(svc, ctx, p["repositoryName"])
    blob_id = str(p["blobId"])
    if not blob_id:
        raise errors.BlobIdRequired("A blob ID is required, but was not specified.")
    with svc.objects(repository) as objects:
        return {"content": browse.get_blob(objects, blob_id)}


@api.operation("codecommit:GetDifferences", resources=_repository())
def get_differences(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """What changed between two commits (or everything in one), optionally under a path."""
    repository = _get(svc, ctx, p["repositoryName"])
    limit = p.get("MaxResults")
    if limit is not None and limit < 1:
        raise errors.InvalidMaxResults(
            f"The specified number of maximum results ({limit}) is not valid: give 1 or more."
        )
    after_specifier = str(p["afterCommitSpecifier"])
    if not after_specifier:
        raise errors.CommitRequired("A commit was not specified.")
    with svc.objects(repository) as objects:
        after = _specified(svc, repository, objects, after_specifier)
        before_specifier = p.get("beforeCommitSpecifier")
        before = (
            _specified(svc, repository, objects, before_specifier) if before_specifier else None
        )
        found = browse.differences(objects, before, after, p.get("beforePath"), p.get("afterPath"))
    page, token = paginate(found, p, default_max=DIFFERENCES_PAGE, bad_token=_bad_token)
    out: Output = {"differences": page}
    if token:
        out["NextToken"] = token
    return out


# Writing ---------------------------------------------------------------------------------


@api.operation("codecommit:PutFile", resources=_repository())
def put_file(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Add or replace one file in a commit on a branch."""
    repository = _get(svc, ctx, p["repositoryName"])
    path = normalize_path(str(p["filePath"]))
    author = identity(p.get("name"), p.get("email"), ctx.principal.arn)
    blob: list[str] = []

    def build(objects: Any, parent_tree: str | None) -> Any:
        plan, blob_id = plan_put_file(
            objects, parent_tree, path, bytes(p["fileContent"]), p.get("fileMode")
        )
        blob.append(blob_id)
        return plan

    commit_id, plan = svc.commit_on_branch(
        repository,
        str(p["branchName"]),
        p.get("parentCommitId"),
        build,
        author,
        p.get("commitMessage"),
        ctx.principal.arn,
    )
    return {"commitId": commit_id, "blobId": blob[0], "treeId": plan.tree}


@api.operation("codecommit:DeleteFile", resources=_repository())
def delete_file(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Remove one file in a commit on a branch."""
    repository = _get(svc, ctx, p["repositoryName"])
    path = normalize_path(str(p["filePath"]))
    author = identity(p.get("name"), p.get("email"), ctx.principal.arn)
    parent = str(p["parentCommitId"])
    if not parent:
        raise errors.ParentCommitIdRequired(
            "A parent commit ID is required. To view the full commit ID of a branch in a "
            "repository, use GetBranch or a Git command (for example, git pull or git log)."
        )
    removed: list[str] = []

    def build(objects: Any, parent_tree: str | None) -> Any:
        if parent_tree is None:
            raise errors.FileDoesNotExist(f"The file {path} does not exist.")
        plan, blob_id = plan_delete_file(
            objects, parent_tree, path, bool(p.get("keepEmptyFolders"))
        )
        removed.append(blob_id)
        return plan

    branch = str(p["branchName"])
    svc.branch_head(repository, branch)  # DeleteFile never creates a branch
    commit_id, plan = svc.commit_on_branch(
        repository, branch, parent, build, author, p.get("commitMessage"), ctx.principal.arn
    )
    return {"commitId": commit_id, "blobId": removed[0], "treeId": plan.tree, "filePath": path}


@api.operation("codecommit:CreateCommit", resources=_repository())
def create_commit(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """One commit of added, changed, moved, deleted and re-moded files on a branch."""
    repository = _get(svc, ctx, p["repositoryName"])
    author = identity(p.get("authorName"), p.get("email"), ctx.principal.arn)

    def build(objects: Any, parent_tree: str | None) -> Any:
        return plan_commit(
            objects,
            parent_tree,
            p.get("putFiles") or [],
            p.get("deleteFiles") or [],
            p.get("setFileModes") or [],
            bool(p.get("keepEmptyFolders")),
        )

    commit_id, plan = svc.commit_on_branch(
        repository,
        str(p["branchName"]),
        p.get("parentCommitId"),
        build,
        author,
        p.get("commitMessage"),
        ctx.principal.arn,
    )
    return {
        "commitId": commit_id,
        "treeId": plan.tree,
        "filesAdded": plan.added,
        "filesUpdated": plan.updated,
        "filesDeleted": plan.deleted,
    }


# Tags ------------------------------------------------------------------------------------


@api.operation("codecommit:TagResource", resources=_by_arn)
def tag_resource(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Add or overwrite a repository's tags."""
    svc.tag(svc.by_arn(ctx.account_id, ctx.region, str(p["resourceArn"])), dict(p["tags"]))
    return {}


@api.operation("codecommit:UntagResource", resources=_by_arn)
def untag_resource(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """Remove tags from a repository."""
    repository = svc.by_arn(ctx.account_id, ctx.region, str(p["resourceArn"]))
    svc.untag(repository, [str(k) for k in p["tagKeys"]])
    return {}


@api.operation("codecommit:ListTagsForResource", resources=_by_arn)
def list_tags_for_resource(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """A repository's tags."""
    repository = svc.by_arn(ctx.account_id, ctx.region, str(p["resourceArn"]))
    return {"tags": svc.tags(repository)}
