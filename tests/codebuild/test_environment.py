"""A build's environment: its tools, and a build's pip install never reaching Airlock's."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from airlock.codebuild.buildspec import parse_buildspec
from airlock.codebuild.environment import (
    BuildEnvironment,
    create_build_environment,
    is_managed_image,
)
from airlock.codebuild.runner import BuildRunner

# A small, pure-Python package Airlock's environment has (botocore needs it).
PACKAGE = "jmespath"


def _run(environment: BuildEnvironment, src: Path, *commands: str) -> tuple[str, list[str]]:
    """Run commands as a build's BUILD phase: its status and its output lines."""
    lines: list[str] = []
    quoted = "".join(f"      - {_yaml_quote(command)}\n" for command in commands)
    outcome = BuildRunner(
        parse_buildspec(f"version: 0.2\nphases:\n  build:\n    commands:\n{quoted}"),
        environment,
        src_dir=src,
        variables={},
        on_log=lines.append,
    ).run()
    build = next(r for r in outcome.phases if r.phase == "BUILD")
    assert build.status is not None
    return build.status, [line for line in lines if not line.startswith("[Container] ")]


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _wheel(directory: Path, name: str, version: str) -> Path:
    """A wheel of `name` at `version` whose module says it is the build's copy."""
    files = {
        f"{name}/__init__.py": b"BUILD_COPY = True\n",
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: airlock-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    record += f"{name}-{version}.dist-info/RECORD,,\n"
    files[f"{name}-{version}.dist-info/RECORD"] = record.encode()
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def _snapshot(distribution: importlib.metadata.Distribution) -> dict[str, tuple[int, str]]:
    """Every file the installed distribution's RECORD lists: its mtime and its content hash."""
    snapshot = {}
    for file in distribution.files or []:
        path = Path(str(distribution.locate_file(file)))
        if path.is_file():
            content = hashlib.sha256(path.read_bytes()).hexdigest()
            snapshot[str(path)] = (path.stat().st_mtime_ns, content)
    return snapshot


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "src"
    path.mkdir()
    return path


def test_the_tools_of_aws_images_are_there(tmp_path: Path, src: Path) -> None:
    environment = create_build_environment(tmp_path / "build")
    status, output = _run(
        environment,
        src,
        "python -c 'import sys, boto3; print(sys.prefix); print(boto3.__name__)'",
        "python3 --version",
        "pip --version",
        "pip3 --version",
        "aws --version 2>&1 | cut -d/ -f1",
        "command -v bash git zip unzip | wc -l",
    )
    assert status == "SUCCEEDED", output
    assert output[0] == str(environment.venv)
    assert output[1] == "boto3"
    assert output[2] == f"Python {platform.python_version()}"
    assert output[3].startswith("pip ") and output[4].startswith("pip ")
    assert output[5] == "aws-cli"
    assert output[6] == "4"


def test_airlocks_bin_directory_is_not_on_the_builds_path(tmp_path: Path) -> None:
    environment = create_build_environment(
        tmp_path / "build", server_env={"PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin"}
    )
    assert environment.variables["PATH"] == f"{environment.venv / 'bin'}:/usr/bin:/bin"
    assert environment.variables["HOME"] == str(environment.home)
    assert environment.variables["VIRTUAL_ENV"] == str(environment.venv)


def test_a_relative_root_gives_the_build_absolute_paths(
    tmp_path: Path, src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    environment = create_build_environment(Path("state") / "build")
    assert environment.venv == tmp_path / "state" / "build" / "venv"
    assert environment.variables["PATH"].startswith(f"{environment.venv / 'bin'}:")
    status, output = _run(environment, src, "python -c 'print(6 * 7)'")
    assert (status, output[-1]) == ("SUCCEEDED", "42"), output


def test_a_builds_force_reinstall_leaves_airlocks_environment_untouched(
    tmp_path: Path, src: Path
) -> None:
    installed = importlib.metadata.distribution(PACKAGE)
    version = installed.version
    airlock_copy = Path(str(installed.locate_file(f"{PACKAGE}/__init__.py")))
    before = _snapshot(installed)
    assert str(airlock_copy) in before
    wheel = _wheel(tmp_path, PACKAGE, version)
    first = create_build_environment(tmp_path / "first")
    second = create_build_environment(tmp_path / "second")
    check = f"python -c 'import {PACKAGE}; print({PACKAGE}.__file__)'"

    status, output = _run(first, src, check)
    assert (status, output) == ("SUCCEEDED", [str(airlock_copy)])
    status, output = _run(
        first, src, f"pip install --no-index --force-reinstall --no-deps {wheel}", check
    )
    assert status == "SUCCEEDED", output
    assert any("outside environment" in line for line in output), output
    build_copy = first.venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    build_copy = build_copy / "site-packages" / PACKAGE / "__init__.py"
    assert output[-1] == str(build_copy)
    assert build_copy.read_text() == "BUILD_COPY = True\n"
    status, output = _run(first, src, "python -m pip show --files jmespath | grep Location")
    assert output == [f"Location: {build_copy.parent.parent}"]

    # Airlock's copy, its RECORD and every file it lists are as they were.
    assert _snapshot(importlib.metadata.distribution(PACKAGE)) == before
    assert not hasattr(__import__(PACKAGE), "BUILD_COPY")
    # Another build still sees Airlock's copy.
    assert _run(second, src, check) == ("SUCCEEDED", [str(airlock_copy)])


def test_pip_uninstall_in_a_build_leaves_airlocks_copy(tmp_path: Path, src: Path) -> None:
    installed = importlib.metadata.distribution(PACKAGE)
    before = _snapshot(installed)
    environment = create_build_environment(tmp_path / "build")
    _, output = _run(environment, src, f"pip uninstall -y {PACKAGE}")
    assert any("outside environment" in line for line in output), output
    assert _snapshot(importlib.metadata.distribution(PACKAGE)) == before


def test_a_machine_without_zip_gets_minimal_zip_and_unzip(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    environment = create_build_environment(
        tmp_path / "build", server_env={"PATH": str(empty), "HOME": str(tmp_path / "home")}
    )
    bin_dir = environment.venv / "bin"
    assert (bin_dir / "zip").exists() and (bin_dir / "unzip").exists()
    assert environment.notes == (
        "zip is not installed on this machine: builds get a minimal zip",
        "unzip is not installed on this machine: builds get a minimal unzip",
        "bash is not installed on this machine, so builds have no bash",
        "git is not installed on this machine, so builds have no git",
    )
    work = tmp_path / "work"
    (work / "site" / "css").mkdir(parents=True)
    (work / "site" / "index.html").write_text("<html></html>\n")
    (work / "site" / "css" / "a.css").write_text("body {}\n")
    (work / "site" / "run.sh").write_text("#!/bin/sh\n")
    (work / "site" / "run.sh").chmod(0o755)
    made = subprocess.run(
        [str(bin_dir / "zip"), "-qr", "out.zip", "site", "-x", "*.css"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(work / "out.zip") as archive:
        assert sorted(archive.namelist()) == [
            "site/",
            "site/css/",
            "site/index.html",
            "site/run.sh",
        ]
    unpacked = subprocess.run(
        [str(bin_dir / "unzip"), "-oq", "out.zip", "-d", "unpacked"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert unpacked.returncode == 0, unpacked.stderr
    assert (work / "unpacked" / "site" / "index.html").read_text() == "<html></html>\n"
    assert (work / "unpacked" / "site" / "run.sh").stat().st_mode & 0o777 == 0o755
    missing = subprocess.run(
        [str(bin_dir / "unzip"), "nothing.zip"], cwd=work, capture_output=True, text=True
    )
    assert missing.returncode == 9
    assert missing.stderr.startswith("unzip: cannot find or open nothing.zip")


def test_runtime_notes_say_which_runtime_a_build_gets(tmp_path: Path) -> None:
    environment = create_build_environment(tmp_path / "build", server_env={"PATH": "/nowhere"})
    running = platform.python_version()
    major_minor = ".".join(running.split(".")[:2])
    assert environment.runtime_notes({}) == ["No runtime version selected in buildspec."]
    assert environment.runtime_notes({"python": major_minor, "nodejs": "18"}) == [
        f"Selecting 'python' runtime version '{major_minor}' based on manual selections...",
        "Runtime nodejs 18 is not available: node is not on this machine's PATH, so commands "
        "that need it will fail",
    ]
    assert environment.runtime_notes({"python": "2.7"}) == [
        f"Selecting 'python' runtime version '{major_minor}' instead of '2.7': Airlock's builds "
        f"run Python {running}, the interpreter Airlock runs on"
    ]


def test_git_credential_helper(tmp_path: Path, src: Path) -> None:
    environment = create_build_environment(tmp_path / "build")
    lines: list[str] = []
    BuildRunner(
        parse_buildspec(
            "version: 0.2\nenv:\n  git-credential-helper: yes\n"
            "phases:\n  build:\n    commands: ['git config --global --get credential.helper']\n"
        ),
        environment,
        src_dir=src,
        variables={},
        on_log=lines.append,
    ).run()
    assert "!aws codecommit credential-helper --ignore-host-check $@" in lines


@pytest.mark.parametrize(
    ("image", "managed"),
    [
        ("aws/codebuild/standard:7.0", True),
        ("aws/codebuild/amazonlinux2-x86_64-standard:5.0", True),
        ("aws/codebuild/amazonlinux-x86_64-standard:5.0", True),
        ("aws/codebuild/standard", False),
        ("python:3.11", False),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/builder:latest", False),
    ],
)
def test_managed_images(image: str, managed: bool) -> None:
    assert is_managed_image(image) is managed


def test_remove(tmp_path: Path) -> None:
    environment = create_build_environment(tmp_path / "build")
    environment.remove()
    assert not environment.root.exists()
