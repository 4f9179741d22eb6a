"""Git smart HTTP for CodeCommit at `/v1/repos/<name>`: clone, fetch, pull and push.

The protocol is dulwich's (`UploadPackHandler`, `ReceivePackHandler`), run over a
request body read whole and a response built whole, in the thread pool. What is
Airlock's own:

- Authentication is HTTP Basic, as CodeCommit's: the aws CLI's credential helper
  (user name `AKIA…`/`ASIA…[%token]`, a SigV4 password) or an IAM user's HTTPS Git
  credentials. No credentials: 401, so git asks its credential helper.
- Refs come from the database (the truth), never from the files of the directory.
- Authorization is IAM's: `codecommit:GitPull` to fetch, `codecommit:GitPush` to
  push, checked per pushed ref with `codecommit:References`; every decision that
  moves data, and every refusal, is in the audit trail.
- A push's pack goes into the object store first; its ref updates then move as rows
  with their events (`apply_ref_updates`), each ref applied or refused on its own.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import logging
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from dulwich.errors import (
    ApplyDeltaError,
    ChecksumMismatch,
    GitProtocolError,
    HangupException,
    ObjectFormatException,
)
from dulwich.objects import ObjectID
from dulwich.protocol import CAPABILITY_ATOMIC, ReceivableProtocol
from dulwich.refs import SYMREF, DictRefsContainer, Ref
from dulwich.repo import Repo
from dulwich.server import Backend, BackendRepo, ReceivePackHandler, UploadPackHandler
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from airlock.audit import record
from airlock.auth import GitRefusal, verify_git_password
from airlock.core.api import Resource
from airlock.core.calls import caller_context
from airlock.core.context import Principal, RequestContext
from airlock.core.errors import ServiceError
from airlock.iam import authenticate_git_password
from airlock.iam.enforce import authorize
from airlock.identity import IdentityService
from airlock.platform import Platform, ids

from .models import Repository
from .refs import RefUpdate, apply_ref_updates, ref_targets, repo_path, repository_arn
from .service import CodeCommitService
from .storage import BRANCH_PREFIX, ensure_repository

log = logging.getLogger("airlock.codecommit")

REALM = "Airlock CodeCommit"
EVENT_SOURCE = "codecommit.amazonaws.com"
UPLOAD_PACK = "git-upload-pack"
RECEIVE_PACK = "git-receive-pack"
PULL = "codecommit:GitPull"
PUSH = "codecommit:GitPush"
REFERENCES_KEY = "codecommit:References"
ZERO = ObjectID(b"0" * 40)
_PACK_ERRORS = (OSError, ChecksumMismatch, ApplyDeltaError, zlib.error, ObjectFormatException)


@dataclass(frozen=True)
class GitRequest:
    """One smart-HTTP request, as the handler needs it (taken off the event loop)."""

    name: str
    service: str
    advertise: bool
    path: str
    host: str
    authorization: str | None
    source_ip: str
    user_agent: str
    body: bytes = b""


@dataclass(frozen=True)
class GitResponse:
    """The status, content type, body and extra headers of an answer."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class GitHttpError(Exception):
    """A request answered with a plain-text message (git prints it as `remote: …`)."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


@dataclass(frozen=True)
class RepositoryView:
    """A repository and its refs as one read transaction saw them."""

    pk: int
    name: str
    account_id: str
    arn: str
    path: Path
    refs: Mapping[str, str]
    default_branch: str | None


def git_routes(platform: Platform) -> list[Route]:
    """The smart-HTTP routes (with and without a `.git` suffix on the name)."""

    async def endpoint(request: Request) -> Response:
        body = await request.body() if request.method == "POST" else b""
        if request.headers.get("content-encoding", "").lower() == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError):
                return _text(GitHttpError(400, "The gzip request body does not decompress."))
        git_request = _git_request(request, body)
        answer = await run_in_threadpool(serve, platform, git_request)
        response = Response(answer.body, status_code=answer.status, media_type=None)
        response.headers["Content-Type"] = answer.content_type
        response.headers["Cache-Control"] = "no-cache, max-age=0, must-revalidate"
        for name, value in answer.headers:
            response.headers[name] = value
        return response

    base = "/v1/repos/{name}"
    return [
        Route(f"{base}/info/refs", endpoint, methods=["GET"]),
        Route(f"{base}/{UPLOAD_PACK}", endpoint, methods=["POST"]),
        Route(f"{base}/{RECEIVE_PACK}", endpoint, methods=["POST"]),
    ]


def _git_request(request: Request, body: bytes) -> GitRequest:
    url_path = request.url.path
    suffix = url_path.rsplit("/", 1)[-1]
    advertise = url_path.endswith("/info/refs")
    service = request.query_params.get("service", "") if advertise else suffix
    repo_url_path = url_path[: -len("/info/refs")] if advertise else url_path[: -len(suffix) - 1]
    name = request.path_params["name"]
    client = request.client
    return GitRequest(
        name=name[: -len(".git")] if name.endswith(".git") else name,
        service=service,
        advertise=advertise,
        path=repo_url_path,
        host=request.headers.get("host", ""),
        authorization=request.headers.get("authorization"),
        source_ip=client.host if client else "",
        user_agent=request.headers.get("user-agent", ""),
        body=body,
    )


def _text(error: GitHttpError) -> Response:
    return Response(
        error.message.rstrip("\n") + "\n",
        status_code=error.status,
        media_type="text/plain",
        headers=dict(error.headers),
    )


def serve(platform: Platform, request: GitRequest) -> GitResponse:
    """Answer one smart-HTTP request; never raises."""
    try:
        if request.service not in (UPLOAD_PACK, RECEIVE_PACK):
            raise GitHttpError(
                403,
                "Airlock serves git's smart HTTP protocol only; use git 1.6.6 or later "
                "(info/refs?service=git-upload-pack or git-receive-pack).",
            )
        principal = authenticate(platform, request)
        ctx = request_context(platform, request, principal)
        view = find_repository(platform, ctx, request.name)
        return _run(platform, request, ctx, view)
    except GitHttpError as error:
        return GitResponse(
            error.status, "text/plain", (error.message.rstrip("\n") + "\n").encode(), error.headers
        )
    except (GitProtocolError, HangupException) as error:
        return GitResponse(400, "text/plain", f"git protocol error: {error}\n".encode())
    except Exception:
        request_id = ids.request_id()
        log.exception("git smart HTTP failed (request %s)", request_id)
        message = f"Airlock failed to serve git; the server log has the details ({request_id}).\n"
        return GitResponse(500, "text/plain", message.encode())


def authenticate(platform: Platform, request: GitRequest) -> Principal:
    """The caller of a Basic-authenticated request; 401 without credentials, 403 for bad ones."""
    username, password = _basic_credentials(request.authorization)
    if username.startswith(("AKIA", "ASIA")):
        with platform.db.read() as session:
            identity = IdentityService(session, platform.clock)
            outcome = verify_git_password(
                username,
                password,
                host=request.host,
                path=request.path,
                region=platform.settings.region,
                lookup=identity.resolve_key,
                now=platform.clock.now(),
            )
        if isinstance(outcome, GitRefusal):
            raise GitHttpError(403, outcome.reason)
        return outcome.principal
    principal = authenticate_git_password(platform, username, password)
    if principal is None:
        raise GitHttpError(
            403,
            f"The HTTPS Git credentials for {username} are not valid: no active CodeCommit "
            "credential of an IAM user has this user name and password (see IAM "
            "ListServiceSpecificCredentials; ResetServiceSpecificCredential makes a new "
            "password).",
        )
    return principal


def _basic_credentials(header: str | None) -> tuple[str, str]:
    challenge = (("WWW-Authenticate", f'Basic realm="{REALM}"'),)
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise GitHttpError(
            401,
            "Authentication required: configure git with "
            "credential.helper '!aws codecommit credential-helper --ignore-host-check $@' "
            "and credential.UseHttpPath true, or use HTTPS Git credentials.",
            challenge,
        )
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        message = "The Basic credentials are not base64 of user:password."
        raise GitHttpError(401, message, challenge) from None
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise GitHttpError(401, "The Basic credentials name no user.", challenge)
    return username, password


def request_context(
    platform: Platform, request: GitRequest, principal: Principal
) -> RequestContext:
    """The context IAM decides with and the audit trail records."""
    return caller_context(
        platform,
        principal,
        service="codecommit",
        source_ip=request.source_ip,
        user_agent=request.user_agent,
    )


def find_repository(platform: Platform, ctx: RequestContext, name: str) -> RepositoryView:
    """The caller's repository by name, with its refs as the database has them."""
    with platform.db.read() as session:
        found = CodeCommitService(platform, session).find(ctx.account_id, ctx.region, name)
        if found is None:
            raise GitHttpError(
                404,
                f"Repository {name} does not exist in account {ctx.account_id} "
                f"and region {ctx.region}.",
            )
        return _view(platform, session, found)


