"""A build's environment: what AWS's CodeBuild images stand for on this machine.

AWS's images (`aws/codebuild/standard:*`, `aws/codebuild/amazonlinux*`) give a build bash,
python3/python/pip, the aws CLI, boto3, git, zip and unzip. Airlock gives each build a virtual
environment of its own on top of the interpreter Airlock runs on:

- the venv is made without pip and without system site packages (a few milliseconds), and a
  `.pth` file adds Airlock's site-packages *after* the venv's own, so boto3 and the aws CLI are
  importable at once while anything the build installs shadows them;
- `pip`, `pip3` and `python -m pip` run Airlock's pip *inside the build's interpreter*, so pip's
  target is the build's venv. pip leaves Airlock's copies alone ("Not uninstalling boto3 at …,
  outside environment …"), so even `pip install --upgrade --force-reinstall botocore boto3
  awscli` lands in the build's venv and never changes Airlock's environment or another build's;
- `aws` is a script on the build's interpreter, so an upgraded awscli or botocore is the one used;
- HOME is the build's own (git's and the aws CLI's configuration, `pip install --user`), and
  Airlock's bin directory is taken off PATH so no script there can act on Airlock's environment.
- zip and unzip come from the machine, or from `ziptools` when the machine has none.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import shutil
import site
import sys
import venv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from . import ziptools

MANAGED_IMAGE = re.compile(r"^aws/codebuild/(?:standard:\S+|amazonlinux\S*)$")
# The machine's variables a build inherits: locale, time zone, proxies and certificates.
# Nothing else: in particular not the server's AWS_* credentials or its PYTHON* settings.
_INHERITED = (
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "USER",
    "LOGNAME",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)
# pip's settings for where packages come from; never those that say where they go
# (PIP_TARGET, PIP_PREFIX, PIP_ROOT, PIP_USER, PIP_PYTHON), which could aim at Airlock's venv.
_PIP_SOURCES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_TRUSTED_HOST",
    "PIP_CERT",
    "PIP_CLIENT_CERT",
    "PIP_PROXY",
    "PIP_RETRIES",
    "PIP_TIMEOUT",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_CONSTRAINT",
    "PIP_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_PROGRESS_BAR",
)
_USER_PIP_CONFIG = (".config/pip/pip.conf", ".pip/pip.conf")
# Runtimes of runtime-versions to the program that stands for each on PATH.
_RUNTIME_PROGRAMS = {
    "nodejs": "node",
    "java": "java",
    "golang": "go",
    "ruby": "ruby",
    "php": "php",
    "dotnet": "dotnet",
    "docker": "docker",
    "android": "sdkmanager",
}
_WRAPPER = "#!{python}\nimport sys\nfrom {module} import main\nsys.exit(main())\n"
_GIT_HELPER = (
    "[credential]\n"
    "\thelper = !aws codecommit credential-helper --ignore-host-check $@\n"
    "\tUseHttpPath = true\n"
)


def is_managed_image(image: str) -> bool:
    """Whether the image is one of AWS's CodeBuild images, which Airlock runs locally."""
    return bool(MANAGED_IMAGE.match(image.strip()))


@dataclass(frozen=True)
class BuildEnvironment:
    """One build's environment: its venv, HOME and scratch directory, and its variables."""

    root: Path
    venv: Path
    home: Path
    tmp: Path
    variables: Mapping[str, str]
    notes: tuple[str, ...] = ()

    @property
    def python(self) -> Path:
        """The build's interpreter."""
        return self.venv / "bin" / "python"

    def program(self, name: str) -> str | None:
        """Where a program is on the build's PATH, if anywhere."""
        return shutil.which(name, path=self.variables.get("PATH"))

    def runtime_notes(self, runtime_versions: Mapping[str, str]) -> list[str]:
        """The log lines saying which runtime each runtime-versions entry gets here."""
        if not runtime_versions:
            return ["No runtime version selected in buildspec."]
        notes = []
        for runtime, asked in runtime_versions.items():
            if runtime == "python":
                notes.append(_python_note(asked))
                continue
            program = _RUNTIME_PROGRAMS.get(runtime, runtime)
            found = self.program(program)
            if found:
                notes.append(
                    f"Runtime {runtime} {asked} is not managed by Airlock: the build uses the "
                    f"{program} on PATH ({found})"
                )
            else:
                notes.append(
                    f"Runtime {runtime} {asked} is not available: {program} is not on this "
                    "machine's PATH, so commands that need it will fail"
                )
        return notes

    def enable_git_credential_helper(self) -> None:
        """git-credential-helper: yes — git gets CodeCommit credentials from the aws CLI."""
        with (self.home / ".gitconfig").open("a", encoding="utf-8") as config:
            config.write(_GIT_HELPER)

    def remove(self) -> None:
        """Delete the environment (its venv, HOME and scratch files)."""
        shutil.rmtree(self.root, ignore_errors=True)


