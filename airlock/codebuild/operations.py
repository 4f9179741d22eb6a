"""CodeBuild operations (JSON 1.1, `CodeBuild_20161006`): projects and builds."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import WAKE_WORKERS, Output, Params, Resource, ServiceApi, role_members
from airlock.core.context import RequestContext
from airlock.core.paging import paginate
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from .errors import InvalidInput, validation_error
from .models import Build, BuildProject
from .phases import IN_PROGRESS
from .service import (
    CODEBUILD,
    REQUEST_DIGEST,
    CodeBuildService,
    check_artifacts,
    check_source,
    check_variables,
    project_arn,
    request_digest,
)


def _factory(platform: Any, session: Session) -> CodeBuildService:
    return CodeBuildService(session, platform.clock)


api: ServiceApi[CodeBuildService] = ServiceApi(
    "codebuild", _factory, validation_error=validation_error
)


def _project_resource(svc: CodeBuildService, ctx: RequestContext, p: Params) -> list[Resource]:
    name = p.get("name") or p.get("projectName")
    if not name:
        return [Resource(project_arn(ctx.account_id, ctx.region, "*"))]
    return [Resource(project_arn(ctx.account_id, ctx.region, str(name)))]


def _project_of_build_id(build_id: str) -> str:
    """The project a build id (`<project>:<uuid>`) or build ARN belongs to."""
    if build_id.startswith("arn:"):
        build_id = build_id.split(":build/", 1)[-1]
    return build_id.rsplit(":", 1)[0]


def _projects_resource(svc: CodeBuildService, ctx: RequestContext, p: Params) -> list[Resource]:
    names = p.get("names") or []
    return [Resource(project_arn(ctx.account_id, ctx.region, str(n))) for n in names] or [
        Resource(project_arn(ctx.account_id, ctx.region, "*"))
    ]


def _builds_resource(svc: CodeBuildService, ctx: RequestContext, p: Params) -> list[Resource]:
    # As in the service authorization reference, build actions are on the build's project.
    ids = p.get("ids") or ([p["id"]] if p.get("id") else [])
    projects = sorted({_project_of_build_id(str(i)) for i in ids})
    return [Resource(project_arn(ctx.account_id, ctx.region, n)) for n in projects] or [
        Resource(project_arn(ctx.account_id, ctx.region, "*"))
    ]


def _check_role(svc: CodeBuildService, ctx: RequestContext, role: str, project: str) -> None:
    """The service role must let codebuild.amazonaws.com assume it (as CodeBuild checks)."""
    try:
        assume_role_for_service(
            svc.session,
            svc.clock,
            service_principal=CODEBUILD,
            role_arn=role,
            session_name="AWSCodeBuild",
            source_account=ctx.account_id,
            source_arn=project_arn(ctx.account_id, ctx.region, project),
        )
    except ServiceAccessDenied as error:
        raise InvalidInput(
            f"CodeBuild is not authorized to perform: sts:AssumeRole on {role}: the role must "
            "exist and its trust policy must allow the service principal codebuild.amazonaws.com"
        ) from error


def _time(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def project_out(project: BuildProject) -> Output:
    """The `Project` structure."""
    out: Output = {"name": project.name, "arn": project.arn, **copy.deepcopy(project.spec)}
    out["created"] = project.created_at
    out["lastModified"] = project.modified_at
    out["projectVisibility"] = "PRIVATE"
    out["badge"] = {"badgeEnabled": bool(out.pop("badgeEnabled", False))}
    return out


def log_location(build: Build) -> Output:
    """The build's `logs`: its CloudWatch Logs group and stream, and a link to them."""
    group, stream = log_names(build)
    region = build.region
    arn = f"arn:aws:logs:{region}:{build.account_id}:log-group:{group}:log-stream:{stream}"
    return {
        "groupName": group,
        "streamName": stream,
        "deepLink": (
            f"https://console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logsV2:log-groups/log-group/{group.replace('/', '$252F')}/log-events/{stream}"
        ),
        "cloudWatchLogsArn": arn,
        "cloudWatchLogs": copy.deepcopy(build.spec["logsConfig"]["cloudWatchLogs"]),
        "s3Logs": copy.deepcopy(build.spec["logsConfig"].get("s3Logs") or {"status": "DISABLED"}),
    }


