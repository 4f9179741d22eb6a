"""The `airlock` command line."""

from __future__ import annotations

import gc
import importlib.util
import logging
import shlex
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from botocore.exceptions import ClientError
from rich.console import Console
from rich.table import Table

from airlock import __version__
from airlock.gateway import Airlock, create_app, server_config
from airlock.identity import IdentityService
from airlock.identity.profiles import aws_dir, load_profiles, profile_name, refresh_profiles
from airlock.services import SERVICES
from airlock.settings import Settings

from .address import listen, recorded
from .builds import BuildLogError, print_build_log
from .builds import client as api_client
from .coverage import coverage
from .deadletters import DeadLetterError, failed_deliveries
from .explain import ExplainError, explain
from .history import HistoryError, approval_history
from .metrics import MetricsError, endpoint_metrics
from .options import (
    BlobUrl,
    DatabaseUrl,
    Host,
    Images,
    Port,
    Profile,
    Region,
    ServerHost,
    ServerPort,
    StateDir,
    client_settings,
    make_settings,
)
from .pipelines import PipelineViewError
from .pipelines import decide as decide_approval
from .pipelines import show as show_pipeline
from .stack_sets import NoOperation
from .stacks import cloudformation_client, view_of, watch

app = typer.Typer(
    help="Airlock: multi-account ML model deployment on your machine, over the AWS APIs.",
    no_args_is_help=True,
    add_completion=False,
)
accounts_app = typer.Typer(help="Accounts and their root credentials.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
models_app = typer.Typer(help="The model registry.", no_args_is_help=True)
app.add_typer(models_app, name="models")
events_app = typer.Typer(help="EventBridge deliveries.", no_args_is_help=True)
app.add_typer(events_app, name="events")
endpoints_app = typer.Typer(help="SageMaker endpoints.", no_args_is_help=True)
app.add_typer(endpoints_app, name="endpoints")
stacks_app = typer.Typer(help="CloudFormation stacks.", no_args_is_help=True)
app.add_typer(stacks_app, name="stacks")
builds_app = typer.Typer(help="CodeBuild builds.", no_args_is_help=True)
app.add_typer(builds_app, name="builds")
pipelines_app = typer.Typer(help="CodePipeline pipelines, approvals.", no_args_is_help=True)
app.add_typer(pipelines_app, name="pipelines")


def console() -> Console:
    """A console for this command's output, sized by the terminal (or COLUMNS) it runs in."""
    return Console()


def show_table(
    state_dir: Path | None, database_url: str | None, build: Callable[[Airlock], Table]
) -> None:
    """Print the table `build` makes of the state dir, or its error (exit status 1)."""
    settings, _ = client_settings(state_dir, database_url=database_url)
    instance = Airlock(settings)
    try:
        table = build(instance)
    except (HistoryError, DeadLetterError, MetricsError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    finally:
        instance.stop()
    console().print(table)


def listening(settings: Settings) -> tuple[socket.socket, Settings]:
    """A socket listening where the settings say, and the settings naming its port (exit 1)."""
    try:
        return listen(settings)
    except OSError as error:
        typer.echo(f"Cannot listen on {settings.host}:{settings.port}: {error}", err=True)
        raise typer.Exit(1) from error


@app.command()
def server(
    state_dir: StateDir = None,
    host: Host = None,
    port: Port = None,
    database_url: DatabaseUrl = None,
    region: Region = None,
    blob_url: BlobUrl = None,
    images: Images = None,
) -> None:
    """Run the Airlock server in the foreground (Ctrl-C stops it cleanly)."""
    settings = make_settings(state_dir, host, port, database_url, region, blob_url, images)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Bound before the instance is made, so the AWS config file it writes names
    # the port that was got (a real one for --port 0).
    sock, settings = listening(settings)
    application = create_app(settings)
    typer.echo(
        f"Airlock {__version__} serving {settings.endpoint_url} "
        f"(state dir {settings.state_dir.resolve()})"
    )
    hint = f"airlock env --state-dir {shlex.quote(str(settings.state_dir))}"
    typer.echo(f'In another shell: eval "$({hint})"')
    # What start-up loaded (service models, the schema) lives as long as the process:
    # kept out of the collector's way, a full collection no longer walks it (a pause
    # of tens of milliseconds otherwise, in the tail of every latency).
    gc.collect()
    gc.freeze()
    config = server_config(application)
    # uvicorn installs SIGINT/SIGTERM handlers that finish in-flight requests,
    # then run the lifespan shutdown (controllers stop, database closes).
    with recorded(settings):
        uvicorn.Server(config).run(sockets=[sock])


@app.command()
def env(
    profile: Annotated[
        str | None, typer.Option("--profile", help="Profile (account) to use; default: default")
    ] = None,
    state_dir: StateDir = None,
    host: ServerHost = None,
    port: ServerPort = None,
    database_url: DatabaseUrl = None,
    region: Region = None,
) -> None:
    """Print `export` lines that point boto3 and the aws CLI at Airlock: eval "$(airlock env)".

    The endpoint is the running server's (recorded in the state dir) unless --host or
    --port name another; warnings go to stderr, so stdout stays export lines.
    """
    settings, warning = client_settings(state_dir, host, port, database_url, region)
    if warning:
        typer.echo(warning, err=True)
    instance = Airlock(settings)
    names = ["default"] + [p.name for p in load_profiles(instance.platform.db)]
    instance.stop()
    chosen = profile or "default"
    if chosen not in names:
        typer.echo(f"No profile {chosen!r}. Profiles: {', '.join(names)}", err=True)
        raise typer.Exit(1)
    directory = aws_dir(settings)
    exports = {
        "AWS_CONFIG_FILE": str(directory / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(directory / "credentials"),
        "AWS_PROFILE": chosen,
        "AWS_ENDPOINT_URL": settings.endpoint_url,
        "AWS_DEFAULT_REGION": settings.region,
    }
    for name, value in exports.items():
        typer.echo(f"export {name}={shlex.quote(value)}")


@accounts_app.command("list")
def accounts_list(state_dir: StateDir = None, database_url: DatabaseUrl = None) -> None:
    """List every account with its profile name."""
    settings, _ = client_settings(state_dir, database_url=database_url)
    instance = Airlock(settings)
    table = Table("Account id", "Name", "Email", "Profile", "Status")
    with instance.platform.db.read() as session:
        profiles = {p.account_id: p.name for p in load_profiles(instance.platform.db)}
        for account in IdentityService(session, instance.platform.clock).list_accounts():
            table.add_row(
                account.id,
                account.name,
                account.email,
                profiles.get(account.id, "-"),
                account.status,
            )
    instance.stop()
    console().print(table)


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Argument(help="Account name (also its profile name)")],
    email: Annotated[
        str | None, typer.Option(help="Root email; default NAME@airlock.local")
    ] = None,
    state_dir: StateDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a standalone account (outside any organization) with root credentials."""
    settings, _ = client_settings(state_dir, database_url=database_url)
    instance = Airlock(settings)
    address = email or f"{profile_name(name)}@airlock.local"
    with instance.platform.db.write() as session:
        identity = IdentityService(session, instance.platform.clock)
        if identity.account_by_email(address) is not None:
            instance.stop()
            typer.echo(f"An account with email {address} already exists.", err=True)
            raise typer.Exit(1)
        account = identity.create_account(name, address)
        account_id = account.id
    refresh_profiles(settings, instance.platform.db)
    profiles = {p.account_id: p.name for p in load_profiles(instance.platform.db)}
    instance.stop()
    typer.echo(f"Created account {account_id} ({name}, {address}); profile {profiles[account_id]}")


@app.command("explain")
def explain_command(
    action: Annotated[str, typer.Argument(help="IAM action, e.g. s3:GetObject")],
    resource: Annotated[str, typer.Argument(help="Resource ARN, or *")] = "*",
    profile: Annotated[
        str, typer.Option("--profile", help="Profile whose access is explained")
    ] = "default",
    context: Annotated[
        list[str] | None,
        typer.Option("--context", help="Condition key and value, KEY=VALUE (repeatable)"),
    ] = None,
    state_dir: StateDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Show the IAM decision for a profile, an action and a resource, and why."""
    settings, _ = client_settings(state_dir, database_url=database_url)
    instance = Airlock(settings)
    keys: dict[str, list[str]] = {}
    for item in context or []:
        key, _, value = item.partition("=")
        keys.setdefault(key, []).append(value)
    try:
        lines = explain(instance, profile, action, resource, keys)
    except ExplainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    finally:
        instance.stop()
    for line in lines:
        typer.echo(line)


@models_app.command("history")
def models_history(
    group: Annotated[str, typer.Argument(help="Model package group name")],
    version: Annotated[int | None, typer.Argument(help="One version only")] = None,
    profile: Profile = "default",
    state_dir: StateDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every approval change of a group's versions: who, when, from, to, why."""
    show_table(
        state_dir,
        database_url,
        lambda instance: approval_history(instance, profile, group, version),
    )


@endpoints_app.command("metrics")
def endpoints_metrics(
    endpoint: Annotated[str, typer.Argument(help="Endpoint name")],
    profile: Profile = "default",
    minutes: Annotated[int, typer.Option("--minutes", help="How far back")] = 60,
    state_dir: StateDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Invocations, 4XX/5XX errors and latencies per minute and variant."""
    show_table(
        state_dir,
        database_url,
        lambda instance: endpoint_metrics(instance, profile, endpoint, minutes),
    )


@events_app.command("failed")
def events_failed(
    profile: Profile = "default",
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first")] = 50,
    state_dir: StateDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Deliveries that gave up (retries spent or a permanent error), with the reason."""
    show_table(
        state_dir, database_url, lambda instance: failed_deliveries(instance, profile, limit)
    )


@stacks_app.command("watch")
def stacks_watch(
    name: Annotated[str, typer.Argument(help="Stack name or id, or stack set name")],
    stack_set: Annotated[
        bool,
        typer.Option("--stack-set", help="NAME is a stack set: watch one of its operations"),
    ] = False,
    operation_id: Annotated[
        str | None,
        typer.Option(
            "--operation-id", help="The stack set operation to watch (default: the latest)"
        ),
    ] = None,
    profile: Profile = "default",
    state_dir: StateDir = None,
    host: ServerHost = None,
    port: ServerPort = None,
) -> None:
    """A stack's operation, live: its resources with status, reason and duration.

    A stack set's operation (with --stack-set or --operation-id, or when no stack is
    named NAME): its regions and accounts with status, reason and duration. Ends when
    the operation does; exit status 1 if it failed, rolled back or was stopped.
    """
    settings, warning = client_settings(state_dir, host, port)
    if warning:
        typer.echo(warning, err=True)
    client = cloudformation_client(settings, profile)
    try:
        view = view_of(client, name, stack_set=stack_set, operation_id=operation_id)
        status = watch(view, console())
    except ClientError as error:
        typer.echo(error.response["Error"].get("Message", str(error)), err=True)
        raise typer.Exit(1) from error
    except NoOperation as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    if not view.succeeded(status):
        raise typer.Exit(1)


@builds_app.command("logs")
def builds_logs(
    build_id: Annotated[str, typer.Argument(help="Build id (project:uuid) or ARN")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing until the build completes")
    ] = False,
    profile: Profile = "default",
    state_dir: StateDir = None,
    host: ServerHost = None,
    port: ServerPort = None,
) -> None:
    """A build's log, from its CloudWatch Logs stream.

    With --follow, ends when the build does; exit status 1 if it did not succeed.
    """
    settings, warning = client_settings(state_dir, host, port)
    if warning:
        typer.echo(warning, err=True)
    codebuild = api_client(settings, profile, "codebuild")
    logs = api_client(settings, profile, "logs")
    try:
        status = print_build_log(codebuild, logs, build_id, typer.echo, follow=follow)
    except ClientError as error:
        typer.echo(error.response["Error"].get("Message", str(error)), err=True)
        raise typer.Exit(1) from error
    except BuildLogError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    if follow and status != "SUCCEEDED":
        typer.echo(f"Build {build_id} ended {status}", err=True)
        raise typer.Exit(1)


@pipelines_app.command("show")
def pipelines_show(
    name: Annotated[str, typer.Argument(help="Pipeline name")],
    watch: Annotated[
        bool, typer.Option("--watch", "-w", help="Live, until the latest execution ends")
    ] = False,
    profile: Profile = "default",
    state_dir: StateDir = None,
    host: ServerHost = None,
    port: ServerPort = None,
) -> None:
    """A pipeline's stages and actions: status, duration, the waiting approval, errors.

    With --watch, ends when the latest execution does; exit status 1 if it did not succeed.
    """
    settings, warning = client_settings(state_dir, host, port)
    if warning:
        typer.echo(warning, err=True)
    client = api_client(settings, profile, "codepipeline")
    try:
        status = show_pipeline(client, name, console(), watch=watch)
    except ClientError as error:
        typer.echo(error.response["Error"].get("Message", str(error)), err=True)
        raise typer.Exit(1) from error
    if watch and status != "Succeeded":
        typer.echo(f"Pipeline {name}'s latest execution ended {status}", err=True)
        raise typer.Exit(1)


def _decide(
    name: str,
    approved: bool,
    summary: str,
    stage: str | None,
    action: str | None,
    profile: str,
    state_dir: Path | None,
    host: str | None,
    port: int | None,
) -> None:
    settings, warning = client_settings(state_dir, host, port)
    if warning:
        typer.echo(warning, err=True)
    client = api_client(settings, profile, "codepipeline")
    try:
        chosen = decide_approval(client, name, approved, summary, stage=stage, action=action)
    except ClientError as error:
        typer.echo(error.response["Error"].get("Message", str(error)), err=True)
        raise typer.Exit(1) from error
    except PipelineViewError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    verdict = "Approved" if approved else "Rejected"
    typer.echo(f"{verdict} {name} at {chosen.stage}/{chosen.action}")


Summary = Annotated[str, typer.Option("--summary", help="Why: recorded with the result")]
StageName = Annotated[
    str | None, typer.Option("--stage", help="The approval's stage, if several wait")
]
ActionName = Annotated[
    str | None, typer.Option("--action", help="The approval's action, if several wait")
]


@pipelines_app.command("approve")
def pipelines_approve(
    name: Annotated[str, typer.Argument(help="Pipeline name")],
    summary: Summary,
    stage: StageName = None,
    action: ActionName = None,
    profile: Profile = "default",
    state_dir: StateDir = None,
    host: ServerHost = None,
    port: ServerPort = None,
) -> None:
    """Approve the approval that waits in the pipeline (its token is found for you)."""
    _decide(name, True, summary, stage, action, profile, state_dir, host, port)


@pipelines_app.command("reject")
def pipelines_reject(
    name: Annotated[str, typer.Argument(help="Pipeline name")],
    summary: Summary,
    stage: StageName = None,
    action: ActionName = None,
    profile: Profile = "default",
    state_dir: StateDir = None,
    host: ServerHost = None,
    port: ServerPort = None,
) -> None:
    """Reject the approval that waits in the pipeline: the execution fails there."""
    _decide(name, False, summary, stage, action, profile, state_dir, host, port)


@app.command()
def demo(
    state_dir: Annotated[
        Path,
        typer.Option("--state-dir", help="A fresh state dir for the demo's accounts and data"),
    ] = Path(".airlock-demo"),
    port: Port = None,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep", help="Leave the server running to explore the result (no clean-up step)"
        ),
    ] = False,
    stop_at_approval: Annotated[
        bool,
        typer.Option(
            "--stop-at-approval",
            help="Leave the production approval to you: print the command, wait for it",
        ),
    ] = False,
) -> None:
    """Play the article's story: organization, project, training, approval, the CD pipeline
    through staging to production, and clean-up."""
    if state_dir.exists() and any(state_dir.iterdir()):
        typer.echo(
            f"The demo needs a fresh state dir; {state_dir} is not empty (remove it, or give "
            "--state-dir another one).",
            err=True,
        )
        raise typer.Exit(2)
    if importlib.util.find_spec("sagemaker") is None:
        typer.echo(
            "The demo's data scientist uses the SageMaker Python SDK, which is not installed: "
            "pip install 'sagemaker>=2,<3' (make demo installs it).",
            err=True,
        )
        raise typer.Exit(2)
    # The story brings numpy, scikit-learn and XGBoost: only this command pays for them.
    from .demo import run_demo

    sock, settings = listening(make_settings(state_dir, port=port))
    logging.basicConfig(level=logging.WARNING)
    raise typer.Exit(run_demo(settings, sock, console(), keep, stop_at_approval))


@app.command()
def version() -> None:
    """Print Airlock's version."""
    typer.echo(f"airlock {__version__}")


@app.command("coverage")
def coverage_command(
    missing: Annotated[
        str | None, typer.Option("--missing", help="List the operations a service lacks")
    ] = None,
) -> None:
    """Operations implemented per service, against botocore's models."""
    rows = coverage(SERVICES)
    if missing:
        for row in rows:
            if row.service == missing:
                for name in row.missing:
                    typer.echo(name)
                return
        typer.echo(f"Unknown service {missing!r}", err=True)
        raise typer.Exit(1)
    table = Table("Service", "Implemented", "In botocore", "Coverage")
    for row in rows:
        share = f"{100 * len(row.implemented) / row.total:.0f}%" if row.total else "-"
        table.add_row(row.service, str(len(row.implemented)), str(row.total), share)
    done = sum(len(r.implemented) for r in rows)
    total = sum(r.total for r in rows)
    table.add_row("total", str(done), str(total), f"{100 * done / total:.0f}%")
    console().print(table)


def main() -> None:
    """Entry point of the `airlock` script."""
    app()
