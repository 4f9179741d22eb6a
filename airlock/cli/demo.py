"""`airlock demo`: the article's whole multi-account story on a fresh state dir.

The ML engineer (the management account's root) sets up the organization, the target
accounts' roles, the data science bucket, SageMaker projects and the Service Catalog
product; the data scientist creates the project, runs the training pipeline and approves
the model; the CD pipeline (the project's role) deploys it to staging, tests it there and
waits; the approver approves; production serves it, and is invoked with its own
account's credentials; then everything is removed as the article does.
"""

from __future__ import annotations

import shlex
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from starlette.applications import Starlette

from airlock.examples import iris
from airlock.gateway import Airlock, create_app, server_config
from airlock.platform.polling import wait_until
from airlock.settings import Settings

from .address import recorded
from .story import Story


@dataclass
class Step:
    """One row of the closing table."""

    title: str
    who: str
    account: str
    seconds: float = 0.0
    result: str = ""


@dataclass
class Progress:
    """Runs the steps one after another with a spinner, a line each, and the table."""

    console: Console
    steps: list[Step] = field(default_factory=list)

    def run(
        self, title: str, who: str | Callable[[], str], account: str, action: Callable[[], str]
    ) -> None:
        """Run one step; its exception propagates after the step is shown as failed. `who`
        may be known only once the step is over (a callable, then)."""
        step = Step(title, who if isinstance(who, str) else "?", account)
        self.steps.append(step)
        started = time.monotonic()
        with self.console.status(f"[bold]{title}…"):
            try:
                step.result = action()
            except BaseException as error:
                step.seconds = time.monotonic() - started
                # The reason may hold brackets (a stage's action states) that are no markup.
                reason = escape(str(error))
                step.result = f"[red]failed: {reason}"
                self.console.print(f"[red]✗[/] {title} [dim]({step.seconds:.2f} s)[/] {reason}")
                raise
            finally:
                if not isinstance(who, str):
                    step.who = who() or "?"
        step.seconds = time.monotonic() - started
        self.console.print(f"[green]✓[/] {title} [dim]({step.seconds:.2f} s)[/] {step.result}")

    def table(self, total: float) -> Table:
        """The closing table: step, who acted, in which account, seconds (what each step
        did is on its line above; a failed step's reason is in its row)."""
        table = Table(title=f"Airlock demo: {total:.1f} s in all")
        for column in ("Step", "Who", "Account"):
            table.add_column(column)
        table.add_column("Seconds", justify="right")
        for step in self.steps:
            failed = step.result.startswith("[red]")
            title = f"{step.title}\n{step.result}" if failed else step.title
            table.add_row(title, step.who, step.account, f"{step.seconds:.2f}")
        return table


def run_demo(
    settings: Settings,
    sock: socket.socket,
    console: Console,
    keep: bool,
    stop_at_approval: bool = False,
) -> int:
    """Serve the settings on the listening socket, play the story, print the table.

    0 if every step passed. The server is recorded in the state dir while it runs, so
    `airlock env --state-dir …` and `airlock pipelines … --state-dir …` find it.
    """
    sdk = preload_sdk()
    application = create_app(settings)
    with recorded(settings), serving(application, sock):
        airlock: Airlock = application.state.airlock
        story = Story(settings, airlock)
        progress = Progress(console)
        began = time.monotonic()
        try:
            play(story, progress, console, stop_at_approval, clean_up=not keep)
            failed = False
        except Exception:
            failed = True
        sdk.join()
        console.print(progress.table(time.monotonic() - began))
        if keep:
            explore(settings, story, console)
    return 1 if failed else 0


def preload_sdk() -> threading.Thread:
    """Import the SageMaker Python SDK (seconds of imports) in a thread while steps 1-6 run."""
    thread = threading.Thread(target=iris.load_sdk, name="sdk-import", daemon=True)
    thread.start()
    return thread


@contextmanager
def serving(application: Starlette, sock: socket.socket) -> Iterator[None]:
    """uvicorn serving the application on the socket in a thread, while the block runs."""
    server = uvicorn.Server(server_config(application, lifespan="auto"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=60, what="the server to start")
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def play(
    story: Story, progress: Progress, console: Console, stop_at_approval: bool, clean_up: bool
) -> None:
    """Steps 1-10 of the story, each as the principal who takes it in the article (with
    --keep, step 10 is left out so that there is something to explore)."""
    admin, ds = story.admin, story.ds_label
    progress.run("1. Organization, OUs, trusted access", admin, ds, story.organization)
    progress.run(
        "2. Role stack in staging", "root", story.label("staging"), lambda: story.role("staging")
    )
    progress.run(
        "2. Role stack in production", "root", story.label("prod"), lambda: story.role("prod")
    )
    progress.run("3. Data science bucket and policy", admin, ds, story.bucket)
    progress.run("4. Enable projects, added policies", admin, ds, story.enable_projects)
    progress.run("5. Portfolio, product, constraint", admin, ds, story.publish)
    scientist = story.scientist_name
    progress.run(f"6. CreateProject {story.project}", scientist, ds, story.create_project)
    progress.run("7. Pipeline: train, register", scientist, ds, story.train)
    progress.run("8. Approve the newest version", scientist, ds, story.approve)
    robot = story.pipeline_role_name
    progress.run("   CD: Build", robot, ds, story.build)
    progress.run("   CD: DeployStaging", robot, story.label("staging"), story.deploy_staging)
    progress.run(
        "   CD: TestStaging",
        "role/sagemaker-role-staging",
        story.label("staging"),
        story.test_staging,
    )
    if stop_at_approval:
        story.print_approval_commands(console)
        progress.run("   CD: ApproveDeployment (yours)", story.decider, ds, story.approved_by_user)
    else:
        progress.run("   CD: ApproveDeployment", story.approver_name, ds, story.approve_deployment)
    progress.run("   CD: DeployProd", robot, story.label("prod"), story.deploy_prod)
    progress.run("9. Invoke production", "root", story.label("prod"), story.invoke_prod)
    if clean_up:
        progress.run("10. Clean up", admin, ds, story.clean_up)


def explore(settings: Settings, story: Story, console: Console) -> None:
    """--keep: say how to look around, then serve until Ctrl-C."""
    state = shlex.quote(str(settings.state_dir))
    console.print(
        f"The server keeps running on {settings.endpoint_url}. In another shell:\n"
        f'  eval "$(airlock env --state-dir {state})"\n'
        "  aws organizations list-accounts\n"
        "  aws sagemaker list-endpoints --profile staging\n"
        f"  airlock pipelines show {story.pipeline_name or 'PIPELINE'} --state-dir {state}\n"
        "Ctrl-C stops it."
    )
    with suppress(KeyboardInterrupt):
        threading.Event().wait()
