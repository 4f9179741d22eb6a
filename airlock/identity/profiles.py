"""AWS-style `config` and `credentials` files in the state dir, one profile per account.

They hold root secrets in plain text, as the AWS CLI's own files do, so they
are written mode 0600 inside a 0700 directory: only the owner can read them.
"""

from __future__ import annotations

import configparser
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from airlock.platform.clock import SystemClock
from airlock.platform.db import Database
from airlock.settings import Settings

from .service import IdentityService


@dataclass(frozen=True)
class Profile:
    """One account's profile: its name and root keys."""

    name: str
    account_id: str
    access_key_id: str
    secret_access_key: str


def aws_dir(settings: Settings) -> Path:
    """Where the config and credentials files live."""
    return settings.state_dir.resolve() / "aws"


def profile_name(account_name: str) -> str:
    """A profile name made from an account name (lower case, no spaces)."""
    name = re.sub(r"[^a-z0-9_.-]+", "-", account_name.strip().lower()).strip("-")
    return name or "account"


def load_profiles(database: Database) -> list[Profile]:
    """A profile for every account with a root key, oldest account first."""
    profiles: list[Profile] = []
    taken: set[str] = {"default"}
    with database.read() as session:
        identity = IdentityService(session, SystemClock())
        for account in identity.list_accounts():
            key = identity.root_key(account.id)
            if key is None:
                continue
            name = profile_name(account.name)
            if name in taken:
                name = f"{name}-{account.id}"
            taken.add(name)
            profiles.append(Profile(name, account.id, key.access_key_id, key.secret_access_key))
    return profiles


def write_profiles(settings: Settings, profiles: Sequence[Profile]) -> Path:
    """Rewrite both files; the first profile is also `default`."""
    directory = aws_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    config: list[str] = []
    credentials: list[str] = []
    entries = [("default", profiles[0])] if profiles else []
    entries += [(p.name, p) for p in profiles]
    for name, profile in entries:
        header = "default" if name == "default" else f"profile {name}"
        config += [
            f"[{header}]",
            f"# account {profile.account_id}",
            f"region = {settings.region}",
            f"endpoint_url = {settings.endpoint_url}",
            "output = json",
            "",
        ]
        credentials += [
            f"[{name}]",
            f"aws_access_key_id = {profile.access_key_id}",
            f"aws_secret_access_key = {profile.secret_access_key}",
            "",
        ]
    ours = {name for name, _ in entries}
    config += _foreign(directory / "config", {"default", *(f"profile {n}" for n in ours)})
    credentials += _foreign(directory / "credentials", ours)
    write_private(directory / "config", "\n".join(config))
    write_private(directory / "credentials", "\n".join(credentials))
    return directory


def _foreign(path: Path, ours: set[str]) -> list[str]:
    """Sections someone else added to a file (a user's own profiles), kept as they are."""
    if not path.exists():
        return []
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path)
    except configparser.Error:
        return []
    lines: list[str] = []
    for section in parser.sections():
        if section in ours:
            continue
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in parser[section].items()]
        lines.append("")
    return lines


def refresh_profiles(settings: Settings, database: Database) -> None:
    """Bring the files in line with the accounts in the database."""
    write_profiles(settings, load_profiles(database))


def write_private(path: Path, text: str) -> None:
    """Replace a file with text only its owner can read; a reader never sees half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class UnknownProfile(Exception):
    """A profile name that names no account; the message lists the ones there are."""


def profile_account(database: Database, name: str) -> str:
    """The account a profile names (`default` is the first account)."""
    accounts = {p.name: p.account_id for p in load_profiles(database)}
    if accounts:
        accounts.setdefault("default", next(iter(accounts.values())))
    if name not in accounts:
        raise UnknownProfile(f"No profile {name!r}. Profiles: {', '.join(sorted(accounts))}")
    return accounts[name]
