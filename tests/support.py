"""Test support: a live Airlock server on a free loopback port, and clients for it."""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import boto3
import httpx
import uvicorn
from botocore.config import Config
from sqlalchemy.engine import make_url

from airlock.cli.address import read_record, record_path
from airlock.examples.clients import ServerClients
from airlock.gateway import Airlock, create_app, server_config
from airlock.identity import IdentityService
from airlock.platform.clock import Clock
from airlock.platform.polling import wait_until
from airlock.settings import Settings
from tests.stores import (
    drop_postgres_schema,
    give_back_postgres_schema,
    new_postgres_schema,
    seed_sqlite,
    take_postgres_schema,
)

T = TypeVar("T")


def wait_for(
    check: Callable[[], T | None], *, timeout: float = 30.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll `check` until it returns something truthy; fail the test after `timeout` seconds."""
    try:
        return wait_until(check, timeout=timeout, interval=interval, what=what)
    except TimeoutError as error:
        raise AssertionError(str(error)) from None


class LiveServer:
    """An Airlock instance served by uvicorn in a background thread."""

    def __init__(self, settings: Settings, sock: socket.socket, clock: Clock | None = None) -> None:
        self.settings = settings
        self.app = create_app(settings, clock=clock)
        self.airlock: Airlock = self.app.state.airlock
        config = server_config(self.app)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        wait_for(lambda: self._server.started, what="the server to start")

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return self.settings.endpoint_url

    @property
    def region(self) -> str:
        """The server's default region."""
        return self.settings.region

    def stop(self) -> None:
        """Shut the server down and wait for it."""
        self._server.should_exit = True
        self._thread.join(timeout=30)

    def root_keys(self, account_id: str) -> tuple[str, str]:
        """The root access key pair of an account."""
        return ServerClients(self.airlock).root_keys(account_id)

    def session_client(self, service: str, credentials: dict[str, Any]) -> Any:
        """A client for temporary credentials as STS returns them."""
        return self.client(
            service,
            keys=(credentials["AccessKeyId"], credentials["SecretAccessKey"]),
            token=credentials["SessionToken"],
        )

    def first_account_id(self) -> str:
        """The account created on first start."""
        return ServerClients(self.airlock).first_account()

    def create_account(self, name: str, email: str | None = None) -> str:
        """A standalone account outside any organization (as `airlock accounts create`)."""
        with self.airlock.platform.db.write() as session:
            identity = IdentityService(session, self.airlock.platform.clock)
            address = email or f"{name}-{uuid.uuid4().hex[:8]}@example.com"
            return identity.create_account(name, address).id

    def client(
        self,
        service: str,
        account_id: str | None = None,
        *,
        keys: tuple[str, str] | None = None,
        token: str | None = None,
        config: Config | None = None,
    ) -> Any:
        """A boto3 client signed with an account's root keys (or the given keys)."""
        access_key, secret = keys or self.root_keys(account_id or self.first_account_id())
        base = Config(retries={"total_max_attempts": 1})
        with _SESSION_LOCK:  # a boto3 session is not safe to make clients from at once
            return _shared_session().client(
                service,
                region_name=self.settings.region,
                endpoint_url=self.url,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret,
                aws_session_token=token,
                config=base.merge(config) if config else base,
            )


_SESSION_LOCK = threading.Lock()
_SESSIONS: list[boto3.session.Session] = []


def _shared_session() -> boto3.session.Session:
    """One boto3 session for every test client (call with the lock held).

    A session per client read botocore's model files again for every client (about
    half a second each); clients still get their own credentials and event handlers.
    """
    if not _SESSIONS:
        _SESSIONS.append(boto3.session.Session())
    return _SESSIONS[0]


def unused_port() -> int:
    """A loopback port for a process to bind later, below the kernel's ephemeral range.

    The kernel gives outgoing connections (and binds to port 0) ports from 32768 up,
    so a port closed and handed on from there may be taken by another test's
    connection before the process binds it; none is ever given one from here.
    """
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections while the block runs (bound, not listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def free_socket() -> socket.socket:
    """A listening loopback socket on a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def live_server(
    state_dir: Path,
    database_url: str | None = None,
    clock: Clock | None = None,
    blob_url: str | None = None,
) -> Iterator[LiveServer]:
    """Start a server on the state dir (and database), stop it afterwards."""
    if database_url is None:
        seed_sqlite(state_dir)
    sock = free_socket()
    port = sock.getsockname()[1]
    settings = Settings(
        state_dir=state_dir, database_url=database_url, port=port, blob_url=blob_url
    )
    server = LiveServer(settings, sock, clock)
    try:
        yield server
    finally:
        server.stop()


def postgres_base_url() -> str:
    """The test PostgreSQL database's URL; the test is skipped when there is none."""
    base = os.environ.get("AIRLOCK_TEST_DATABASE_URL")
    if not base:
        import pytest

        pytest.skip("AIRLOCK_TEST_DATABASE_URL is not set (PostgreSQL tests need it)")
    return base


@contextmanager
def postgres_schema(migrated: bool = True) -> Iterator[str]:
    """A schema of its own in the test PostgreSQL database; yields a URL that uses it.

    `migrated`: with the tables the migrations make and no rows but the schema's
    revision (a clean schema of tests.stores' pool), not empty.
    """
    url = make_url(postgres_base_url())
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    schema = take_postgres_schema(plain) if migrated else new_postgres_schema(plain)
    try:
        # Commits need not wait for the WAL's flush: what the tests kill is Airlock, never
        # PostgreSQL, and a commit it was told of stays committed.
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        yield url.update_query_dict({"options": options}).render_as_string(hide_password=False)
    finally:
        if migrated:
            give_back_postgres_schema(plain, schema)
        else:
            drop_postgres_schema(plain, schema)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def server_process(
    state: Path, port: int, database_url: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`airlock server` as a process of its own (for crash tests and fair benchmarks).

    With port 0 the server picks one; its address is known from the record it writes.
    Without `database_url` its store is SQLite in the state dir.
    """
    if database_url is None:
        seed_sqlite(state)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRLOCK_"))}
    binary = Path(sys.executable).parent / "airlock"
    command = [str(binary), "server", "--state-dir", str(state), "--port", str(port)]
    if database_url:
        command += ["--database-url", database_url]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def url() -> str | None:
        if port:
            return f"http://127.0.0.1:{port}/"
        try:
            record = read_record(record_path(state))
        except (OSError, ValueError):
            return None
        return record.url if record.pid == process.pid else None

    def ready() -> bool:
        assert process.poll() is None, "the server process exited"
        if (address := url()) is None:
            return False
        try:  # an answer from Airlock itself (a bare connect can reach a self-connected socket)
            answer = httpx.get(address, timeout=1)
        except httpx.HTTPError:
            return False
        return "x-amzn-requestid" in answer.headers

    try:
        wait_for(ready, what="the server process to listen")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def profile_keys(state: Path, profile: str = "default") -> tuple[str, str]:
    """The access key pair of a profile in a state dir's credentials file."""
    credentials = configparser.ConfigParser()
    credentials.read(state / "aws" / "credentials")
    section = credentials[profile]
    return section["aws_access_key_id"], section["aws_secret_access_key"]


def process_client(state: Path, port: int, service: str) -> Any:
    """A boto3 client for a server process, signed with its default profile's keys."""
    access_key, secret = profile_keys(state)
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
    )


def service_trust(service: str) -> str:
    """A trust policy that lets `service` (`events.amazonaws.com`) assume the role."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def policy_document(*statements: Any) -> str:
    """An IAM policy document of `statements`."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def policy_user(server: LiveServer, name: str, service: str, *statements: Any) -> tuple[Any, str]:
    """A client of `service` signed as a new user allowed `statements`, and the user's ARN."""
    iam = server.client("iam")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy_document(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client(service, keys=(key["AccessKeyId"], key["SecretAccessKey"])), str(arn)


def aws_cli(
    server: LiveServer, home: Path, *args: str, env_extra: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the aws CLI with the first account's root keys, pointed at the server."""
    access_key, secret = server.root_keys(server.first_account_id())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(env_extra or {})
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
        HOME=str(home),
        AWS_ENDPOINT_URL=server.url,
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_DEFAULT_REGION=server.settings.region,
    )
    return subprocess.run(
        ["aws", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


class RestartableServer:
    """`airlock server` as its own process, to kill and start again on the same store."""

    def __init__(self, state: Path, database_url: str | None) -> None:
        self.state = state
        self.database_url = database_url
        self.port = unused_port()

    @contextmanager
    def running(self) -> Iterator[Any]:
        """The process, while the block runs (killed with it if the block kills it)."""
        with server_process(self.state, self.port, self.database_url) as process:
            yield process

    def client(self, service: str) -> Any:
        """A client of the running process, as the state dir's default profile."""
        return process_client(self.state, self.port, service)


@contextmanager
def restartable_server(kind: str, tmp_path: Path) -> Iterator[RestartableServer]:
    """A restartable server on SQLite (`kind` "sqlite") or on a fresh PostgreSQL schema."""
    if kind == "sqlite":
        yield RestartableServer(tmp_path / "state", None)
        return
    with postgres_schema() as url:
        yield RestartableServer(tmp_path / "state", url)