def log_names(build: Build) -> tuple[str, str]:
    """The log group (`/aws/codebuild/<project>` unless logsConfig names one) and stream."""
    cloudwatch = build.spec["logsConfig"].get("cloudWatchLogs") or {}
    group = cloudwatch.get("groupName") or f"/aws/codebuild/{build.project_name}"
    stream = build.build_id.rsplit(":", 1)[1]
    if cloudwatch.get("streamName"):
        stream = f"{cloudwatch['streamName']}/{stream}"
    return group, stream


def build_out(build: Build) -> Output:
    """The `Build` structure."""
    spec = build.spec
    phases = []
    for phase in build.phases:
        entry = dict(phase)
        entry["startTime"] = _time(entry["startTime"])
        if "endTime" in entry:
            entry["endTime"] = _time(entry["endTime"])
        phases.append(entry)
    out: Output = {
        "id": build.build_id,
        "arn": build.arn,
        "buildNumber": build.build_number,
        "startTime": build.started_at,
        "currentPhase": build.current_phase,
        "buildStatus": build.status,
        "projectName": build.project_name,
        "phases": phases,
        "source": copy.deepcopy(spec["source"]),
        "secondarySources": copy.deepcopy(spec.get("secondarySources") or []),
        "secondarySourceVersions": copy.deepcopy(spec.get("secondarySourceVersions") or []),
        "environment": copy.deepcopy(spec["environment"]),
        "serviceRole": spec.get("serviceRole"),
        "logs": log_location(build),
        "timeoutInMinutes": spec["timeoutInMinutes"],
        "queuedTimeoutInMinutes": spec["queuedTimeoutInMinutes"],
        "buildComplete": build.current_phase == "COMPLETED",
        "initiator": build.initiator,
        "exportedEnvironmentVariables": copy.deepcopy(build.exported_variables),
        "artifacts": {"location": build.artifacts_location or ""},
        "secondaryArtifacts": copy.deepcopy(build.secondary_artifacts or []),
    }
    if spec.get("sourceVersion"):
        out["sourceVersion"] = spec["sourceVersion"]
    if build.resolved_source_version:
        out["resolvedSourceVersion"] = build.resolved_source_version
    if build.ended_at is not None:
        out["endTime"] = build.ended_at
    if spec.get("encryptionKey"):
        out["encryptionKey"] = spec["encryptionKey"]
    return out


