"""Unit tests of what a project adds to its launch: parameters, tags, tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from airlock.sagemaker.projects.models import Project
from airlock.sagemaker.projects.worker import _request, project_parameters, project_tags


def _project(phase: str = "provision", **extra: object) -> Project:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    values: dict[str, object] = {
        "account_id": "111122223333",
        "region": "us-east-1",
        "name": "iris",
        "project_id": "p-abc123def456",
        "arn": "arn:aws:sagemaker:us-east-1:111122223333:project/iris",
        "status": "Pending",
        "phase": phase,
        "provisioning": {
            "ProductId": "prod-1",
            "ProvisioningArtifactId": "pa-1",
            "ProvisioningParameters": [{"Key": "Size", "Value": "2"}],
        },
        "tags": [{"Key": "team", "Value": "ml"}],
        "principal": {},
        "created_by": {},
        "next_check_at": now,
        "created_at": now,
        "modified_at": now,
        "updates": 0,
        **extra,
    }
    return Project(**values)


def test_the_project_parameters_are_added_and_win() -> None:
    row = _project()
    given = [
        {"Key": "Size", "Value": "2"},
        {"Key": "SageMakerProjectName", "Value": "spoofed"},
    ]
    assert project_parameters(row, given) == [
        {"Key": "Size", "Value": "2"},
        {"Key": "SageMakerProjectName", "Value": "iris"},
        {"Key": "SageMakerProjectId", "Value": "p-abc123def456"},
    ]


def test_the_project_tags_are_added_and_win() -> None:
    row = _project()
    assert project_tags(row, [{"Key": "sagemaker:project-id", "Value": "x"}, *row.tags]) == [
        {"Key": "team", "Value": "ml"},
        {"Key": "sagemaker:project-name", "Value": "iris"},
        {"Key": "sagemaker:project-id", "Value": "p-abc123def456"},
    ]


def test_tokens_are_derived_from_the_project() -> None:
    operation, params = _request(_project())
    assert operation == "ProvisionProduct"
    assert params["ProvisionToken"] == "p-abc123def456"
    assert params["ProvisionedProductName"] == "iris-p-abc123def456"
    update = _project("update", pp_id="pp-1", updates=3, status="UpdateInProgress")
    assert _request(update)[1]["UpdateToken"] == "p-abc123def456-update-3"
    assert _request(update) == _request(update)
    terminate = _project("terminate", pp_id="pp-1", updates=4, status="DeleteInProgress")
    operation, params = _request(terminate)
    assert (operation, params["TerminateToken"]) == (
        "TerminateProvisionedProduct",
        "p-abc123def456-delete-4",
    )