def _view(platform: Platform, session: Session, repository: Repository) -> RepositoryView:
    return RepositoryView(
        pk=repository.id,
        name=repository.name,
        account_id=repository.account_id,
        arn=repository_arn(repository),
        path=repo_path(platform.settings.state_dir, repository),
        refs=ref_targets(session, repository),
        default_branch=repository.default_branch,
    )


def _run(
    platform: Platform, request: GitRequest, ctx: RequestContext, view: RepositoryView
) -> GitResponse:
    pulling = request.service == UPLOAD_PACK
    if pulling or request.advertise:
        # A push's advertisement is checked without a ref, as AWS does; then per ref.
        _check(
            platform, ctx, view, PULL if pulling else PUSH, audit=pulling and not request.advertise
        )
    ensure_repository(view.path)
    backend = ViewBackend(view)
    out = BytesIO()

    def write(data: bytes) -> int:
        out.write(data)
        return len(data)

    proto = ReceivableProtocol(BytesIO(request.body).read, write)
    handler: UploadPackHandler | ReceivePackHandler
    if pulling:
        handler = PullHandler(backend, [view.name], proto, True, request.advertise)
    else:
        decide = _pusher(platform, ctx, view)
        handler = PushHandler(backend, [view.name], proto, True, request.advertise, decide)
    if request.advertise:
        proto.write_pkt_line(f"# service={request.service}\n".encode())
        proto.write_pkt_line(None)
    try:
        handler.handle()
    finally:
        backend.close()
    kind = "advertisement" if request.advertise else "result"
    return GitResponse(200, f"application/x-{request.service}-{kind}", out.getvalue())


