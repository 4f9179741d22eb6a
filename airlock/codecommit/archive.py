"""UploadArchive: a commit's tree as a zip, which CodePipeline's source action asks CodeCommit for.

AWS does not publish this operation in CodeCommit's API, but authorizes it: a pipeline's
role needs `codecommit:UploadArchive` (and `codecommit:GetUploadArchiveStatus`, which
follows the archive AWS makes asynchronously) for a CodeCommit source action with the
default CODE_ZIP output. Airlock makes the archive while the call runs, so the one
action IAM decides is UploadArchive, and the call path is the only way in.
"""

from __future__ import annotations

import io
import stat
import time
import zipfile

from dulwich.objects import Commit

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from . import errors
from .operations import _get, _repository, api
from .service import CodeCommitService
from .storage import MODE_SUBMODULE, MODE_SYMLINK, MODE_TREE, GitObjects, is_hex_id

# The earliest time a zip entry can carry.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _entry_time(commit: Commit) -> tuple[int, int, int, int, int, int]:
    """Every entry is dated at the commit's time (UTC), so one commit zips to the same bytes."""
    at = time.gmtime(commit.commit_time)
    stamp = (at.tm_year, at.tm_mon, at.tm_mday, at.tm_hour, at.tm_min, at.tm_sec)
    return max(stamp, _ZIP_EPOCH)


def zip_tree(objects: GitObjects, commit: Commit) -> bytes:
    """The files of the commit's tree in a zip, with their modes; submodules are left out.

    Symbolic links are stored as links (their target as the content, the link mode in the
    entry's external attributes), as `git archive --format=zip` stores them.
    """
    buffer = io.BytesIO()
    when = _entry_time(commit)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        pending = [("", commit.tree.decode())]
        while pending:
            prefix, tree_id = pending.pop()
            for entry in objects.tree(tree_id).items():
                name = prefix + entry.path.decode(errors="surrogateescape")
                mode = entry.mode
                if stat.S_IFMT(mode) == MODE_TREE:
                    pending.append((name + "/", entry.sha.decode()))
                    continue
                if mode == MODE_SUBMODULE:
                    continue
                blob = objects.blob(entry.sha.decode())
                if blob is None:
                    raise LookupError(f"blob {entry.sha.decode()} is missing from the repository")
                info = zipfile.ZipInfo(name, when)
                info.create_system = 3  # unix, so the mode bits below are read
                info.compress_type = zipfile.ZIP_DEFLATED
                kept = MODE_SYMLINK | 0o777 if mode == MODE_SYMLINK else mode
                info.external_attr = (kept & 0xFFFF) << 16
                archive.writestr(info, blob.as_raw_string())
    return buffer.getvalue()


def _member(p: Params, member: str) -> str:
    """A string member of the input (no published shape checks it): empty if missing."""
    value = p.get(member)
    return value if isinstance(value, str) else ""


@api.operation("codecommit:UploadArchive", resources=_repository(), readonly=True, internal=True)
def upload_archive(svc: CodeCommitService, ctx: RequestContext, p: Params) -> Output:
    """The zip of a commit's tree (`archive`), for a pipeline's CODE_ZIP source artifact."""
    name = _member(p, "repositoryName")
    if not name:
        raise errors.RepositoryNameRequired("A repository name is required, but was not specified.")
    repository = _get(svc, ctx, name)
    commit_id = _member(p, "commitId")
    if not commit_id:
        raise errors.CommitIdRequired("A commit ID was not specified.")
    if not is_hex_id(commit_id):
        raise errors.InvalidCommitId(f"The specified commit ID {commit_id!r} is not valid.")
    with svc.objects(repository) as objects:
        commit = objects.commit(commit_id)
        if commit is None:
            raise errors.CommitIdDoesNotExist(
                f"The specified commit ID {commit_id} does not exist in the repository "
                f"{repository.name}."
            )
        return {"commitId": commit.id.decode(), "archive": zip_tree(objects, commit)}