@api.operation(
    "codebuild:CreateProject",
    resources=_project_resource,
    passes_role=role_members(CODEBUILD, "serviceRole"),
    required=("serviceRole",),
)
def create_project(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """A new build project."""
    if svc.project(ctx.account_id, ctx.region, p["name"]) is None:
        _check_role(svc, ctx, p["serviceRole"], p["name"])
    return {"project": project_out(svc.create_project(ctx.account_id, ctx.region, p))}


@api.operation(
    "codebuild:UpdateProject",
    resources=_project_resource,
    passes_role=role_members(CODEBUILD, "serviceRole"),
)
def update_project(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Change the members given of a project."""
    project = svc.require_project(ctx.account_id, ctx.region, p["name"])
    if p.get("serviceRole"):
        _check_role(svc, ctx, p["serviceRole"], p["name"])
    return {"project": project_out(svc.update_project(project, p))}


@api.operation("codebuild:DeleteProject", resources=_project_resource)
def delete_project(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Delete a project (deleting one that does not exist succeeds, as CodeBuild's does)."""
    project = svc.project(ctx.account_id, ctx.region, p["name"])
    if project is not None:
        svc.delete_project(project)
    return {}


@api.operation("codebuild:BatchGetProjects", resources=_projects_resource, readonly=True)
def batch_get_projects(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Projects by name or ARN; the others in projectsNotFound."""
    found, missing = [], []
    for name in p["names"]:
        plain = str(name).split(":project/", 1)[-1]
        project = svc.project(ctx.account_id, ctx.region, plain)
        if project is None:
            missing.append(name)
        else:
            found.append(project_out(project))
    return {"projects": found, "projectsNotFound": missing}


def _bad_token() -> InvalidInput:
    return InvalidInput("Invalid next token")


@api.operation("codebuild:ListProjects")
def list_projects(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Project names, sorted by NAME, CREATED_TIME or LAST_MODIFIED_TIME."""
    projects = svc.projects(ctx.account_id, ctx.region)
    sort_by = p.get("sortBy") or "NAME"
    key: Any = {
        "NAME": lambda r: r.name,
        "CREATED_TIME": lambda r: (r.created_at, r.id),
        "LAST_MODIFIED_TIME": lambda r: (r.modified_at, r.id),
    }[sort_by]
    projects.sort(key=key, reverse=p.get("sortOrder") == "DESCENDING")
    names, token = paginate(
        [r.name for r in projects],
        p,
        default_max=100,
        bad_token=_bad_token,
        max_key="maxResults",
        token_key="nextToken",
    )
    out: Output = {"projects": names}
    if token:
        out["nextToken"] = token
    return out


def _build_ids(builds: list[Build], p: Params) -> Output:
    if p.get("sortOrder") == "ASCENDING":
        builds = list(reversed(builds))
    ids, token = paginate(
        [b.build_id for b in builds],
        p,
        default_max=100,
        bad_token=_bad_token,
        max_key="maxResults",
        token_key="nextToken",
    )
    out: Output = {"ids": ids}
    if token:
        out["nextToken"] = token
    return out


@api.operation("codebuild:ListBuilds")
def list_builds(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Build ids of the account, newest first unless sortOrder is ASCENDING."""
    return _build_ids(svc.builds(ctx.account_id, ctx.region), p)


@api.operation("codebuild:ListBuildsForProject", resources=_project_resource)
def list_builds_for_project(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Build ids of one project."""
    svc.require_project(ctx.account_id, ctx.region, p["projectName"])
    return _build_ids(svc.builds(ctx.account_id, ctx.region, p["projectName"]), p)


def _merge_variables(
    base: list[dict[str, Any]], overrides: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Overrides replace the project's variables of the same name, and add the others."""
    merged = {v["name"]: dict(v) for v in base}
    for variable in overrides:
        merged[variable["name"]] = {"type": "PLAINTEXT", **variable}
    return list(merged.values())


def resolve_build_spec(project: BuildProject, p: Params) -> dict[str, Any]:
    """What a build runs: the project's definition with StartBuild's overrides applied."""
    spec = copy.deepcopy(project.spec)
    source = spec["source"]
    if p.get("sourceTypeOverride"):
        source["type"] = p["sourceTypeOverride"]
    if p.get("sourceLocationOverride"):
        source["location"] = p["sourceLocationOverride"]
    if p.get("buildspecOverride"):
        source["buildspec"] = p["buildspecOverride"]
    if "gitCloneDepthOverride" in p:
        source["gitCloneDepth"] = p["gitCloneDepthOverride"]
    check_source(source)
    if "secondarySourcesOverride" in p:
        spec["secondarySources"] = copy.deepcopy(p["secondarySourcesOverride"])
        for index, extra in enumerate(spec["secondarySources"]):
            check_source(extra, f"secondarySourcesOverride[{index}]")
    if "secondarySourcesVersionOverride" in p:
        spec["secondarySourceVersions"] = copy.deepcopy(p["secondarySourcesVersionOverride"])
    if p.get("sourceVersion"):
        spec["sourceVersion"] = p["sourceVersion"]
    env = spec["environment"]
    for member, key in (
        ("environmentTypeOverride", "type"),
        ("imageOverride", "image"),
        ("computeTypeOverride", "computeType"),
        ("privilegedModeOverride", "privilegedMode"),
    ):
        if member in p:
            env[key] = p[member]
    overrides = p.get("environmentVariablesOverride") or []
    check_variables(overrides, "environmentVariablesOverride")
    env["environmentVariables"] = _merge_variables(env.get("environmentVariables") or [], overrides)
    if p.get("artifactsOverride"):
        check_artifacts(p["artifactsOverride"], "artifactsOverride")
        spec["artifacts"] = copy.deepcopy(p["artifactsOverride"])
    if "secondaryArtifactsOverride" in p:
        spec["secondaryArtifacts"] = copy.deepcopy(p["secondaryArtifactsOverride"])
    if p.get("serviceRoleOverride"):
        spec["serviceRole"] = p["serviceRoleOverride"]
    if p.get("timeoutInMinutesOverride"):
        spec["timeoutInMinutes"] = p["timeoutInMinutesOverride"]
    if p.get("queuedTimeoutInMinutesOverride"):
        spec["queuedTimeoutInMinutes"] = p["queuedTimeoutInMinutesOverride"]
    if p.get("logsConfigOverride"):
        spec["logsConfig"] = {**spec["logsConfig"], **copy.deepcopy(p["logsConfigOverride"])}
    return spec


def initiator_of(ctx: RequestContext) -> str:
    """Who started a build, as CodeBuild names them (`alice`, `role/session`, `root`)."""
    arn = ctx.principal.arn
    if arn.endswith(":root"):
        return "root"
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":
        return rest
    return rest.rsplit("/", 1)[-1] or resource


def _start(
    svc: CodeBuildService,
    ctx: RequestContext,
    project: BuildProject,
    spec: Any,
    build_id: str | None = None,
) -> Build:
    build = svc.start_build(project, spec, initiator_of(ctx), build_id)
    svc.session.info[WAKE_WORKERS] = True
    return build


@api.operation(
    "codebuild:StartBuild",
    resources=_project_resource,
    passes_role=role_members(CODEBUILD, "serviceRoleOverride"),
)
def start_build(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Start a build of a project; it runs at once."""
    project = svc.require_project(ctx.account_id, ctx.region, p["projectName"])
    build_id = None
    if p.get("idempotencyToken"):
        # A repeat within 5 minutes returns the build the token started, as CodeBuild does.
        found, build_id = svc.idempotent_build(project, str(p["idempotencyToken"]), p)
        if found is not None:
            return {"build": build_out(found)}
    spec = resolve_build_spec(project, p)
    svc.check_concurrency(project)
    if p.get("serviceRoleOverride"):
        _check_role(svc, ctx, spec["serviceRole"], project.name)
    if p.get("idempotencyToken"):
        spec[REQUEST_DIGEST] = request_digest(p)
    return {"build": build_out(_start(svc, ctx, project, spec, build_id))}


@api.operation("codebuild:RetryBuild", resources=_builds_resource)
def retry_build(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """A new build with the same settings as an earlier one."""
    if not p.get("id"):
        raise InvalidInput("Invalid input: id is required to retry a build")
    old = svc.require_build(ctx.account_id, ctx.region, str(p["id"]))
    project = svc.require_project(ctx.account_id, ctx.region, old.project_name)
    svc.check_concurrency(project)
    spec = copy.deepcopy(old.spec)
    spec.pop(REQUEST_DIGEST, None)  # the retry was not started with the token
    return {"build": build_out(_start(svc, ctx, project, spec))}


@api.operation("codebuild:StopBuild", resources=_builds_resource)
def stop_build(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Ask a running build to stop; its process tree is killed."""
    build = svc.require_build(ctx.account_id, ctx.region, str(p["id"]))
    if build.status == IN_PROGRESS:
        build.stop_requested = True
        svc.session.info[WAKE_WORKERS] = True
    return {"build": build_out(build)}


@api.operation("codebuild:BatchGetBuilds", resources=_builds_resource, readonly=True)
def batch_get_builds(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Builds by id or ARN; the others in buildsNotFound."""
    found, missing = [], []
    for build_id in p["ids"]:
        build = svc.build(ctx.account_id, ctx.region, str(build_id))
        if build is None:
            missing.append(build_id)
        else:
            found.append(build_out(build))
    return {"builds": found, "buildsNotFound": missing}


@api.operation("codebuild:BatchDeleteBuilds", resources=_builds_resource)
def batch_delete_builds(svc: CodeBuildService, ctx: RequestContext, p: Params) -> Output:
    """Delete builds that ended; running or unknown ones are listed as not deleted."""
    deleted, kept, not_deleted = [], [], []
    for build_id in p["ids"]:
        build = svc.build(ctx.account_id, ctx.region, str(build_id))
        if build is None:
            not_deleted.append({"id": build_id, "statusCode": "BUILD_NOT_FOUND"})
        elif build.status == IN_PROGRESS:
            not_deleted.append({"id": build_id, "statusCode": "BUILD_IN_PROGRESS"})
        else:
            kept.append(build)
            deleted.append(build_id)
    svc.delete_builds(kept)
    return {"buildsDeleted": deleted, "buildsNotDeleted": not_deleted}