def _resource(view: RepositoryView) -> Resource:
    return Resource(view.arn, view.account_id)


def _check(
    platform: Platform, ctx: RequestContext, view: RepositoryView, action: str, *, audit: bool
) -> None:
    """Allow `action` on the repository, or answer 403 with IAM's explanation (audited)."""
    try:
        with platform.db.read() as session:
            authorize(session, platform.clock, ctx, action, [_resource(view)], "json")
    except ServiceError as error:
        _audit(platform, ctx, view, action, params=None, error=error)
        raise GitHttpError(403, error.message) from error
    if audit:
        _audit(platform, ctx, view, action, params=None, error=None)


def _audit(
    platform: Platform,
    ctx: RequestContext,
    view: RepositoryView,
    action: str,
    *,
    params: dict[str, Any] | None,
    error: ServiceError | None,
    output: dict[str, Any] | None = None,
    session: Session | None = None,
) -> None:
    def write(target: Session) -> None:
        record(
            target,
            ctx,
            event_source=EVENT_SOURCE,
            operation=action.split(":", 1)[1],
            read_only=action == PULL,
            params={"repositoryName": view.name, **(params or {})},
            output=output,
            error=error,
            resources=[_resource(view)],
        )

    if session is not None:
        write(session)
        return
    with platform.db.write() as own:
        write(own)


class ViewBackend(Backend):
    """Opens the one repository of a request: its directory's objects, the database's refs."""

    def __init__(self, view: RepositoryView) -> None:
        self.view = view
        self.opened: list[Repo] = []

    def open_repository(self, path: str) -> BackendRepo:
        """The repository, its refs replaced by the database's."""
        repo = Repo(str(self.view.path))
        refs: dict[Ref, bytes] = {
            Ref(name.encode()): target.encode() for name, target in self.view.refs.items()
        }
        head = BRANCH_PREFIX + (self.view.default_branch or "")
        if head in self.view.refs:
            refs[Ref(b"HEAD")] = SYMREF + head.encode()
        repo.refs = DictRefsContainer(refs)
        self.opened.append(repo)
        return repo

    def close(self) -> None:
        """Release the object stores' pack files."""
        for repo in self.opened:
            repo.close()


class PullHandler(UploadPackHandler):
    """dulwich's upload-pack, with annotated tags included for `include-tag` clients."""

    def get_tagged(
        self, refs: Mapping[Ref, ObjectID] | None = None, repo: BackendRepo | None = None
    ) -> dict[ObjectID, ObjectID]:
        """Peeled tag targets to tag ids, from this request's repository."""
        return super().get_tagged(refs, repo if repo is not None else self.repo)


