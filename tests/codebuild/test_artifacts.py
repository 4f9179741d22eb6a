"""Selecting artifact files by the buildspec's patterns, and zipping them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from airlock.codebuild.artifacts import ArtifactError, select_files, write_zip
from airlock.codebuild.buildspec import ArtifactSpec

# The tree of CodeBuild's own base-directory example, plus a few files of other kinds.
TREE = [
    "my-build1/my-file1.txt",
    "my-build2/my-file2.txt",
    "my-build2/my-subdirectory/my-file3.txt",
    "dist/app.js",
    "dist/app.js.map",
    "dist/css/site.css",
    "README.md",
    "a1.log",
    "b2.log",
]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for name in TREE:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {name}\n")
    (root / "empty-dir").mkdir()
    return root


CASES = [
    ("every file", ArtifactSpec(files=("**/*",)), sorted(TREE)),
    ("a single file", ArtifactSpec(files=("README.md",)), ["README.md"]),
    (
        "a file in a subdirectory",
        ArtifactSpec(files=("my-build2/my-subdirectory/my-file3.txt",)),
        ["my-build2/my-subdirectory/my-file3.txt"],
    ),
    (
        "a leading ./ is the source directory",
        ArtifactSpec(files=("./dist/app.js",)),
        ["dist/app.js"],
    ),
    (
        "a directory takes everything under it",
        ArtifactSpec(files=("dist",)),
        ["dist/app.js", "dist/app.js.map", "dist/css/site.css"],
    ),
    (
        "* stays within a directory",
        ArtifactSpec(files=("*.md",)),
        ["README.md"],
    ),
    (
        "dir/**/* is everything below dir",
        ArtifactSpec(files=("my-build2/**/*",)),
        ["my-build2/my-file2.txt", "my-build2/my-subdirectory/my-file3.txt"],
    ),
    (
        "**/ matches any depth, including none",
        ArtifactSpec(files=("**/my-file*.txt",)),
        [
            "my-build1/my-file1.txt",
            "my-build2/my-file2.txt",
            "my-build2/my-subdirectory/my-file3.txt",
        ],
    ),
    ("? is one character", ArtifactSpec(files=("?1.log",)), ["a1.log"]),
    ("[...] is a set", ArtifactSpec(files=("[b-z]*.log",)), ["b2.log"]),
    ("[!...] is a negated set", ArtifactSpec(files=("[!b]*.log",)), ["a1.log"]),
    (
        "CodeBuild's example: base-directory my-build2",
        ArtifactSpec(files=("*/my-file3.txt",), base_directory="my-build2"),
        ["my-subdirectory/my-file3.txt"],
    ),
    (
        "CodeBuild's example: base-directory my-build* with discard-paths",
        ArtifactSpec(files=("**/*",), base_directory="my-build*", discard_paths=True),
        ["my-file1.txt", "my-file2.txt", "my-file3.txt"],
    ),
    (
        "exclude-paths are relative to base-directory",
        ArtifactSpec(files=("**/*",), base_directory="dist", exclude_paths=("**/*.map",)),
        ["app.js", "css/site.css"],
    ),
    (
        "an excluded directory excludes everything under it",
        ArtifactSpec(files=("**/*",), exclude_paths=("my-build*", "dist/css")),
        ["README.md", "a1.log", "b2.log", "dist/app.js", "dist/app.js.map"],
    ),
    (
        "several patterns",
        ArtifactSpec(files=("README.md", "dist/*.js")),
        ["README.md", "dist/app.js"],
    ),
]


@pytest.mark.parametrize(
    ("spec", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_select(src: Path, spec: ArtifactSpec, expected: list[str]) -> None:
    selected = select_files(src, spec)
    assert [file.name for file in selected] == expected
    for file in selected:
        assert file.source.is_file()
        assert file.source.read_text().startswith("content of ")


FAILURES = [
    ("nothing matches", ArtifactSpec(files=("*.jar",)), "no matching artifact paths found"),
    (
        "a base directory that is not there",
        ArtifactSpec(files=("**/*",), base_directory="build"),
        "no matching base directory path found for build",
    ),
    (
        "a base directory pattern that matches nothing",
        ArtifactSpec(files=("**/*",), base_directory="out*"),
        "no matching base directory path found for out*",
    ),
    (
        "everything excluded",
        ArtifactSpec(files=("dist/**/*",), exclude_paths=("dist",)),
        "no matching artifact paths found",
    ),
    (
        "an absolute path",
        ArtifactSpec(files=("/etc/passwd",)),
        "artifacts/files /etc/passwd is an absolute path: give paths relative to the source "
        "directory (CODEBUILD_SRC_DIR) or to base-directory",
    ),
    (
        "a path out of the source directory",
        ArtifactSpec(files=("../secrets",)),
        "artifacts/files ../secrets leaves the source directory (it contains ..)",
    ),
]


@pytest.mark.parametrize(
    ("spec", "message"), [case[1:] for case in FAILURES], ids=[case[0] for case in FAILURES]
)
def test_select_fails_as_upload_artifacts_does(src: Path, spec: ArtifactSpec, message: str) -> None:
    with pytest.raises(ArtifactError) as raised:
        select_files(src, spec)
    assert raised.value.message == message
    assert raised.value.status_code == "CLIENT_ERROR"


def test_discard_paths_refuses_two_files_of_one_name(src: Path) -> None:
    (src / "dist" / "css" / "app.js").write_text("content of another app.js\n")
    with pytest.raises(ArtifactError) as raised:
        select_files(src, ArtifactSpec(files=("dist/**/*",), discard_paths=True))
    assert raised.value.message == (
        f"two files would both be app.js in the artifact ({src / 'dist/app.js'} and "
        f"{src / 'dist/css/app.js'}): with discard-paths: yes, file names must be unique"
    )


def test_write_zip_keeps_names_contents_and_modes(src: Path, tmp_path: Path) -> None:
    script = src / "dist" / "run.sh"
    script.write_text("#!/bin/sh\necho run\n")
    script.chmod(0o755)
    selected = select_files(src, ArtifactSpec(files=("**/*",), base_directory="dist"))
    archive = write_zip(selected, tmp_path / "out" / "artifact.zip")
    with zipfile.ZipFile(archive) as opened:
        assert opened.namelist() == ["app.js", "app.js.map", "css/site.css", "run.sh"]
        assert opened.read("css/site.css") == b"content of dist/css/site.css\n"
        assert (opened.getinfo("run.sh").external_attr >> 16) & 0o777 == 0o755
        assert opened.testzip() is None
