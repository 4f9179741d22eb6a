"""CodeCommit: repositories, their files at a branch or commit, and their commits."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..web import Console, View, page

# How many commits the history walks back from its starting point.
COMMITS = 50
# A file larger than this is not shown in the page (the API allows 6 MB).
SHOWN_BYTES = 256 * 1024


def repositories(view: View) -> Response:
    """The acting account's repositories."""
    found = view.every(
        "codecommit",
        "ListRepositories",
        {"sortBy": "repositoryName"},
        "repositories",
        token="nextToken",
    )
    return view.render("repositories.html", repositories=found)


def _where(view: View) -> tuple[str, str, str]:
    """The repository, the commit specifier (default branch when empty) and the path asked for."""
    name = view.request.path_params["repository"]
    query = view.request.query_params
    return name, query.get("ref", ""), query.get("path", "")


def _repository(view: View, name: str) -> dict[str, Any] | None:
    out = view.read("codecommit", "GetRepository", {"repositoryName": name})
    return (out or {}).get("repositoryMetadata")


def folder(view: View) -> Response:
    """A folder of a repository at a branch or commit, with its branches to choose from."""
    name, ref, path = _where(view)
    metadata = _repository(view, name)
    branches = view.every(
        "codecommit", "ListBranches", {"repositoryName": name}, "branches", token="nextToken"
    )
    params: dict[str, Any] = {"repositoryName": name, "folderPath": path or "/"}
    if ref:
        params["commitSpecifier"] = ref
    # An empty repository has no commit to look into yet: nothing to read, nothing refused.
    listing = view.read("codecommit", "GetFolder", params) if branches else None
    return view.render(
        "repository.html",
        name=name,
        ref=ref or (metadata or {}).get("defaultBranch", ""),
        folder_path=path,
        metadata=metadata,
        branches=sorted(branches),
        listing=listing,
    )


def file(view: View) -> Response:
    """A file's content at a branch or commit."""
    name, ref, path = _where(view)
    params: dict[str, Any] = {"repositoryName": name, "filePath": path}
    if ref:
        params["commitSpecifier"] = ref
    out = view.read("codecommit", "GetFile", params)
    text, binary = "", False
    if out is not None:
        content = bytes(out.get("fileContent") or b"")
        try:
            text = content[:SHOWN_BYTES].decode("utf-8")
        except UnicodeDecodeError:
            binary = True
    return view.render(
        "repository_file.html",
        name=name,
        ref=ref,
        file_path=path,
        file=out,
        text=text,
        binary=binary,
    )


def commits(view: View) -> Response:
    """The history from a branch or commit: GetCommit, walking first parents."""
    name, ref, _ = _where(view)
    metadata = _repository(view, name)
    ref = ref or (metadata or {}).get("defaultBranch", "")
    found: list[dict[str, Any]] = []
    start = ref
    if ref and not _looks_like_commit(ref):
        branch = view.read("codecommit", "GetBranch", {"repositoryName": name, "branchName": ref})
        start = ((branch or {}).get("branch") or {}).get("commitId", "")
    while start and len(found) < COMMITS:
        out = view.read("codecommit", "GetCommit", {"repositoryName": name, "commitId": start})
        if out is None:
            break
        commit = out["commit"]
        found.append(commit)
        parents = commit.get("parents") or []
        start = parents[0] if parents else ""
    return view.render("repository_commits.html", name=name, ref=ref, commits=found)


def _looks_like_commit(ref: str) -> bool:
    return len(ref) == 40 and all(c in "0123456789abcdef" for c in ref.lower())


def routes(console: Console) -> list[Route]:
    """The CodeCommit pages."""
    return [
        Route("/codecommit/repositories", page(console, repositories), methods=["GET"]),
        Route("/codecommit/repositories/{repository}", page(console, folder), methods=["GET"]),
        Route("/codecommit/repositories/{repository}/file", page(console, file), methods=["GET"]),
        Route(
            "/codecommit/repositories/{repository}/commits", page(console, commits), methods=["GET"]
        ),
    ]
