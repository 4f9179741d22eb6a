"""Buildspec parsing: what each section becomes, and the errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.codebuild.buildspec import (
    ArtifactSpec,
    BuildspecError,
    load_buildspec_file,
    parse_buildspec,
)

FULL = """\
version: 0.2
run-as: builder
env:
  shell: /bin/sh
  variables:
    JAVA_HOME: "/usr/lib/jvm/java-8-openjdk-amd64"
    PORT: 8080
    ANSWER: yes
  exported-variables:
    - IMAGE_TAG
    - AWS_REGION
  git-credential-helper: yes
phases:
  install:
    runtime-versions:
      python: 3.11
    commands:
      - pip install -r requirements.txt
  pre_build:
    on-failure: CONTINUE
    commands:
      - "export TAG=$(git rev-parse --short HEAD): done"
    finally:
      - echo always
  build:
    commands:
      - |
        if true; then
          echo multi-line
        fi
  post_build:
    commands:
      - echo 1
reports:
  junit:
    files: ["**/*.xml"]
cache:
  paths: ["/root/.cache/pip/**/*"]
artifacts:
  files:
    - '**/*'
  name: site-$(date +%Y-%m-%d)
  discard-paths: yes
  base-directory: dist
  exclude-paths:
    - '**/*.map'
  secondary-artifacts:
    templates:
      files: [template.yml]
      name: templates
