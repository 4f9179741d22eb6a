"""Console test support: an HTTP client that signs in as a person would, with a form."""

from __future__ import annotations

import re

import httpx

from tests.support import LiveServer

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The form token a console page carries."""
    found = _TOKEN.search(html)
    assert found is not None, html
    return found.group(1)


class Browsers:
    """Cookie-keeping HTTP clients of a server, closed when the test ends."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.opened: list[httpx.Client] = []

    def new(self) -> httpx.Client:
        """A client on the console's own origin, signed out."""
        client = httpx.Client(base_url=self.server.url, follow_redirects=True, timeout=60)
        self.opened.append(client)
        return client

    def signed_in(self, keys: tuple[str, str]) -> httpx.Client:
        """A client signed in to the console with an access key pair."""
        return sign_in_with_keys(self.new(), keys)

    def close(self) -> None:
        """Close every client."""
        for client in self.opened:
            client.close()


def sign_in_with_keys(client: httpx.Client, keys: tuple[str, str]) -> httpx.Client:
    """The client, signed in to the console with an access key pair."""
    form = client.get("/console/signin?method=keys")
    answer = client.post(
        "/console/signin",
        data={"csrf_token": csrf_token(form.text), "access_key_id": keys[0], "secret": keys[1]},
    )
    assert answer.status_code == 200 and answer.url.path == "/console/", answer.text
    return client


def user_keys(server: LiveServer, name: str, policy: str | None = None) -> tuple[str, str]:
    """A new IAM user in the first account (with an inline policy) and its access key pair."""
    iam = server.client("iam")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="console", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]
