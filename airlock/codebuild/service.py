"""CodeBuild's logic: projects as CodeBuild checks them, and builds numbered per project."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from airlock.platform.clock import Clock

from .errors import AccountLimitExceeded, InvalidInput, ResourceAlreadyExists, ResourceNotFound
from .models import Build, BuildProject
from .phases import COMPLETED, IN_PROGRESS, SUBMITTED

CODEBUILD = "codebuild.amazonaws.com"
SOURCE_TYPES = ("NO_SOURCE", "S3", "CODEPIPELINE", "CODECOMMIT")
UNSUPPORTED_SOURCES = ("GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET", "GITLAB", "GITLAB_SELF_MANAGED")
ARTIFACT_TYPES = ("NO_ARTIFACTS", "S3", "CODEPIPELINE")
DEFAULT_TIMEOUT = 60
DEFAULT_QUEUED_TIMEOUT = 480
# The members of CreateProject's input that the project keeps as given.
_PROJECT_MEMBERS = (
    "description",
    "source",
    "secondarySources",
    "sourceVersion",
    "secondarySourceVersions",
    "artifacts",
    "secondaryArtifacts",
    "environment",
    "serviceRole",
    "timeoutInMinutes",
    "queuedTimeoutInMinutes",
    "encryptionKey",
    "tags",
    "logsConfig",
    "concurrentBuildLimit",
    # Kept and shown as given: builds start in a fresh local environment in milliseconds,
    # so a cache would change no result, only (on AWS) the time to fetch dependencies.
    "cache",
    "badgeEnabled",
)
_MISSING_SERVICE = {
    "PARAMETER_STORE": "Systems Manager Parameter Store",
    "SECRETS_MANAGER": "Secrets Manager",
}


def project_arn(account: str, region: str, name: str) -> str:
    """`arn:aws:codebuild:<region>:<account>:project/<name>`."""
    return f"arn:aws:codebuild:{region}:{account}:project/{name}"


def build_arn(account: str, region: str, build_id: str) -> str:
    """`arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>`."""
    return f"arn:aws:codebuild:{region}:{account}:build/{build_id}"


# How long StartBuild's idempotencyToken names the build it started, as CodeBuild documents it.
IDEMPOTENCY_WINDOW = timedelta(minutes=5)
# Kept in a build's spec: which request an idempotencyToken started it with.
REQUEST_DIGEST = "idempotentRequestSha256"


def idempotent_build_id(account: str, region: str, project: str, token: str) -> str:
    """The id of the build StartBuild starts with this idempotencyToken.

    Derived from the token, so that a repeated request finds the build it started (and a
    caller that held the token, as a pipeline's build action does, can look for it).
    """
    name = f"codebuild:{account}:{region}:{project}:{token}"
    return f"{project}:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def request_digest(params: dict[str, Any]) -> str:
    """What StartBuild's input says, without its token: a repeat must say the same."""
    rest = {k: v for k, v in params.items() if k != "idempotencyToken"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()


def token_digest(token: str) -> str:
    """What is stored of a build's credentials token."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_source(source: dict[str, Any], member: str = "source") -> None:
    """A source CodeBuild can run from; InvalidInputException saying what to fix otherwise."""
    kind = source.get("type")
    if kind in UNSUPPORTED_SOURCES:
        raise InvalidInput(
            f"Invalid input: {member}.type {kind} is not supported by Airlock; use "
            f"{', '.join(SOURCE_TYPES)}"
        )
    if kind == "S3":
        location = str(source.get("location") or "")
        bucket, _, key = location.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise InvalidInput(
                f"Invalid input: {member}.location must be <bucket>/<object key> of a zip for "
                f"source type S3, not {location!r}"
            )
    if kind == "CODECOMMIT" and not source.get("location"):
        raise InvalidInput(
            f"Invalid input: {member}.location must be the repository's clone URL for source "
            "type CODECOMMIT"
        )
    if kind == "NO_SOURCE" and not source.get("buildspec"):
        raise InvalidInput(
            f"Invalid input: {member}.buildspec must be an inline buildspec for source type "
            "NO_SOURCE"
        )


def check_artifacts(artifacts: dict[str, Any], member: str = "artifacts") -> None:
    """Artifacts CodeBuild can write."""
    kind = artifacts.get("type")
    if kind not in ARTIFACT_TYPES:
        raise InvalidInput(
            f"Invalid input: {member}.type {kind} is not supported; use {', '.join(ARTIFACT_TYPES)}"
        )
    if kind == "S3" and not artifacts.get("location"):
        raise InvalidInput(f"Invalid input: {member}.location must name a bucket for type S3")


def check_variables(variables: list[dict[str, Any]], member: str) -> None:
    """PLAINTEXT variables only, until Parameter Store and Secrets Manager exist in Airlock."""
    for variable in variables:
        kind = variable.get("type") or "PLAINTEXT"
        if kind in _MISSING_SERVICE:
            raise InvalidInput(
                f"Invalid input: {member} {variable.get('name')} is of type {kind}, but "
                f"{_MISSING_SERVICE[kind]} does not exist in Airlock; use a PLAINTEXT variable"
            )


def check_project(spec: dict[str, Any]) -> None:
    """Everything CodeBuild checks of a project beyond its input shape."""
    check_source(spec["source"])
    for index, source in enumerate(spec.get("secondarySources") or []):
        check_source(source, f"secondarySources[{index}]")
        if not source.get("sourceIdentifier"):
            raise InvalidInput(
                f"Invalid input: secondarySources[{index}].sourceIdentifier is required"
            )
    check_artifacts(spec["artifacts"])
    for index, artifact in enumerate(spec.get("secondaryArtifacts") or []):
        check_artifacts(artifact, f"secondaryArtifacts[{index}]")
    check_variables(
        (spec.get("environment") or {}).get("environmentVariables") or [], "environmentVariable"
    )
    if spec["source"].get("type") == "CODEPIPELINE" and spec["artifacts"].get("type") not in (
        "CODEPIPELINE",
    ):
        raise InvalidInput(
            "Invalid input: a project with source type CODEPIPELINE must have artifacts of type "
            "CODEPIPELINE"
        )


class CodeBuildService:
    """Projects and builds of one database session."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- projects -----------------------------------------------------------------------------

    def project(self, account: str, region: str, name: str) -> BuildProject | None:
        """The project of that name, if any."""
        return self.session.scalars(
            select(BuildProject).where(
                BuildProject.account_id == account,
                BuildProject.region == region,
                BuildProject.name == name,
            )
        ).first()

    def require_project(self, account: str, region: str, name: str) -> BuildProject:
        """The project, or ResourceNotFoundException as CodeBuild words it."""
        project = self.project(account, region, name)
        if project is None:
            raise ResourceNotFound(f"Project cannot be found: {project_arn(account, region, name)}")
        return project

    def create_project(self, account: str, region: str, params: dict[str, Any]) -> BuildProject:
        """A new project from CreateProject's input."""
        name = params["name"]
        if self.project(account, region, name) is not None:
            raise ResourceAlreadyExists(
                f"Project already exists: {project_arn(account, region, name)}"
            )
        spec = _defaults({k: copy.deepcopy(params[k]) for k in _PROJECT_MEMBERS if k in params})
        check_project(spec)
        now = self.clock.now()
        project = BuildProject(
            account_id=account,
            region=region,
            name=name,
            arn=project_arn(account, region, name),
            spec=spec,
            next_build_number=1,
            created_at=now,
            modified_at=now,
        )
        self.session.add(project)
        self.session.flush()
        return project

    def update_project(self, project: BuildProject, params: dict[str, Any]) -> BuildProject:
        """UpdateProject: the members given replace the project's."""
        spec = copy.deepcopy(project.spec)
        for member in _PROJECT_MEMBERS:
            if member in params:
                spec[member] = copy.deepcopy(params[member])
        spec = _defaults(spec)
        check_project(spec)
        project.spec = spec
        project.modified_at = self.clock.now()
        return project

    def delete_project(self, project: BuildProject) -> None:
        """DeleteProject: the project goes; its builds stay listed as CodeBuild keeps them."""
        self.session.delete(project)

    def projects(self, account: str, region: str) -> list[BuildProject]:
        """Every project of the account in the region."""
        return list(
            self.session.scalars(
                select(BuildProject).where(
                    BuildProject.account_id == account, BuildProject.region == region
                )
            )
        )

    # -- builds -------------------------------------------------------------------------------

    def build(self, account: str, region: str, build_id: str) -> Build | None:
        """A build by its id (`<project>:<uuid>`) or ARN."""
        if build_id.startswith("arn:"):
            build_id = build_id.split(":build/", 1)[-1]
        return self.session.scalars(
            select(Build).where(
                Build.account_id == account, Build.region == region, Build.build_id == build_id
            )
        ).first()

    def require_build(self, account: str, region: str, build_id: str) -> Build:
        """The build, or ResourceNotFoundException."""
        build = self.build(account, region, build_id)
        if build is None:
            raise ResourceNotFound(f"Build {build_id} does not exist")
        return build

    def start_build(
        self,
        project: BuildProject,
        spec: dict[str, Any],
        initiator: str,
        build_id: str | None = None,
    ) -> Build:
        """A new build IN_PROGRESS in SUBMITTED, numbered after the project's last."""
        now = self.clock.now()
        build_id = build_id or f"{project.name}:{uuid.uuid4()}"
        number = project.next_build_number
        project.next_build_number = number + 1
        build = Build(
            account_id=project.account_id,
            region=project.region,
            project_name=project.name,
            build_id=build_id,
            arn=build_arn(project.account_id, project.region, build_id),
            build_number=number,
            spec=spec,
            status=IN_PROGRESS,
            current_phase=SUBMITTED,
            phases=[{"phaseType": SUBMITTED, "startTime": now.isoformat()}],
            initiator=initiator,
            exported_variables=[],
            secondary_artifacts=[],
            started_at=now,
        )
        self.session.add(build)
        self.session.flush()
        return build

    def idempotent_build(
        self, project: BuildProject, token: str, params: dict[str, Any]
    ) -> tuple[Build | None, str | None]:
        """The build an idempotencyToken started within the last 5 minutes, if any, and the id
        a new build with that token gets (None once the token's build is older: a fresh one).

        A token repeated with other parameters is InvalidInputException, as CodeBuild answers.
        """
        build_id = idempotent_build_id(project.account_id, project.region, project.name, token)
        found = self.build(project.account_id, project.region, build_id)
        if found is None:
            return None, build_id
        if _aware(found.started_at) + IDEMPOTENCY_WINDOW < _aware(self.clock.now()):
            return None, None
        if found.spec.get(REQUEST_DIGEST) != request_digest(params):
            raise InvalidInput(
                f"Invalid input: idempotencyToken {token} was used with different parameters "
                "by the build it started: repeat that request exactly, or use a new token"
            )
        return found, build_id

    def check_concurrency(self, project: BuildProject) -> None:
        """A project's concurrentBuildLimit: AccountLimitExceededException once it is reached."""
        limit = project.spec.get("concurrentBuildLimit")
        if not limit:
            return
        running = self.session.scalar(
            select(func.count(Build.id)).where(
                Build.account_id == project.account_id,
                Build.region == project.region,
                Build.project_name == project.name,
                Build.status == IN_PROGRESS,
            )
        )
        if (running or 0) >= limit:
            raise AccountLimitExceeded(
                f"Cannot have more than {limit} active builds for the project {project.name}: "
                "wait for one to end, stop one, or raise the project's concurrentBuildLimit"
            )

    def builds(self, account: str, region: str, project: str | None = None) -> list[Build]:
        """Builds newest first (of one project, or all)."""
        query = select(Build).where(Build.account_id == account, Build.region == region)
        if project is not None:
            query = query.where(Build.project_name == project)
        return list(self.session.scalars(query.order_by(Build.started_at.desc(), Build.id.desc())))

    def delete_builds(self, builds: list[Build]) -> None:
        """BatchDeleteBuilds of builds that ended."""
        ids = [b.id for b in builds]
        if ids:
            self.session.execute(delete(Build).where(Build.id.in_(ids)))

    def is_done(self, build: Build) -> bool:
        """Whether the build reached COMPLETED."""
        return build.current_phase == COMPLETED


def _defaults(spec: dict[str, Any]) -> dict[str, Any]:
    """CodeBuild's defaults for members left out, as BatchGetProjects shows them."""
    spec.setdefault("timeoutInMinutes", DEFAULT_TIMEOUT)
    spec.setdefault("queuedTimeoutInMinutes", DEFAULT_QUEUED_TIMEOUT)
    spec.setdefault("tags", [])
    spec.setdefault("cache", {"type": "NO_CACHE"})
    artifacts = spec.get("artifacts") or {}
    if artifacts.get("type") == "S3":
        artifacts.setdefault("packaging", "NONE")
        artifacts.setdefault("namespaceType", "NONE")
    env = spec.get("environment") or {}
    env.setdefault("environmentVariables", [])
    env.setdefault("privilegedMode", False)
    env.setdefault("imagePullCredentialsType", "CODEBUILD")
    for variable in env["environmentVariables"]:
        variable.setdefault("type", "PLAINTEXT")
    spec.setdefault(
        "logsConfig", {"cloudWatchLogs": {"status": "ENABLED"}, "s3Logs": {"status": "DISABLED"}}
    )
    spec["logsConfig"].setdefault("cloudWatchLogs", {"status": "ENABLED"})
    spec["logsConfig"].setdefault("s3Logs", {"status": "DISABLED"})
    return spec


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive times; every time stored is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """A time as stored in a build's phases."""
    return moment.isoformat()