def _python_note(asked: str) -> str:
    running = platform.python_version()
    major, minor = running.split(".")[:2]
    wanted = asked.strip()
    if wanted in ("latest", f"{major}.x", f"{major}.{minor}", running) or running.startswith(
        f"{wanted}."
    ):
        return f"Selecting 'python' runtime version '{wanted}' based on manual selections..."
    return (
        f"Selecting 'python' runtime version '{major}.{minor}' instead of '{wanted}': "
        f"Airlock's builds run Python {running}, the interpreter Airlock runs on"
    )


class _Builder(venv.EnvBuilder):
    """EnvBuilder without activation scripts: a build never activates its venv, it is on PATH."""

    def setup_scripts(self, context: SimpleNamespace) -> None:
        """No activate scripts."""


def airlock_site_dirs() -> list[str]:
    """The site-packages directories of the interpreter Airlock runs on."""
    return [path for path in site.getsitepackages() if Path(path).is_dir()]


def _search_path(server_env: Mapping[str, str]) -> list[str]:
    """The machine's PATH without Airlock's own bin directory (or any active venv's)."""
    own = {Path(sys.prefix) / "bin"}
    if server_env.get("VIRTUAL_ENV"):
        own.add(Path(server_env["VIRTUAL_ENV"]) / "bin")
    own_resolved = {path.resolve() for path in own}
    entries = []
    for entry in (server_env.get("PATH") or os.defpath).split(os.pathsep):
        if entry and Path(entry).resolve() not in own_resolved and entry not in entries:
            entries.append(entry)
    return entries


def _write_script(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def create_build_environment(
    root: Path, *, server_env: Mapping[str, str] | None = None
) -> BuildEnvironment:
    """Make a build's environment under `root` (it must not hold another build's)."""
    server = dict(os.environ if server_env is None else server_env)
    # A build runs in its own source directory: a relative state dir (`make demo`'s
    # .airlock-demo) would put a PATH entry there that names nothing, and no python.
    root = root.absolute()
    root.mkdir(parents=True, exist_ok=True)
    env_dir = root / "venv"
    home = root / "home"
    tmp = root / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    _Builder(system_site_packages=False, with_pip=False, symlinks=True).create(env_dir)
    bin_dir = env_dir / "bin"
    python = bin_dir / "python"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = env_dir / "lib" / f"python{version}" / "site-packages"
    # addsitedir (not a bare path) so Airlock's own .pth files apply too; it appends, so the
    # build's site-packages stays first.
    lines = [f"import site; site.addsitedir({path!r})\n" for path in airlock_site_dirs()]
    (site_packages / "_airlock_base.pth").write_text("".join(lines), encoding="utf-8")
    notes = []
    if importlib.util.find_spec("pip") is not None:
        for name in ("pip", "pip3", f"pip{version}"):
            _write_script(
                bin_dir / name, _WRAPPER.format(python=python, module="pip._internal.cli.main")
            )
    else:
        notes.append("pip is not installed in Airlock's environment, so builds have no pip")
    if importlib.util.find_spec("awscli") is not None:
        _write_script(bin_dir / "aws", _WRAPPER.format(python=python, module="awscli.clidriver"))
    else:
        notes.append("The aws CLI is not installed in Airlock's environment (pip install awscli)")
    path = [str(bin_dir), *_search_path(server)]
    search = os.pathsep.join(path)
    tools = Path(ziptools.__file__).read_text(encoding="utf-8")
    for tool in ("zip", "unzip"):
        if shutil.which(tool, path=os.pathsep.join(path[1:])) is None:
            _write_script(bin_dir / tool, f"#!{python}\n{tools}")
            notes.append(f"{tool} is not installed on this machine: builds get a minimal {tool}")
    for program in ("bash", "git"):
        if shutil.which(program, path=search) is None:
            notes.append(f"{program} is not installed on this machine, so builds have no {program}")
    real_home = server.get("HOME")
    if real_home:
        for relative in _USER_PIP_CONFIG:
            config = Path(real_home) / relative
            if config.is_file():
                (home / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(config, home / relative)
    variables = {name: server[name] for name in _INHERITED if name in server}
    variables.update({k: v for k, v in server.items() if k.startswith("LC_")})
    variables.update({name: server[name] for name in _PIP_SOURCES if name in server})
    variables.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    if real_home and "PIP_CACHE_DIR" not in variables:
        # One download cache for all builds: a cache holds no installed files.
        variables["PIP_CACHE_DIR"] = str(Path(real_home) / ".cache" / "pip")
    variables.update(
        {
            "PATH": search,
            "HOME": str(home),
            "VIRTUAL_ENV": str(env_dir),
            "TMPDIR": str(tmp),
        }
    )
    return BuildEnvironment(root, env_dir, home, tmp, variables, tuple(notes))
