"""The container credentials endpoint a build's SDKs use, as CodeBuild serves it.

A build gets AWS_CONTAINER_CREDENTIALS_FULL_URI (this endpoint, on Airlock's own port) and
AWS_CONTAINER_AUTHORIZATION_TOKEN (a random token of that build, stored only as a digest).
Each request gets fresh temporary credentials of the service role, assumed as
codebuild.amazonaws.com, so a long build's SDKs refresh them before they expire. A build that
ended gets none.
"""

from __future__ import annotations

import hmac
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse

from airlock.identity import IdentityService
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from .models import Build
from .phases import IN_PROGRESS
from .service import CODEBUILD, token_digest

ROUTE = "/_airlock/codebuild/credentials/{build_uuid}"
LIFETIME = timedelta(hours=1)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": "AccessDenied", "message": message}, status_code=status)


def issue_credentials(platform: Any, build_uuid: str, token: str) -> JSONResponse:
    """Fresh credentials of the build's service role, if the token is the running build's."""
    clock = platform.clock
    if not _UUID.fullmatch(build_uuid):
        return _refuse(404, f"{build_uuid} is not a build id")
    with platform.db.write() as session:
        build = session.scalars(select(Build).where(Build.build_id.like(f"%:{build_uuid}"))).first()
        if build is None or build.status != IN_PROGRESS or not build.credentials_token_sha256:
            return _refuse(403, "No running build has these credentials: the build has ended")
        if not hmac.compare_digest(build.credentials_token_sha256, token_digest(token)):
            return _refuse(403, "The authorization token is not this build's")
        try:
            principal = assume_role_for_service(
                session,
                clock,
                service_principal=CODEBUILD,
                role_arn=build.spec["serviceRole"],
                session_name="AWSCodeBuild-" + build_uuid,
                source_account=build.account_id,
                source_arn=build.arn,
            )
        except ServiceAccessDenied as error:
            return _refuse(403, error.message)
        expires = clock.now() + LIFETIME
        key, session_token = IdentityService(session, clock).create_session_key(
            principal, expires, []
        )
        body = {
            "AccessKeyId": key.access_key_id,
            "SecretAccessKey": key.secret_access_key,
            "Token": session_token,
            "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    return JSONResponse(body)


def credentials_endpoint(platform: Any) -> Any:
    """The Starlette endpoint serving ROUTE."""

    async def endpoint(request: Request) -> JSONResponse:
        import anyio.to_thread

        token = request.headers.get("authorization", "")
        build_uuid = request.path_params["build_uuid"]
        return await anyio.to_thread.run_sync(issue_credentials, platform, build_uuid, token)

    return endpoint
