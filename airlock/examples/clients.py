"""Clients of an Airlock endpoint for the story's steps (multi_account.Clients)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from airlock.gateway import Airlock
from airlock.identity import IdentityService

Keys = tuple[str, str]


class EndpointSession(boto3.session.Session):  # type: ignore[misc]  # boto3 is unannotated
    """A boto3 session whose clients and resources all use one endpoint URL, for a library
    that makes its own clients from the session it is given (the SageMaker Python SDK)."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint_url = url

    def client(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        return super().client(*args, **kwargs)

    def resource(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        return super().resource(*args, **kwargs)


class EndpointClients:
    """boto3 clients of one endpoint; `credentials` says whom a client of an account signs
    as (subclasses decide)."""

    def __init__(self, url: str, region: str) -> None:
        self._url = url
        self._region = region
        # Made on the first client (a boto3 session costs tens of milliseconds, and a
        # caller that only reads keys never needs one); not safe to make clients from at
        # once, hence the lock.
        self._session: boto3.session.Session | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return self._url

    @property
    def region(self) -> str:
        """The region every client uses."""
        return self._region

    def credentials(self, account_id: str | None) -> tuple[Keys, str | None]:
        """The keys (and session token) a client of the account signs with."""
        raise NotImplementedError

    def session(
        self, account_id: str | None = None, *, keys: Keys | None = None, token: str | None = None
    ) -> EndpointSession:
        """A boto3 session signed as `client` signs, its clients on this endpoint."""
        if keys is None:
            keys, token = self.credentials(account_id)
        return EndpointSession(
            self._url,
            aws_access_key_id=keys[0],
            aws_secret_access_key=keys[1],
            aws_session_token=token,
            region_name=self._region,
        )

    def client(
        self,
        service: str,
        account_id: str | None = None,
        *,
        keys: Keys | None = None,
        token: str | None = None,
    ) -> Any:
        """A client of the service, signed with the keys given or the account's credentials."""
        if keys is None:
            keys, token = self.credentials(account_id)
        with self._lock:
            if self._session is None:
                self._session = boto3.session.Session()
            return self._session.client(
                service,
                region_name=self._region,
                endpoint_url=self._url,
                aws_access_key_id=keys[0],
                aws_secret_access_key=keys[1],
                aws_session_token=token,
                config=Config(retries={"total_max_attempts": 1}),
            )


class ServerClients(EndpointClients):
    """Clients of an in-process server, signed as an account's root (the first account's
    when none is named), its keys read from the server's own database."""

    def __init__(self, airlock: Airlock) -> None:
        super().__init__(airlock.settings.endpoint_url, airlock.settings.region)
        self.airlock = airlock

    def first_account(self) -> str:
        """The account made on first start: the data science (management) account."""
        with self.airlock.platform.db.read() as session:
            return IdentityService(session, self.airlock.platform.clock).list_accounts()[0].id

    def root_keys(self, account_id: str) -> Keys:
        """The account's root key pair."""
        with self.airlock.platform.db.read() as session:
            key = IdentityService(session, self.airlock.platform.clock).root_key(account_id)
            if key is None:
                raise RuntimeError(f"account {account_id} has no root key")
            return key.access_key_id, key.secret_access_key

    def credentials(self, account_id: str | None) -> tuple[Keys, str | None]:
        """The account's root keys."""
        return self.root_keys(account_id or self.first_account()), None
