"""Buildspec version 0.2 (and 0.1): parsed from YAML, with errors that name the line.

A buildspec is read as YAML nodes (PyYAML's composer keeps where every node starts), then
walked section by section. A problem CodeBuild refuses is a `BuildspecError`; the build fails in
DOWNLOAD_SOURCE with the status code YAML_FILE_ERROR and this message, worded as CodeBuild words
it ("Expected Commands[0] to be of string type: found subkeys instead at line 6"). Keys CodeBuild
does not know are warnings, as CodeBuild logs "Found possible syntax errors in buildspec".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

YAML_FILE_ERROR = "YAML_FILE_ERROR"
VERSIONS = ("0.1", "0.2")
# The buildspec's phase keys, in the order the build runs them.
PHASE_KEYS = ("install", "pre_build", "build", "post_build")
ABORT = "ABORT"
CONTINUE = "CONTINUE"
# Linux shell tags as CodeBuild documents them (plus `sh`, what /bin/sh is), to the program run.
SHELLS = {"bash": "bash", "/bin/bash": "bash", "/bin/sh": "sh", "sh": "sh"}
WINDOWS_SHELLS = ("powershell.exe", "cmd.exe", "pwsh.exe", "pwsh")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = ("yes", "true", "on", "y")
_FALSE = ("no", "false", "off", "n")
_IGNORED = {
    "reports": "reports are accepted and ignored: Airlock has no CodeBuild report groups yet",
    "cache": "cache is accepted and ignored: every Airlock build starts from a fresh environment",
    "proxy": "proxy is accepted and ignored: Airlock builds reach the network directly",
    "batch": "batch is accepted and ignored: Airlock runs batch builds' buildspecs as one build",
}
_ENV_KEYS = (
    "variables",
    "exported-variables",
    "shell",
    "git-credential-helper",
    "parameter-store",
    "secrets-manager",
)
_PHASE_FIELDS = ("run-as", "on-failure", "commands", "finally")
_ARTIFACT_KEYS = (
    "files",
    "name",
    "discard-paths",
    "base-directory",
    "exclude-paths",
    "enable-symlinks",
    "s3-prefix",
)
_MISSING_SERVICE = {
    "parameter-store": (
        "Airlock has no Systems Manager Parameter Store yet, so a build cannot read parameters "
        "from it; set these values in env/variables or as PLAINTEXT environment variables of "
        "the project"
    ),
    "secrets-manager": (
        "Airlock has no Secrets Manager yet, so a build cannot read secrets from it; set these "
        "values in env/variables or as PLAINTEXT environment variables of the project"
    ),
}


class BuildspecError(Exception):
    """A buildspec CodeBuild refuses: the build fails in DOWNLOAD_SOURCE with YAML_FILE_ERROR."""

    status_code = YAML_FILE_ERROR

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class EnvSpec:
    """The buildspec's `env`: variables, the variables to export, the shell, git's helper."""

    variables: Mapping[str, str] = field(default_factory=dict)
    exported_variables: tuple[str, ...] = ()
    shell: str = "bash"
    git_credential_helper: bool = False


@dataclass(frozen=True)
class PhaseSpec:
    """One phase of the buildspec (install, pre_build, build or post_build)."""

    key: str
    commands: tuple[str, ...] = ()
    finally_commands: tuple[str, ...] = ()
    on_failure: str = ABORT
    runtime_versions: Mapping[str, str] = field(default_factory=dict)
    run_as: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class ArtifactSpec:
    """An `artifacts` section (or one of its secondary artifacts): which files, and how named."""

    files: tuple[str, ...]
    name: str | None = None
    discard_paths: bool = False
    base_directory: str | None = None
    exclude_paths: tuple[str, ...] = ()
    enable_symlinks: bool = False
    s3_prefix: str | None = None
    secondary: Mapping[str, ArtifactSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class Buildspec:
    """A parsed buildspec; `warnings` are what CodeBuild would log and carry on past."""

    version: str
    env: EnvSpec = field(default_factory=EnvSpec)
    phases: Mapping[str, PhaseSpec] = field(default_factory=dict)
    artifacts: ArtifactSpec | None = None
    run_as: str | None = None
    warnings: tuple[str, ...] = ()

    def phase(self, key: str) -> PhaseSpec:
        """The phase with this key (`build`…); a phase the buildspec leaves out has no commands."""
        return self.phases.get(key) or PhaseSpec(key)


def parse_buildspec(text: str) -> Buildspec:
    """Parse a buildspec's YAML text; BuildspecError (naming the line) if CodeBuild refuses it."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            raise _syntax_error(error) from None
        except yaml.YAMLError as error:
            raise BuildspecError(str(error)) from None
        return _Parser(loader).buildspec(root)
    finally:
        loader.dispose()