"""


def test_a_full_buildspec() -> None:
    spec = parse_buildspec(FULL)
    assert spec.version == "0.2"
    assert spec.run_as == "builder"
    assert spec.env.shell == "sh"
    # Values stay as written: 8080 and yes are strings, not a number and a boolean.
    assert dict(spec.env.variables) == {
        "JAVA_HOME": "/usr/lib/jvm/java-8-openjdk-amd64",
        "PORT": "8080",
        "ANSWER": "yes",
    }
    assert spec.env.exported_variables == ("IMAGE_TAG",)
    assert spec.env.git_credential_helper is True
    install = spec.phase("install")
    assert dict(install.runtime_versions) == {"python": "3.11"}
    assert install.commands == ("pip install -r requirements.txt",)
    pre_build = spec.phase("pre_build")
    assert pre_build.on_failure == "CONTINUE"
    assert pre_build.commands == ("export TAG=$(git rev-parse --short HEAD): done",)
    assert pre_build.finally_commands == ("echo always",)
    assert spec.phase("build").commands == ("if true; then\n  echo multi-line\nfi\n",)
    assert spec.phase("build").on_failure == "ABORT"
    assert spec.phase("post_build").commands == ("echo 1",)
    assert spec.artifacts == ArtifactSpec(
        files=("**/*",),
        name="site-$(date +%Y-%m-%d)",
        discard_paths=True,
        base_directory="dist",
        exclude_paths=("**/*.map",),
        secondary={"templates": ArtifactSpec(files=("template.yml",), name="templates")},
    )
    warnings = "\n".join(spec.warnings)
    assert "reports are accepted and ignored" in warnings
    assert "cache is accepted and ignored" in warnings
    assert "AWS_REGION (line 11) is not exported" in warnings
    assert "run-as builder is accepted" in warnings


def test_a_phase_left_out_has_no_commands() -> None:
    spec = parse_buildspec("version: 0.2\nphases:\n  build:\n    commands: [make]\n")
    assert spec.phase("install").commands == ()
    assert spec.artifacts is None
    assert spec.warnings == ()


def test_install_may_have_only_runtime_versions() -> None:
    spec = parse_buildspec(
        "version: 0.2\nphases:\n  install:\n    runtime-versions:\n      nodejs: 18\n"
    )
    assert dict(spec.phase("install").runtime_versions) == {"nodejs": "18"}


def test_unknown_keys_are_warnings_as_codebuild_logs_them() -> None:
    spec = parse_buildspec(
        "version: 0.2\nphases:\n  build:\n    env: x\n    commands: [make]\n  deploy:\n"
        "    commands: [x]\nextra: 1\n"
    )
    assert spec.warnings == (
        "Found possible syntax errors in buildspec: in the section BUILD, the key env (line 4) "
        "cannot be identified and is ignored",
        "Found possible syntax errors in buildspec: in the section phases, the key deploy "
        "(line 6) cannot be identified and is ignored",
        "Found possible syntax errors in buildspec: in the section the buildspec's top level, "
        "the key extra (line 8) cannot be identified and is ignored",
    )


def test_version_0_1_and_its_environment_variables() -> None:
    spec = parse_buildspec(
        "version: 0.1\nenvironment_variables:\n  plaintext:\n    A: b\n"
        "phases:\n  build:\n    commands: [make]\n"
    )
    assert spec.version == "0.1"
    assert dict(spec.env.variables) == {"A": "b"}


def test_merge_keys_and_anchors() -> None:
    spec = parse_buildspec(
        "version: 0.2\nx-common: &common\n  commands: [echo shared]\n"
        "phases:\n  build:\n    <<: *common\n    finally: [echo done]\n"
    )
    assert spec.phase("build").commands == ("echo shared",)
    assert spec.phase("build").finally_commands == ("echo done",)


ERRORS = [
    ("empty", "", "The buildspec is empty: it needs at least version: 0.2", 1),
    (
        "bad YAML: a tab",
        "version: 0.2\nphases:\n\tbuild: x\n",
        "found character '\\t' that cannot start any token at line 3",
        3,
    ),
    (
        "bad YAML: an unclosed list",
        "version: 0.2\nphases:\n  build:\n    commands: [a, b\n",
        "expected ',' or ']', but got '<stream end>' at line 5 "
        "(while parsing a flow sequence at line 4)",
        5,
    ),
    (
        "not a mapping",
        "- version: 0.2\n",
        "Expected the buildspec to be of map type: found a list instead at line 1",
        1,
    ),
    (
        "missing version",
        "phases:\n  build:\n    commands: [make]\n",
        "The buildspec has no version at line 1: add version: 0.2 at its top level",
        1,
    ),
    (
        "unknown version",
        "version: 0.3\nphases:\n  build:\n    commands: [make]\n",
        "Unknown buildspec version 0.3 at line 1: the supported versions are 0.1 and 0.2 "
        "(use version: 0.2)",
        1,
    ),
    (
        "a version that is not a number",
        "version: latest\n",
        "Unknown buildspec version latest at line 1: the supported versions are 0.1 and 0.2 "
        "(use version: 0.2)",
        1,
    ),
    (
        "a phase without commands",
        "version: 0.2\nphases:\n  build:\n    finally: [echo x]\n",
        "Phase BUILD has no commands at line 3: list at least one command under "
        "phases/build/commands, or leave the phase out",
        3,
    ),
    (
        "a phase with an empty commands list",
        "version: 0.2\nphases:\n  pre_build:\n    commands: []\n",
        "Phase PRE_BUILD has no commands at line 3: list at least one command under "
        "phases/pre_build/commands, or leave the phase out",
        3,
    ),
    (
        "an empty phase",
        "version: 0.2\nphases:\n  install:\n",
        "Phase INSTALL has no commands at line 3: list at least one command under "
        "phases/install/commands, or leave the phase out",
        3,
    ),
    (
        "a command with an unquoted colon",
        'version: 0.2\n\nphases:\n  build:\n    commands:\n     - echo "Hello: world"\n',
        "Expected phases/build/commands[0] to be of string type: found subkeys instead at "
        "line 6 (quote a command that contains ': ', or YAML reads it as a key)",
        6,
    ),
    (
        "a command that is a list",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      - [a, b]\n",
        "Expected phases/build/commands[1] to be of string type: found a list instead at line 6",
        6,
    ),
    (
        "an empty command",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      -\n",
        "Expected phases/build/commands[1] to be of string type: found an empty value instead "
        "at line 6",
        6,
    ),
    (
        "commands as one string",
        "version: 0.2\nphases:\n  build:\n    commands: make\n",
        "Expected phases/build/commands to be of list type: found a string instead at line 4 "
        "(write each command as a list item, `- make`)",
        4,
    ),
    (
        "phases as a list",
        "version: 0.2\nphases:\n  - build\n",
        "Expected phases to be of map type: found a list instead at line 3",
        3,
    ),
    (
        "a variable that is a mapping",
        "version: 0.2\nenv:\n  variables:\n    A:\n      b: c\n",
        "Expected env/variables/A to be of string type: found subkeys instead at line 5",
        5,
    ),
    (
        "an invalid variable name",
        "version: 0.2\nenv:\n  variables:\n    A-B: c\n",
        "Invalid environment variable name 'A-B' in env/variables at line 4: use letters, "
        "digits and _, not starting with a digit",
        4,
    ),
    (
        "an invalid exported variable",
        "version: 0.2\nenv:\n  exported-variables:\n    - ok\n    - not ok\n",
        "Expected env/exported-variables[1] to be an environment variable name: found 'not ok' "
        "instead at line 5",
        5,
    ),
    (
        "parameter-store",
        "version: 0.2\nenv:\n  parameter-store:\n    PASSWORD: /CodeBuild/password\n",
        "env/parameter-store at line 3: Airlock has no Systems Manager Parameter Store yet, so "
        "a build cannot read parameters from it; set these values in env/variables or as "
        "PLAINTEXT environment variables of the project",
        3,
    ),
    (
        "secrets-manager",
        "version: 0.2\nenv:\n  secrets-manager:\n    TOKEN: github:token\n",
        "env/secrets-manager at line 3: Airlock has no Secrets Manager yet, so a build cannot "
        "read secrets from it; set these values in env/variables or as PLAINTEXT environment "
        "variables of the project",
        3,
    ),
    (
        "a Windows shell",
        "version: 0.2\nenv:\n  shell: powershell.exe\n",
        "env/shell powershell.exe at line 3 is a Windows shell: Airlock runs Linux builds; use "
        "bash or /bin/sh",
        3,
    ),
    (
        "an unknown shell",
        "version: 0.2\nenv:\n  shell: zsh\n",
        "Unknown env/shell 'zsh' at line 3: the Linux shells are bash and /bin/sh",
        3,
    ),
    (
        "git-credential-helper neither yes nor no",
        "version: 0.2\nenv:\n  git-credential-helper: maybe\n",
        "Expected env/git-credential-helper to be yes or no: found 'maybe' instead at line 3",
        3,
    ),
    (
        "an unknown on-failure",
        "version: 0.2\nphases:\n  build:\n    on-failure: IGNORE\n    commands: [make]\n",
        "Invalid phases/build/on-failure value IGNORE at line 4: expected ABORT or CONTINUE",
        4,
    ),
    (
        "on-failure RETRY",
        "version: 0.2\nphases:\n  build:\n    on-failure: RETRY-3\n    commands: [make]\n",
        "phases/build/on-failure RETRY-3 at line 4 is not supported by Airlock: use ABORT or "
        "CONTINUE",
        4,
    ),
    (
        "artifacts without files",
        "version: 0.2\nartifacts:\n  name: x\n",
        "artifacts/files is required at line 3: list the files to upload (for example '**/*'); "
        "it is required even when only secondary-artifacts are given",
        3,
    ),
    (
        "a secondary artifact without files",
        "version: 0.2\nartifacts:\n  files: [a]\n  secondary-artifacts:\n    two:\n      name: x\n",
        "artifacts/secondary-artifacts/two/files is required at line 6: list the files to "
        "upload (for example '**/*'); it is required even when only secondary-artifacts are "
        "given",
        6,
    ),
    (
        "discard-paths neither yes nor no",
        "version: 0.2\nartifacts:\n  files: [a]\n  discard-paths: sometimes\n",
        "Expected artifacts/discard-paths to be yes or no: found 'sometimes' instead at line 4",
        4,
    ),
    (
        "a duplicate phase",
        "version: 0.2\nphases:\n  build:\n    commands: [a]\n  build:\n    commands: [b]\n",
        "Duplicate key build in phases at line 5 (first given at line 3): give each key once",
        5,
    ),
]


@pytest.mark.parametrize(
    ("text", "message", "line"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS]
)
def test_errors_name_the_line(text: str, message: str, line: int) -> None:
    with pytest.raises(BuildspecError) as raised:
        parse_buildspec(text)
    assert raised.value.message == message
    assert raised.value.line == line
    assert raised.value.status_code == "YAML_FILE_ERROR"


def test_a_buildspec_file_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "buildspec.yml"
    with pytest.raises(BuildspecError) as raised:
        load_buildspec_file(path)
    assert raised.value.message == f"stat {path}: no such file or directory"
    path.write_text("version: 0.2\nphases:\n  build:\n    commands: [make]\n")
    assert load_buildspec_file(path).phase("build").commands == ("make",)
