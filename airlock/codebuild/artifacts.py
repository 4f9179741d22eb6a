"""Choosing a build's output files as the buildspec's `artifacts` section says, and zipping them.

Paths are relative to the source directory (CODEBUILD_SRC_DIR), or to each top-level directory
that `base-directory` matches (it may be a pattern such as `my-build*`). In `files` and
`exclude-paths`, `*` matches within one path component, `**` across components (`**/*` is every
file), `?` one character and `[...]` a set; a pattern that matches a directory takes everything
under it. `discard-paths: yes` keeps only file names. A selection that finds nothing fails
UPLOAD_ARTIFACTS with CLIENT_ERROR, as CodeBuild does ("no matching artifact paths found").
Symbolic links to files are followed; links to directories are not descended into.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .buildspec import ArtifactSpec

CLIENT_ERROR = "CLIENT_ERROR"
_MAGIC = re.compile(r"[*?\[]")


class ArtifactError(Exception):
    """The artifacts cannot be assembled: UPLOAD_ARTIFACTS fails with this status code."""

    status_code = CLIENT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SelectedFile:
    """One file of an artifact: where it is on disk and its path inside the artifact."""

    source: Path
    name: str


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression a CodeBuild path pattern stands for (matched on whole paths)."""
    parts = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            negate = body.startswith(("!", "^"))
            body = (body[1:] if negate else body).replace("\\", "\\\\")
            parts.append(f"[{'^' if negate else ''}{body}]")
            i = end + 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts) + r"\Z")


def _normalise(pattern: str, what: str) -> str:
    text = pattern.strip()
    while text.startswith("./"):
        text = text[2:]
    text = text.rstrip("/") if text not in ("", "/") else text
    if text.startswith("/"):
        raise ArtifactError(
            f"{what} {pattern} is an absolute path: give paths relative to the source directory "
            "(CODEBUILD_SRC_DIR) or to base-directory"
        )
    if ".." in PurePosixPath(text).parts:
        raise ArtifactError(f"{what} {pattern} leaves the source directory (it contains ..)")
    return text or "."


class _Matcher:
    """Whether a relative path, or one of the directories above it, matches some pattern."""

    def __init__(self, patterns: Iterable[str], what: str) -> None:
        self.everything = False
        self.regexes = []
        for pattern in patterns:
            text = _normalise(pattern, what)
            if text == ".":
                self.everything = True
            else:
                self.regexes.append(pattern_regex(text))

    def __call__(self, path: str) -> bool:
        if self.everything:
            return True
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if any(regex.match(prefix) for regex in self.regexes):
                return True
        return False


def _base_directories(src_dir: Path, base_directory: str | None) -> list[Path]:
    if not base_directory:
        return [src_dir]
    text = _normalise(base_directory, "base-directory")
    if text == ".":
        return [src_dir]
    if not _MAGIC.search(text):
        candidate = src_dir / text
        return [candidate] if candidate.is_dir() else []
    regex = pattern_regex(text)
    matches = []
    for root, dirs, _ in os.walk(src_dir):
        relative = Path(root).relative_to(src_dir).as_posix()
        for name in sorted(dirs):
            path = name if relative == "." else f"{relative}/{name}"
            if regex.match(path):
                matches.append(Path(root) / name)
        # A pattern with n components matches directories at most n deep.
        if relative != "." and relative.count("/") + 1 >= text.count("/") + 1:
            dirs.clear()
    return sorted(matches)


def _files_under(base: Path) -> list[str]:
    found = []
    for root, dirs, files in os.walk(base):
        dirs.sort()
        relative = Path(root).relative_to(base)
        for name in sorted(files):
            path = Path(root) / name
            try:
                if not stat.S_ISREG(path.stat().st_mode):
                    continue  # sockets, fifos, broken links
            except OSError:
                continue
            found.append((relative / name).as_posix())
    return found


def select_files(src_dir: Path, spec: ArtifactSpec) -> list[SelectedFile]:
    """The files of one artifact, by their names inside it; ArtifactError if none match."""
    bases = _base_directories(src_dir, spec.base_directory)
    if not bases:
        raise ArtifactError(f"no matching base directory path found for {spec.base_directory}")
    include = _Matcher(spec.files, "artifacts/files")
    exclude = _Matcher(spec.exclude_paths, "artifacts/exclude-paths")
    chosen: dict[str, SelectedFile] = {}
    for base in bases:
        for path in _files_under(base):
            if not include(path) or (spec.exclude_paths and exclude(path)):
                continue
            name = PurePosixPath(path).name if spec.discard_paths else path
            earlier = chosen.get(name)
            if earlier is not None:
                raise ArtifactError(
                    f"two files would both be {name} in the artifact ({earlier.source} and "
                    f"{base / path}): with discard-paths: yes, file names must be unique"
                )
            chosen[name] = SelectedFile(base / path, name)
    if not chosen:
        raise ArtifactError("no matching artifact paths found")
    return [chosen[name] for name in sorted(chosen)]


def write_zip(files: Sequence[SelectedFile], destination: Path) -> Path:
    """Write the files into a zip (packaging ZIP), keeping their modes; returns `destination`."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for selected in files:
            archive.write(selected.source, selected.name)
    return destination