def load_buildspec_file(path: Path) -> Buildspec:
    """Read and parse a source's buildspec file, failing as CodeBuild does when it is absent."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildspecError(f"stat {path}: no such file or directory") from None
    except IsADirectoryError:
        raise BuildspecError(f"read {path}: is a directory") from None
    except UnicodeDecodeError as error:
        raise BuildspecError(f"{path} is not UTF-8 text: {error.reason}") from None
    return parse_buildspec(text)


def _syntax_error(error: yaml.MarkedYAMLError) -> BuildspecError:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    problem = error.problem or error.context or "invalid YAML"
    message = f"{problem} at line {line}" if line else problem
    if error.context and error.problem and error.context_mark is not None:
        message += f" ({error.context} at line {error.context_mark.line + 1})"
    return BuildspecError(message, line)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _found(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "subkeys"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "an empty value" if _is_null(node) else f"{node.value!r}"


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _expected(path: str, kind: str, node: yaml.Node, hint: str = "") -> BuildspecError:
    message = f"Expected {path} to be of {kind} type: found {_found(node)} instead at line "
    return BuildspecError(f"{message}{_line(node)}{hint}", _line(node))


class _Parser:
    """Walks the composed nodes of one buildspec, collecting warnings on the way."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.warnings: list[str] = []

    # -- node helpers -------------------------------------------------------------------------

    def entries(self, node: yaml.Node, path: str) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
        """The (key, key node, value node) of a mapping; nothing for an empty value."""
        if _is_null(node):
            return
        if not isinstance(node, yaml.MappingNode):
            raise _expected(path, "map", node)
        self.loader.flatten_mapping(node)  # `<<: *anchor` merge keys, as YAML readers do
        seen: dict[str, int] = {}
        for key_node, value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _expected(f"a key of {path}", "string", key_node)
            key = str(key_node.value)
            if key in seen:
                raise BuildspecError(
                    f"Duplicate key {key} in {path} at line {_line(key_node)} (first given at "
                    f"line {seen[key]}): give each key once",
                    _line(key_node),
                )
            seen[key] = _line(key_node)
            yield key, key_node, value

    def string(self, node: yaml.Node, path: str, hint: str = "") -> str:
        """A scalar as the text written (so `yes` stays "yes" and `0.10` stays "0.10")."""
        if not isinstance(node, yaml.ScalarNode):
            raise _expected(path, "string", node, hint)
        return "" if _is_null(node) else str(node.value)

    def optional_string(self, node: yaml.Node, path: str) -> str | None:
        """A scalar, or None for an empty value."""
        value = self.string(node, path)
        return value or None

    def strings(self, node: yaml.Node, path: str, *, single: bool = True) -> tuple[str, ...]:
        """A list of scalars (one scalar counts as a list of one where `single`)."""
        if _is_null(node):
            return ()
        if isinstance(node, yaml.ScalarNode) and single:
            return (self.string(node, path),)
        if not isinstance(node, yaml.SequenceNode):
            raise _expected(path, "list", node)
        return tuple(self.string(item, f"{path}[{i}]") for i, item in enumerate(node.value))

    def commands(self, node: yaml.Node, path: str) -> tuple[str, ...]:
        """A phase's commands: a list of strings, each a non-empty command."""
        if _is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            if isinstance(node, yaml.ScalarNode):
                raise BuildspecError(
                    f"Expected {path} to be of list type: found a string instead at line "
                    f"{_line(node)} (write each command as a list item, `- {node.value}`)",
                    _line(node),
                )
            raise _expected(path, "list", node)
        result = []
        for i, item in enumerate(node.value):
            hint = ""
            if isinstance(item, yaml.MappingNode):
                hint = " (quote a command that contains ': ', or YAML reads it as a key)"
            command = self.string(item, f"{path}[{i}]", hint)
            if not command.strip():
                raise _expected(f"{path}[{i}]", "string", item)
            result.append(command)
        return tuple(result)

    def yes_no(self, node: yaml.Node, path: str) -> bool:
        """`yes`/`no` (or true/false), as the buildspec writes its switches."""
        if isinstance(node, yaml.ScalarNode) and not _is_null(node):
            word = str(node.value).strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        raise BuildspecError(
            f"Expected {path} to be yes or no: found {_found(node)} instead at line {_line(node)}",
            _line(node),
        )

    def unknown(self, section: str, key: str, key_node: yaml.Node) -> None:
        """Record a key CodeBuild does not know: a warning, as CodeBuild logs and carries on."""
        self.warnings.append(
            f"Found possible syntax errors in buildspec: in the section {section}, the key "
            f"{key} (line {_line(key_node)}) cannot be identified and is ignored"
        )

    # -- sections -----------------------------------------------------------------------------

    def buildspec(self, root: yaml.Node | None) -> Buildspec:
        """The whole buildspec, version first (an unknown version makes the rest meaningless)."""
        if root is None:
            raise BuildspecError("The buildspec is empty: it needs at least version: 0.2", 1)
        if not isinstance(root, yaml.MappingNode):
            raise _expected("the buildspec", "map", root)
        sections = {key: (key_node, value) for key, key_node, value in self.entries(root, "")}
        version = self.version(root, sections.get("version"))
        env = EnvSpec()
        phases: dict[str, PhaseSpec] = {}
        artifacts = None
        run_as = None
        for key, (key_node, value) in sections.items():
            if key == "env":
                env = self.env(value)
            elif key == "environment_variables" and version == "0.1":
                env = self.env_v01(value)
            elif key == "phases":
                phases = self.phases(value)
            elif key == "artifacts":
                artifacts = self.artifacts(value, "artifacts", secondary=True)
            elif key == "run-as":
                run_as = self.optional_string(value, "run-as")
                self.run_as_note(run_as)
            elif key in _IGNORED:
                self.warnings.append(f"{_IGNORED[key]} (line {_line(key_node)})")
            elif key != "version":
                self.unknown("the buildspec's top level", key, key_node)
        return Buildspec(version, env, phases, artifacts, run_as, tuple(self.warnings))

    def version(self, root: yaml.Node, entry: tuple[yaml.Node, yaml.Node] | None) -> str:
        """The version, which must be 0.1 or 0.2."""
        if entry is None:
            raise BuildspecError(
                f"The buildspec has no version at line {_line(root)}: add version: 0.2 at its "
                "top level",
                _line(root),
            )
        node = entry[1]
        text = self.string(node, "version")
        try:
            number = float(text)
        except ValueError:
            number = None
        for known in VERSIONS:
            if number == float(known):
                return known
        raise BuildspecError(
            f"Unknown buildspec version {text or '(empty)'} at line {_line(node)}: the supported "
            f"versions are {' and '.join(VERSIONS)} (use version: 0.2)",
            _line(node),
        )

    def run_as_note(self, user: str | None) -> None:
        """run-as is accepted; the build's commands run as the user Airlock runs as."""
        if user:
            self.warnings.append(
                f"run-as {user} is accepted; the commands run as the user Airlock runs as"
            )

    def env(self, node: yaml.Node) -> EnvSpec:
        """The `env` section."""
        variables: dict[str, str] = {}
        exported: tuple[str, ...] = ()
        shell = "bash"
        helper = False
        for key, key_node, value in self.entries(node, "env"):
            path = f"env/{key}"
            if key == "variables":
                variables = self.variables(value, path)
            elif key == "exported-variables":
                exported = self.exported(value, path)
            elif key == "shell":
                shell = self.shell(value, path)
            elif key == "git-credential-helper":
                helper = self.yes_no(value, path)
            elif key in _MISSING_SERVICE:
                raise BuildspecError(
                    f"{path} at line {_line(key_node)}: {_MISSING_SERVICE[key]}", _line(key_node)
                )
            else:
                self.unknown("env", key, key_node)
        return EnvSpec(variables, exported, shell, helper)

    def env_v01(self, node: yaml.Node) -> EnvSpec:
        """Version 0.1's `environment_variables` with its `plaintext` mapping."""
        variables: dict[str, str] = {}
        for key, key_node, value in self.entries(node, "environment_variables"):
            if key == "plaintext":
                variables = self.variables(value, "environment_variables/plaintext")
            else:
                self.unknown("environment_variables", key, key_node)
        return EnvSpec(variables)

    def variables(self, node: yaml.Node, path: str) -> dict[str, str]:
        """Variable names to their values, values as written."""
        variables = {}
        for name, key_node, value in self.entries(node, path):
            if not _NAME.match(name):
                raise BuildspecError(
                    f"Invalid environment variable name {name!r} in {path} at line "
                    f"{_line(key_node)}: use letters, digits and _, not starting with a digit",
                    _line(key_node),
                )
            variables[name] = self.string(value, f"{path}/{name}")
        return variables

    def exported(self, node: yaml.Node, path: str) -> tuple[str, ...]:
        """exported-variables: names; those starting with AWS_ cannot be exported."""
        names = []
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for i, name in enumerate(self.strings(node, path)):
            item = items[i] if i < len(items) else node
            if not _NAME.match(name):
                raise BuildspecError(
                    f"Expected {path}[{i}] to be an environment variable name: found {name!r} "
                    f"instead at line {_line(item)}",
                    _line(item),
                )
            if name.startswith("AWS_"):
                self.warnings.append(
                    f"{path}: {name} (line {_line(item)}) is not exported: variables that start "
                    "with AWS_ cannot be exported"
                )
                continue
            names.append(name)
        return tuple(dict.fromkeys(names))

    def shell(self, node: yaml.Node, path: str) -> str:
        """The shell tag: bash or /bin/sh on Linux."""
        tag = self.string(node, path).strip()
        if tag in SHELLS:
            return SHELLS[tag]
        if tag.lower() in WINDOWS_SHELLS:
            raise BuildspecError(
                f"{path} {tag} at line {_line(node)} is a Windows shell: Airlock runs Linux "
                "builds; use bash or /bin/sh",
                _line(node),
            )
        raise BuildspecError(
            f"Unknown {path} {tag!r} at line {_line(node)}: the Linux shells are bash and /bin/sh",
            _line(node),
        )

    def phases(self, node: yaml.Node) -> dict[str, PhaseSpec]:
        """The `phases` section: install, pre_build, build and post_build."""
        phases = {}
        for key, key_node, value in self.entries(node, "phases"):
            if key in PHASE_KEYS:
                phases[key] = self.phase(key, key_node, value)
            else:
                self.unknown("phases", key, key_node)
        return phases

    def phase(self, key: str, key_node: yaml.Node, node: yaml.Node) -> PhaseSpec:
        """One phase; it must have commands (install may have only runtime-versions)."""
        section = key.upper()
        commands: tuple[str, ...] = ()
        finally_commands: tuple[str, ...] = ()
        on_failure = ABORT
        runtimes: dict[str, str] = {}
        run_as = None
        for name, name_node, value in self.entries(node, f"phases/{key}"):
            path = f"phases/{key}/{name}"
            if name == "commands":
                commands = self.commands(value, path)
            elif name == "finally":
                finally_commands = self.commands(value, path)
            elif name == "on-failure":
                on_failure = self.on_failure(value, path)
            elif name == "run-as":
                run_as = self.optional_string(value, path)
                self.run_as_note(run_as)
            elif name == "runtime-versions" and key == "install":
                runtimes = {
                    runtime: self.string(version, f"{path}/{runtime}")
                    for runtime, _, version in self.entries(value, path)
                }
            elif name not in _PHASE_FIELDS:
                self.unknown(section, name, name_node)
        if not commands and not (key == "install" and runtimes):
            raise BuildspecError(
                f"Phase {section} has no commands at line {_line(key_node)}: list at least one "
                f"command under phases/{key}/commands, or leave the phase out",
                _line(key_node),
            )
        return PhaseSpec(
            key, commands, finally_commands, on_failure, runtimes, run_as, _line(key_node)
        )

    def on_failure(self, node: yaml.Node, path: str) -> str:
        """on-failure: ABORT (the default) or CONTINUE."""
        value = self.string(node, path).strip().upper()
        if value in (ABORT, CONTINUE):
            return value
        if value.startswith("RETRY"):
            raise BuildspecError(
                f"{path} {value} at line {_line(node)} is not supported by Airlock: use ABORT "
                "or CONTINUE",
                _line(node),
            )
        raise BuildspecError(
            f"Invalid {path} value {value or '(empty)'} at line {_line(node)}: expected ABORT "
            "or CONTINUE",
            _line(node),
        )

    def artifacts(self, node: yaml.Node, path: str, *, secondary: bool) -> ArtifactSpec:
        """An artifacts section; `files` is required, even beside secondary-artifacts."""
        values: dict[str, yaml.Node] = {}
        others: dict[str, ArtifactSpec] = {}
        for key, key_node, value in self.entries(node, path):
            if key in _ARTIFACT_KEYS:
                values[key] = value
            elif key == "secondary-artifacts" and secondary:
                others = {
                    identifier: self.artifacts(
                        spec, f"{path}/secondary-artifacts/{identifier}", secondary=False
                    )
                    for identifier, _, spec in self.entries(value, f"{path}/secondary-artifacts")
                }
            else:
                self.unknown(path, key, key_node)
        files = self.strings(values["files"], f"{path}/files") if "files" in values else ()
        if not files:
            where = _line(values["files"]) if "files" in values else _line(node)
            raise BuildspecError(
                f"{path}/files is required at line {where}: list the files to upload (for "
                "example '**/*'); it is required even when only secondary-artifacts are given",
                where,
            )

        def text(key: str) -> str | None:
            return self.optional_string(values[key], f"{path}/{key}") if key in values else None

        def switch(key: str) -> bool:
            return self.yes_no(values[key], f"{path}/{key}") if key in values else False

        excluded = values.get("exclude-paths")
        return ArtifactSpec(
            files=files,
            name=text("name"),
            discard_paths=switch("discard-paths"),
            base_directory=text("base-directory"),
            exclude_paths=self.strings(excluded, f"{path}/exclude-paths") if excluded else (),
            enable_symlinks=switch("enable-symlinks"),
            s3_prefix=text("s3-prefix"),
            secondary=others,
        )
