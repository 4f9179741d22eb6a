"""Unit tests of the pure parts: variable resolution, stage-lock rules, structure checks."""

from __future__ import annotations

from typing import Any

import pytest

from airlock.codepipeline.approval import OWN_TYPES
from airlock.codepipeline.artifacts import artifact_key
from airlock.codepipeline.errors import InvalidActionDeclaration, InvalidStructure
from airlock.codepipeline.locks import Position, decide
from airlock.codepipeline.structure import check_declaration, roles_of
from airlock.codepipeline.variables import (
    UnresolvedVariable,
    references,
    resolve,
    resolve_configuration,
    scopes_of,
)
from airlock.s3.pipeline_action import S3Source

KNOWN: dict[str, Any] = {**OWN_TYPES, "Source/AWS/S3": S3Source()}


def test_resolve_variables() -> None:
    scopes = scopes_of(
        "exec-1",
        [{"name": "Env", "resolvedValue": "prod"}],
        {"SourceVariables": {"VersionId": "v9"}},
    )
    value = "#{codepipeline.PipelineExecutionId}/#{variables.Env}/#{SourceVariables.VersionId}"
    assert resolve(value, scopes) == "exec-1/prod/v9"
    assert resolve_configuration({"A": "x #{variables.Env}", "B": "plain"}, scopes) == {
        "A": "x prod",
        "B": "plain",
    }
    assert references("#{A.b} and #{C.d}") == [("A", "b"), ("C", "d")]
    with pytest.raises(UnresolvedVariable) as caught:
        resolve("#{Build.Out}", scopes)
    assert str(caught.value) == (
        "The variable #{Build.Out} could not be resolved: no action produced the namespace Build"
    )
    with pytest.raises(UnresolvedVariable) as caught:
        resolve("#{SourceVariables.CommitId}", scopes)
    assert "the namespace SourceVariables has no variable CommitId" in str(caught.value)


def _pos(seq: int, stage: int, at_entry: bool) -> Position:
    return Position(seq, stage, at_entry)


def test_stage_locks() -> None:
    me = _pos(2, 1, True)
    holder = _pos(1, 1, False)
    newer = _pos(3, 1, True)
    older = _pos(1, 1, True)
    # SUPERSEDED: wait while the stage is held; a newer waiting execution supersedes me.
    assert decide("SUPERSEDED", me, [holder], True) == "wait"
    assert decide("SUPERSEDED", me, [], True) == "enter"
    assert decide("SUPERSEDED", me, [holder, newer], True) == "superseded"
    assert decide("SUPERSEDED", me, [older], True) == "enter"
    # QUEUED: never superseded; the oldest waiting one enters first.
    assert decide("QUEUED", me, [holder, newer], True) == "wait"
    assert decide("QUEUED", me, [older], True) == "wait"
    assert decide("QUEUED", me, [newer], True) == "enter"
    # PARALLEL: nobody waits for anybody.
    assert decide("PARALLEL", me, [holder, older, newer], True) == "enter"
    # A disabled transition holds every mode.
    for mode in ("SUPERSEDED", "QUEUED", "PARALLEL"):
        assert decide(mode, me, [], False) == "wait"
    # Other stages do not matter.
    assert decide("QUEUED", me, [_pos(1, 0, False), _pos(1, 2, True)], True) == "enter"


def _source() -> dict[str, Any]:
    return {
        "name": "Source",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"},
        "outputArtifacts": [{"name": "Out"}],
        "roleArn": "arn:aws:iam::111111111111:role/src",
    }


def _gate(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Gate",
        "actionTypeId": {
            "category": "Approval",
            "owner": "AWS",
            "provider": "Manual",
            "version": "1",
        },
        **extra,
    }


def _pipeline(*stages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "p",
        "roleArn": "arn:aws:iam::111111111111:role/pipe",
        "artifactStore": {"type": "S3", "location": "art"},
        "stages": list(stages),
        **extra,
    }


def test_structure_defaults_and_roles() -> None:
    out = check_declaration(
        _pipeline(
            {"name": "S", "actions": [_source()]},
            {"name": "G", "actions": [_gate()]},
        ),
        KNOWN,
        "us-east-1",
    )
    assert out["pipelineType"] == "V1"
    assert out["executionMode"] == "SUPERSEDED"
    assert out["stages"][1]["actions"][0]["runOrder"] == 1
    assert roles_of(out) == [
        "arn:aws:iam::111111111111:role/pipe",
        "arn:aws:iam::111111111111:role/src",
    ]


def test_structure_errors() -> None:
    with pytest.raises(InvalidStructure) as caught:
        check_declaration(
            _pipeline({"name": "S", "actions": [_source()]}, {"name": "S", "actions": [_gate()]}),
            KNOWN,
            "us-east-1",
        )
    assert caught.value.message == "Stage name 'S' is not unique: stage names must be unique"
    with pytest.raises(InvalidStructure) as caught:
        check_declaration(
            _pipeline(
                {"name": "S", "actions": [_source(), _source()]},
                {"name": "G", "actions": [_gate()]},
            ),
            KNOWN,
            "us-east-1",
        )
    assert caught.value.message == "Action name 'Source' is not unique in stage 'S'"
    second = {**_source(), "name": "Other"}
    with pytest.raises(InvalidStructure) as caught:
        check_declaration(
            _pipeline(
                {"name": "S", "actions": [_source(), second]},
                {"name": "G", "actions": [_gate()]},
            ),
            KNOWN,
            "us-east-1",
        )
    assert caught.value.message == "Output artifact name 'Out' is not unique in the pipeline"
    with pytest.raises(InvalidActionDeclaration) as declared:
        check_declaration(
            _pipeline(
                {"name": "S", "actions": [_source()]},
                {"name": "G", "actions": [_gate(configuration={"Nope": "x"})]},
            ),
            KNOWN,
            "us-east-1",
        )
    assert declared.value.message == (
        "Action configuration for action 'Gate' contains unknown configuration 'Nope'"
    )
    with pytest.raises(InvalidStructure) as caught:
        check_declaration(
            _pipeline(
                {"name": "S", "actions": [_source()]},
                {"name": "G", "actions": [_gate()]},
                artifactStore=None,
            ),
            KNOWN,
            "us-east-1",
        )
    assert caught.value.message == "Pipeline must have an artifactStore or artifactStores"


def test_artifact_key_layout() -> None:
    key = artifact_key("a-very-long-pipeline-name-indeed", "SourceArtifact")
    pipeline, artifact, suffix = key.split("/")
    assert pipeline == "a-very-long-pipeline"
    assert artifact == "SourceArti"
    assert len(suffix) == 7 and suffix.isalnum()
    assert artifact_key("p", "a") != artifact_key("p", "a")


def test_pushed_revisions() -> None:
    from airlock.codepipeline.target import pushed_revisions

    source = {
        "name": "Src",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit"},
        "configuration": {"RepositoryName": "app", "BranchName": "main"},
    }
    declaration = {"stages": [{"name": "Source", "actions": [source]}]}
    detail = {"repositoryName": "app", "referenceName": "main", "commitId": "c" * 40}
    event: dict[str, Any] = {"source": "aws.codecommit", "detail": detail}
    assert pushed_revisions(declaration, event) == [
        {"actionName": "Src", "revisionType": "COMMIT_ID", "revisionValue": "c" * 40}
    ]
    other = {**event, "detail": {**detail, "referenceName": "dev"}}
    assert pushed_revisions(declaration, other) == []
    assert pushed_revisions(declaration, {"source": "ml", "detail": {}}) == []
