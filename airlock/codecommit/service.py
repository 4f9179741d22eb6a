"""CodeCommit: repositories, branches, commits made through the API, and tags.

Metadata and refs are rows; objects are in the repository's bare directory (see
`storage.py` for what lives where, and `refs.py` for how a branch moves).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dulwich.refs import Ref, check_ref_format
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from airlock.core.api import Output

from . import errors
from .commits import (
    Identity,
    Plan,
    check_parent_format,
    make_commit,
    message_bytes,
)
from .models import GitRef, Repository, RepositoryTag
from .refs import (
    RefUpdate,
    apply_ref_updates,
    create_after_commit,
    lock_repository,
    mirror_after_commit,
    ref_targets,
    remove_after_commit,
    repo_path,
    repository_arn,
)
from .storage import BRANCH_PREFIX, TAG_PREFIX, GitObjects, is_hex_id, read_objects, write_objects

_REPOSITORY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
MAX_TAGS = 50
MAX_BATCH_NAMES = 100


def check_repository_name(name: str) -> None:
    """InvalidRepositoryNameException unless `name` follows CodeCommit's naming rules."""
    if not _REPOSITORY_NAME.fullmatch(name) or name in (".", "..") or name.lower().endswith(".git"):
        raise errors.invalid_repository_name()


def check_branch_name(name: str) -> None:
    """InvalidBranchNameException unless `name` is a branch name git accepts."""
    try:
        ref = (BRANCH_PREFIX + name).encode()
    except UnicodeEncodeError:
        ref = b""
    if not name or name == "HEAD" or name.startswith("-") or not check_ref_format(Ref(ref)):
        raise errors.InvalidBranchName(
            f"The specified reference name {name!r} is not valid. A branch name cannot contain "
            "spaces, control characters, '..', '~', '^', ':', '?', '*', '[', '\\' or '@{', "
            "begin or end with '/' or '.', or end with '.lock'."
        )


def check_tags(tags: dict[str, str]) -> None:
    """InvalidSystemTagUsageException for a key CodeCommit keeps for AWS."""
    for key in tags:
        if key.lower().startswith("aws:"):
            raise errors.InvalidSystemTagUsage(
                f"The specified tag {key!r} is not valid. Key names cannot be prefixed with aws:."
            )


def branch_does_not_exist(repository: Repository, branch: str) -> errors.CodeCommitError:
    """`BranchDoesNotExistException` naming the branch and repository."""
    return errors.BranchDoesNotExist(
        f"The branch {branch} does not exist in the repository {repository.name}."
    )