Decide = Callable[[Sequence[tuple[ObjectID, ObjectID, Ref]], bool], list[tuple[bytes, bytes]]]


class PushHandler(ReceivePackHandler):
    """dulwich's receive-pack: the pack goes to the object store, the refs to `decide`."""

    def __init__(
        self,
        backend: Backend,
        args: Sequence[str],
        proto: ReceivableProtocol,
        stateless_rpc: bool,
        advertise_refs: bool,
        decide: Decide,
    ) -> None:
        super().__init__(backend, args, proto, stateless_rpc, advertise_refs)
        self.decide = decide

    def _apply_pack(
        self, refs: list[tuple[ObjectID, ObjectID, Ref]]
    ) -> Iterator[tuple[bytes, bytes]]:
        if any(new != ZERO for _, new, _ in refs):
            try:
                self.repo.object_store.add_thin_pack(  # type: ignore[attr-defined]
                    self.proto.read, getattr(self.proto, "recv", None)
                )
            except _PACK_ERRORS as error:
                yield (b"unpack", str(error).replace("\n", " ").encode())
                return
        yield (b"unpack", b"ok")
        # As git's receive-pack checks connectivity: no ref may name an object not received.
        missing = {ref for _, new, ref in refs if new != ZERO and new not in self.repo.object_store}
        if missing:
            for _, _, ref in refs:
                yield (
                    ref,
                    b"missing necessary objects" if ref in missing else b"atomic push failed",
                )
            return
        yield from self.decide(refs, self.has_capability(CAPABILITY_ATOMIC))


def _pusher(platform: Platform, ctx: RequestContext, view: RepositoryView) -> Decide:
    """Authorize each pushed ref, move the allowed ones, audit both; git's status per ref."""

    def decide(
        commands: Sequence[tuple[ObjectID, ObjectID, Ref]], atomic: bool
    ) -> list[tuple[bytes, bytes]]:
        updates = [
            RefUpdate(
                ref.decode(errors="replace"),
                None if old == ZERO else old.decode(),
                None if new == ZERO else new.decode(),
            )
            for old, new, ref in commands
        ]
        with platform.db.write() as session:
            denied: dict[str, str] = {}
            for update in updates:
                keys = {REFERENCES_KEY: [update.ref]}
                try:
                    authorize(session, platform.clock, ctx, PUSH, [_resource(view)], "json", keys)
                except ServiceError as error:
                    denied[update.ref] = error.message
                    _audit(
                        platform,
                        ctx,
                        view,
                        PUSH,
                        params={"references": [_reference(update)]},
                        error=error,
                        session=session,
                    )
            allowed = [u for u in updates if u.ref not in denied]
            refused: dict[str, str] = {}
            if allowed and not (atomic and denied):
                repository = session.get(Repository, view.pk)
                if repository is None:
                    raise GitHttpError(404, f"Repository {view.name} was deleted.")
                outcomes = apply_ref_updates(
                    session,
                    platform.clock,
                    platform.settings.state_dir,
                    repository,
                    allowed,
                    caller_arn=ctx.principal.arn,
                    atomic=atomic,
                )
                refused = {o.update.ref: o.refused for o in outcomes if o.refused is not None}
                moved = [o.update for o in outcomes if o.applied]
                if moved:
                    _audit(
                        platform,
                        ctx,
                        view,
                        PUSH,
                        params={"references": [_reference(u) for u in moved]},
                        error=None,
                        session=session,
                    )
        return [(u.ref.encode(), _status(u.ref, denied, refused, atomic)) for u in updates]

    return decide


def _reference(update: RefUpdate) -> dict[str, Any]:
    entry: dict[str, Any] = {"ref": update.ref}
    if update.new is not None:
        entry["commit"] = update.new
    if update.new is None:
        entry["isDelete"] = True
    return entry


def _status(ref: str, denied: Mapping[str, str], refused: Mapping[str, str], atomic: bool) -> bytes:
    """git's report-status reason for one ref (`ok`, or why not, on one line)."""
    reason = denied.get(ref) or refused.get(ref)
    if reason is None and atomic and denied:
        reason = "atomic push failed"
    return b"ok" if reason is None else " ".join(reason.split()).encode()