class CodeCommitService:
    """Repositories of every account, for callers in one transaction."""

    def __init__(self, platform: Any, session: Session) -> None:
        self.platform = platform
        self.session = session
        self.clock = platform.clock
        self.state_dir: Path = platform.settings.state_dir

    # Repositories ------------------------------------------------------------------

    def find(self, account: str, region: str, name: str) -> Repository | None:
        """A repository by name, or None."""
        return self.session.scalars(
            select(Repository).where(
                Repository.account_id == account,
                Repository.region == region,
                Repository.name == name,
            )
        ).first()

    def repository(self, account: str, region: str, name: str) -> Repository:
        """A repository by name; RepositoryDoesNotExistException if there is none."""
        check_repository_name(name)
        found = self.find(account, region, name)
        if found is None:
            raise errors.repository_does_not_exist(name)
        return found

    def by_arn(self, account: str, region: str, arn: str) -> Repository:
        """The repository an ARN names (only the caller's account and region hold any)."""
        parts = arn.split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "codecommit" or not parts[5]:
            raise errors.InvalidResourceArn(
                f"The value for the resource ARN {arn!r} is not valid. A repository's ARN is "
                "arn:aws:codecommit:REGION:ACCOUNT:NAME."
            )
        if parts[3] != region or parts[4] != account:
            raise errors.repository_does_not_exist(parts[5])
        return self.repository(account, region, parts[5])

    def create(
        self,
        account: str,
        region: str,
        name: str,
        description: str | None,
        tags: dict[str, str],
        kms_key_id: str | None,
    ) -> Repository:
        """A new, empty repository; its directory is made once the row commits."""
        check_repository_name(name)
        check_tags(tags)
        if len(tags) > MAX_TAGS:
            raise errors.TooManyTags(
                f"The maximum number of tags for a CodeCommit resource ({MAX_TAGS}) has been "
                "exceeded."
            )
        if self.find(account, region, name) is not None:
            raise errors.RepositoryNameExists(f"Repository named {name} already exists")
        now = self.clock.now()
        repository = Repository(
            repository_id=str(uuid.uuid4()),
            account_id=account,
            region=region,
            name=name,
            description=description,
            kms_key_id=kms_key_id,
            created_at=now,
            modified_at=now,
            refs_version=0,
        )
        self.session.add(repository)
        self.session.flush()
        for key, value in tags.items():
            self.session.add(RepositoryTag(repository_pk=repository.id, key=key, value=value))
        create_after_commit(self.session, self.state_dir, repository)
        return repository

    def repositories(self, account: str, region: str, sort_by: str, order: str) -> list[Repository]:
        """The account's repositories in the region, sorted as ListRepositories sorts them."""
        key: Any = Repository.modified_at if sort_by == "lastModifiedDate" else Repository.name
        key = key.desc() if order == "descending" else key
        query = select(Repository).where(
            Repository.account_id == account, Repository.region == region
        )
        return list(self.session.scalars(query.order_by(key, Repository.id)))

    def delete(self, repository: Repository) -> str:
        """Delete a repository; its directory goes once the deletion commits."""
        repository = lock_repository(self.session, repository)
        for model in (GitRef, RepositoryTag):
            self.session.execute(delete(model).where(model.repository_pk == repository.id))
        self.session.delete(repository)
        self.session.flush()
        remove_after_commit(self.session, self.state_dir, repository)
        return repository.repository_id

    def rename(self, repository: Repository, new_name: str) -> None:
        """UpdateRepositoryName: the directory is named by id, so nothing on disk moves."""
        check_repository_name(new_name)
        if new_name == repository.name:
            return
        if self.find(repository.account_id, repository.region, new_name) is not None:
            raise errors.RepositoryNameExists(f"Repository named {new_name} already exists")
        repository.name = new_name
        repository.modified_at = self.clock.now()
        self.session.flush()

    def describe(self, repository: Repository, description: str | None) -> None:
        """UpdateRepositoryDescription (none clears it)."""
        repository.description = description
        repository.modified_at = self.clock.now()

    def set_default_branch(self, repository: Repository, branch: str) -> None:
        """UpdateDefaultBranch: the branch must exist; HEAD in the directory follows."""
        check_branch_name(branch)
        repository = lock_repository(self.session, repository)
        if BRANCH_PREFIX + branch not in ref_targets(self.session, repository):
            raise branch_does_not_exist(repository, branch)
        if repository.default_branch != branch:
            repository.default_branch = branch
            repository.modified_at = self.clock.now()
            mirror_after_commit(self.session, self.state_dir, repository)

    def metadata(self, repository: Repository) -> Output:
        """The `RepositoryMetadata` structure."""
        endpoint = self.platform.settings.endpoint_url
        host = urlsplit(endpoint).hostname or "localhost"
        out: Output = {
            "accountId": repository.account_id,
            "repositoryId": repository.repository_id,
            "repositoryName": repository.name,
            "lastModifiedDate": repository.modified_at,
            "creationDate": repository.created_at,
            "cloneUrlHttp": f"{endpoint}/v1/repos/{repository.name}",
            # Shown as AWS shows it, for tools that read it; Airlock serves no SSH.
            "cloneUrlSsh": f"ssh://{host}/v1/repos/{repository.name}",
            "Arn": repository_arn(repository),
        }
        if repository.description is not None:
            out["repositoryDescription"] = repository.description
        if repository.default_branch is not None:
            out["defaultBranch"] = repository.default_branch
        if repository.kms_key_id is not None:
            out["kmsKeyId"] = repository.kms_key_id
        return out

    def path(self, repository: Repository) -> Path:
        """The repository's bare directory."""
        return repo_path(self.state_dir, repository)

    @contextmanager
    def objects(self, repository: Repository) -> Iterator[GitObjects]:
        """The repository's objects, to read."""
        with read_objects(self.path(repository)) as objects:
            yield objects

    def refs(self, repository: Repository) -> dict[str, str]:
        """Every ref of the repository and the object id it names."""
        return ref_targets(self.session, repository)

    # Tags ----------------------------------------------------------------------------

    def tags(self, repository: Repository) -> dict[str, str]:
        """The repository's tags."""
        rows = self.session.scalars(
            select(RepositoryTag).where(RepositoryTag.repository_pk == repository.id)
        )
        return {row.key: row.value for row in rows}

    def tag(self, repository: Repository, tags: dict[str, str]) -> None:
        """Add or overwrite tags."""
        check_tags(tags)
        if len(self.tags(repository).keys() | tags.keys()) > MAX_TAGS:
            raise errors.TooManyTags(
                f"The maximum number of tags for a CodeCommit resource ({MAX_TAGS}) has been "
                "exceeded."
            )
        for key, value in tags.items():
            row = self.session.get(RepositoryTag, (repository.id, key))
            if row is None:
                self.session.add(RepositoryTag(repository_pk=repository.id, key=key, value=value))
            else:
                row.value = value
        self.session.flush()

    def untag(self, repository: Repository, keys: Sequence[str]) -> None:
        """Remove tags (keys it does not have are ignored)."""
        check_tags(dict.fromkeys(keys, ""))
        self.session.execute(
            delete(RepositoryTag).where(
                RepositoryTag.repository_pk == repository.id, RepositoryTag.key.in_(list(keys))
            )
        )

    # Branches ------------------------------------------------------------------------

    def branches(self, repository: Repository) -> list[str]:
        """The repository's branch names, sorted."""
        refs = self.refs(repository)
        return sorted(r[len(BRANCH_PREFIX) :] for r in refs if r.startswith(BRANCH_PREFIX))

    def branch_head(self, repository: Repository, branch: str) -> str:
        """The commit a branch points at; BranchDoesNotExistException if there is no branch."""
        check_branch_name(branch)
        head = self.refs(repository).get(BRANCH_PREFIX + branch)
        if head is None:
            raise branch_does_not_exist(repository, branch)
        return head

    def create_branch(
        self, repository: Repository, branch: str, commit_id: str, caller: str
    ) -> None:
        """CreateBranch: a new branch at an existing commit."""
        check_branch_name(branch)
        if not commit_id:
            raise errors.CommitIdRequired("A commit ID was not specified.")
        if not is_hex_id(commit_id):
            raise errors.InvalidCommitId(f"The specified commit ID {commit_id!r} is not valid.")
        repository = lock_repository(self.session, repository)
        if BRANCH_PREFIX + branch in self.refs(repository):
            raise errors.BranchNameExists(
                f"Cannot create the branch {branch} because a branch with that name already "
                "exists in the repository. Branch names must be unique."
            )
        with self.objects(repository) as objects:
            if objects.commit(commit_id) is None:
                raise errors.CommitDoesNotExist(
                    f"The specified commit {commit_id} does not exist in the repository "
                    f"{repository.name}."
                )
        update = RefUpdate(BRANCH_PREFIX + branch, None, commit_id.lower())
        self._move(repository, update, caller, errors.InvalidBranchName)

    def delete_branch(
        self, repository: Repository, branch: str, caller: str
    ) -> tuple[str, str] | None:
        """DeleteBranch: the deleted branch and its commit, or None if there was no branch."""
        check_branch_name(branch)
        repository = lock_repository(self.session, repository)
        if branch == repository.default_branch:
            raise errors.DefaultBranchCannotBeDeleted(
                f"The branch {branch} is the default branch for the repository, and cannot be "
                "deleted. To delete this branch, you must first set another branch as the "
                "default branch."
            )
        head = self.refs(repository).get(BRANCH_PREFIX + branch)
        if head is None:
            return None
        self._move(repository, RefUpdate(BRANCH_PREFIX + branch, head, None), caller, None)
        return branch, head

    def _move(
        self,
        repository: Repository,
        update: RefUpdate,
        caller: str,
        refusal: Callable[[str], errors.CodeCommitError] | None,
    ) -> None:
        [outcome] = apply_ref_updates(
            self.session, self.clock, self.state_dir, repository, [update], caller_arn=caller
        )
        if outcome.refused is not None:
            cls = refusal or errors.ParentCommitIdOutdated
            raise cls(f"The reference {update.ref} was not changed: {outcome.refused}.")

    # Commits -------------------------------------------------------------------------

    def commit_on_branch(
        self,
        repository: Repository,
        branch: str,
        parent: str | None,
        build: Callable[[GitObjects, str | None], Plan],
        author: Identity,
        message: str | None,
        caller: str,
    ) -> tuple[str, Plan]:
        """Make a commit on `branch` from its head and move the branch; the commit's id.

        `parent` must be the branch's head (CodeCommit's optimistic lock), except in an
        empty repository, where the branch is created.
        """
        check_branch_name(branch)
        text = message_bytes(message)
        repository = lock_repository(self.session, repository)
        refs = self.refs(repository)
        with write_objects(self.path(repository)) as objects:
            head, base = self._parent(repository, refs, branch, parent, objects)
            base_commit = objects.commit(base) if base else None
            plan = build(objects, base_commit.tree.decode() if base_commit else None)
            commit = make_commit(plan.tree, base, author, text, self.clock.now())
            objects.add([*plan.objects, commit])
        update = RefUpdate(BRANCH_PREFIX + branch, head, commit.id.decode())
        self._move(repository, update, caller, None)
        return commit.id.decode(), plan

    def _parent(
        self,
        repository: Repository,
        refs: dict[str, str],
        branch: str,
        parent: str | None,
        objects: GitObjects,
    ) -> tuple[str | None, str | None]:
        """(the branch's head now, the new commit's parent), after CodeCommit's checks."""
        head = refs.get(BRANCH_PREFIX + branch)
        if head is None:
            if TAG_PREFIX + branch in refs:
                raise errors.BranchNameIsTagName(
                    f"The specified branch name {branch} is not valid because it is a tag name. "
                    "Enter the name of a branch in the repository. For a list of valid branch "
                    "names, use ListBranches."
                )
            if any(r.startswith(BRANCH_PREFIX) for r in refs):
                raise branch_does_not_exist(repository, branch)
        elif not parent:
            raise errors.ParentCommitIdRequired(
                "A parent commit ID is required. To view the full commit ID of a branch in a "
                "repository, use GetBranch or a Git command (for example, git pull or git log)."
            )
        if not parent:
            return head, head
        check_parent_format(parent)
        if objects.commit(parent) is None:
            raise errors.ParentCommitDoesNotExist(
                f"The parent commit ID {parent} is not valid because it does not exist. The "
                "specified parent commit ID does not exist in the specified branch of the "
                "repository."
            )
        if head is not None and parent.lower() != head:
            raise errors.ParentCommitIdOutdated(
                f"The file could not be added because the provided parent commit ID {parent} is "
                f"not the current tip of the branch {branch} ({head}). To view the full commit "
                "ID of the current head of the branch, use GetBranch."
            )
        return head, parent.lower()
