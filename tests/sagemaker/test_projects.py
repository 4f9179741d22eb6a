"""SageMaker projects through boto3: launched from a Service Catalog product as the caller."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.servicecatalog.support import error_of, trail
from tests.support import LiveServer, wait_for

from .projects_support import (
    BROKEN,
    project_catalog,
    project_status,
    scientist,
)


def _create(sm: Any, ids: dict[str, str], name: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = sm.create_project(
        ProjectName=name,
        ProjectDescription="iris models",
        ServiceCatalogProvisioningDetails={
            "ProductId": ids["product"],
            "ProvisioningParameters": [{"Key": "Retention", "Value": "30"}],
        },
        Tags=[{"Key": "team", "Value": "ml"}],
        **extra,
    )
    return out


def test_create_project_provisions_its_product_as_the_caller(server: LiveServer) -> None:
    sm, user_arn = scientist(server)
    ids = project_catalog(server, principal=user_arn)
    account = server.first_account_id()
    created = _create(sm, ids, "iris-multi-01")
    project_id = created["ProjectId"]
    assert project_id.startswith("p-")
    region = server.settings.region
    assert created["ProjectArn"] == f"arn:aws:sagemaker:{region}:{account}:project/iris-multi-01"
    first = sm.describe_project(ProjectName="iris-multi-01")
    assert first["ProjectStatus"] in ("Pending", "CreateInProgress", "CreateCompleted")

    done = project_status(sm, "iris-multi-01", ("CreateCompleted", "CreateFailed"))
    assert done["ProjectStatus"] == "CreateCompleted", done
    assert done["ProjectId"] == project_id
    assert done["ProjectDescription"] == "iris models"
    # The version defaults to the product's newest.
    assert done["ServiceCatalogProvisioningDetails"] == {
        "ProductId": ids["product"],
        "ProvisioningArtifactId": ids["artifact"],
        "ProvisioningParameters": [{"Key": "Retention", "Value": "30"}],
    }
    assert done["CreatedBy"]["IamIdentity"]["Arn"] == user_arn
    pp_id = done["ServiceCatalogProvisionedProductDetails"]["ProvisionedProductId"]
    assert pp_id.startswith("pp-")

    # The stack got the project's parameters, and its tags reached both resources.
    bucket = f"sagemaker-iris-multi-01-{project_id}"
    tags = server.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"]
    wanted = {"sagemaker:project-name": "iris-multi-01", "sagemaker:project-id": project_id}
    assert {t["Key"]: t["Value"] for t in tags}.items() >= {**wanted, "team": "ml"}.items()
    logs = server.client("logs")
    group = logs.describe_log_groups(logGroupNamePrefix="/sagemaker/iris-multi-01")["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in group] == [
        ("/sagemaker/iris-multi-01", 30)
    ]
    group_tags = logs.list_tags_for_resource(resourceArn=group[0]["arn"].removesuffix(":*"))
    assert group_tags["tags"].items() >= wanted.items()

    # The launch was the caller's, made via SageMaker; the stack the launch role's.
    provisions = trail(server, "ProvisionProduct")
    assert len(provisions) == 1
    assert provisions[0]["userIdentity"]["arn"] == user_arn
    assert provisions[0]["userIdentity"]["invokedBy"] == "sagemaker.amazonaws.com"
    sc = server.client("servicecatalog")
    pp = sc.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]
    assert pp["Status"] == "AVAILABLE"
    assert pp["IdempotencyToken"] == project_id

    listed = sm.list_projects()["ProjectSummaryList"]
    assert [(p["ProjectName"], p["ProjectStatus"]) for p in listed] == [
        ("iris-multi-01", "CreateCompleted")
    ]
    with pytest.raises(ClientError) as excinfo:
        _create(sm, ids, "iris-multi-01")
    assert error_of(excinfo) == ("ValidationException", "Project iris-multi-01 already exists.")


def test_a_failing_resource_fails_the_project_with_the_reason(server: LiveServer) -> None:
    sm, user_arn = scientist(server)
    ids = project_catalog(server, body=BROKEN, principal=user_arn)
    sm.create_project(
        ProjectName="broken", ServiceCatalogProvisioningDetails={"ProductId": ids["product"]}
    )
    done = project_status(sm, "broken", ("CreateCompleted", "CreateFailed"))
    assert done["ProjectStatus"] == "CreateFailed"
    message = done["ServiceCatalogProvisionedProductDetails"]["ProvisionedProductStatusMessage"]
    assert message.startswith("Role: ")
    assert "policy" in message.lower()
    # A project whose launch failed is deleted with its provisioned product.
    sm.delete_project(ProjectName="broken")
    wait_for(lambda: sm.list_projects()["ProjectSummaryList"] == [], what="the project to go")


def test_product_must_be_visible_and_launchable(server: LiveServer) -> None:
    sm, user_arn = scientist(server)
    hidden = project_catalog(server, tags=[], principal=user_arn)
    with pytest.raises(ClientError) as excinfo:
        sm.create_project(
            ProjectName="hidden", ServiceCatalogProvisioningDetails={"ProductId": hidden["product"]}
        )
    assert error_of(excinfo) == (
        "ValidationException",
        f"Product {hidden['product']} is not available to SageMaker projects: it must be tagged "
        "sagemaker:studio-visibility=true.",
    )
    # Tagged, but the caller has no launch path to it.
    closed = project_catalog(server)
    with pytest.raises(ClientError) as excinfo:
        sm.create_project(
            ProjectName="closed", ServiceCatalogProvisioningDetails={"ProductId": closed["product"]}
        )
    assert error_of(excinfo) == (
        "ValidationException",
        f"Product {closed['product']} does not exist or access was denied.",
    )
    with pytest.raises(ClientError) as excinfo:
        sm.create_project(
            ProjectName="versionless",
            ServiceCatalogProvisioningDetails={
                "ProductId": hidden["product"],
                "ProvisioningArtifactId": "pa-doesnotexist",
            },
        )
    assert error_of(excinfo)[0] == "ValidationException"
    assert sm.list_projects()["ProjectSummaryList"] == []
    assert trail(server, "ProvisionProduct") == []


def test_list_filters_sorts_and_pages(server: LiveServer) -> None:
    sm, user_arn = scientist(server)
    ids = project_catalog(server, principal=user_arn)
    for name in ("beta", "alpha", "gamma"):
        sm.create_project(
            ProjectName=name, ServiceCatalogProvisioningDetails={"ProductId": ids["product"]}
        )
    for name in ("beta", "alpha", "gamma"):
        project_status(sm, name, ("CreateCompleted",))
    newest_first = [p["ProjectName"] for p in sm.list_projects()["ProjectSummaryList"]]
    assert newest_first == ["gamma", "alpha", "beta"]
    by_name = sm.list_projects(SortBy="Name", SortOrder="Ascending")["ProjectSummaryList"]
    assert [p["ProjectName"] for p in by_name] == ["alpha", "beta", "gamma"]
    assert [
        p["ProjectName"] for p in sm.list_projects(NameContains="mm")["ProjectSummaryList"]
    ] == ["gamma"]
    first = sm.list_projects(MaxResults=2, SortBy="Name", SortOrder="Ascending")
    assert [p["ProjectName"] for p in first["ProjectSummaryList"]] == ["alpha", "beta"]
    rest = sm.list_projects(
        MaxResults=2, SortBy="Name", SortOrder="Ascending", NextToken=first["NextToken"]
    )
    assert [p["ProjectName"] for p in rest["ProjectSummaryList"]] == ["gamma"]
    alpha = sm.describe_project(ProjectName="alpha")["CreationTime"]
    after = sm.list_projects(CreationTimeAfter=alpha, SortOrder="Ascending")
    assert [p["ProjectName"] for p in after["ProjectSummaryList"]] == ["gamma"]


def test_update_and_delete(server: LiveServer) -> None:
    sm, user_arn = scientist(server)
    ids = project_catalog(server, principal=user_arn)
    created = _create(sm, ids, "iris")
    # The launch takes several calls and polls: right after CreateProject it is under way.
    status = sm.describe_project(ProjectName="iris")["ProjectStatus"]
    assert status in ("Pending", "CreateInProgress")
    with pytest.raises(ClientError) as excinfo:
        sm.delete_project(ProjectName="iris")
    code, message = error_of(excinfo)
    assert code == "ConflictException"
    assert message.startswith("Project iris is in ")
    assert message.endswith("cannot be deleted now; wait until its current operation ends.")
    project_status(sm, "iris", ("CreateCompleted",))

    sm.update_project(ProjectName="iris", ProjectDescription="new words")
    assert sm.describe_project(ProjectName="iris")["ProjectDescription"] == "new words"
    sm.update_project(
        ProjectName="iris",
        ServiceCatalogProvisioningUpdateDetails={
            "ProvisioningArtifactId": ids["artifact"],
            "ProvisioningParameters": [{"Key": "Retention", "Value": "1"}],
        },
    )
    done = project_status(sm, "iris", ("UpdateCompleted", "UpdateFailed"))
    assert done["ProjectStatus"] == "UpdateCompleted", done
    assert done["LastModifiedBy"]["IamIdentity"]["Arn"] == user_arn
    groups = server.client("logs").describe_log_groups(logGroupNamePrefix="/sagemaker/iris")
    assert [g["retentionInDays"] for g in groups["logGroups"]] == [1]
    updates = trail(server, "UpdateProvisionedProduct")
    assert [e["userIdentity"]["invokedBy"] for e in updates] == ["sagemaker.amazonaws.com"]
    # New tags reach the project and, through the stack, its resources.
    assert sm.list_tags(ResourceArn=created["ProjectArn"])["Tags"] == [
        {"Key": "team", "Value": "ml"}
    ]
    sm.update_project(ProjectName="iris", Tags=[{"Key": "team", "Value": "research"}])
    project_status(sm, "iris", ("UpdateCompleted",))
    wait_for(
        lambda: (
            sm.describe_project(ProjectName="iris")["ProjectStatus"] == "UpdateCompleted"
            and sm.list_tags(ResourceArn=created["ProjectArn"])["Tags"]
            == [{"Key": "team", "Value": "research"}]
        ),
        what="the new tags",
    )
    pp_id = done["ServiceCatalogProvisionedProductDetails"]["ProvisionedProductId"]
    stack_id = server.client("servicecatalog").describe_provisioned_product(Id=pp_id)[
        "ProvisionedProductDetail"
    ]
    stacks = server.client("cloudformation").describe_stacks()["Stacks"]
    stack = next(x for x in stacks if x["StackName"].endswith(stack_id["Id"]))
    assert {t["Key"]: t["Value"] for t in stack["Tags"]} == {
        "team": "research",
        "sagemaker:project-name": "iris",
        "sagemaker:project-id": created["ProjectId"],
    }

    sm.delete_project(ProjectName="iris")
    status = sm.describe_project(ProjectName="iris")["ProjectStatus"]
    assert status in ("DeleteInProgress",)
    wait_for(lambda: sm.list_projects()["ProjectSummaryList"] == [], what="the project to go")
    with pytest.raises(ClientError) as excinfo:
        sm.describe_project(ProjectName="iris")
    assert error_of(excinfo) == ("ValidationException", "Project iris does not exist.")
    project_id = created["ProjectId"]
    assert (
        server.client("logs").describe_log_groups(logGroupNamePrefix="/sagemaker/iris")["logGroups"]
        == []
    )
    terminations = trail(server, "TerminateProvisionedProduct")
    assert [e["userIdentity"]["arn"] for e in terminations] == [user_arn]
    buckets = [b["Name"] for b in server.client("s3").list_buckets()["Buckets"]]
    assert f"sagemaker-iris-{project_id}" not in buckets


def test_delete_fails_with_the_reason(server: LiveServer) -> None:
    sm, user_arn = scientist(server)
    ids = project_catalog(server, principal=user_arn)
    created = _create(sm, ids, "keeps")
    project_status(sm, "keeps", ("CreateCompleted",))
    bucket = f"sagemaker-keeps-{created['ProjectId']}"
    # A bucket that still holds an object cannot be deleted.
    server.client("s3").put_object(Bucket=bucket, Key="model.tar.gz", Body=b"weights")
    sm.delete_project(ProjectName="keeps")
    done = project_status(sm, "keeps", ("DeleteCompleted", "DeleteFailed"))
    assert done["ProjectStatus"] == "DeleteFailed"
    message = done["ServiceCatalogProvisionedProductDetails"]["ProvisionedProductStatusMessage"]
    assert "Artifacts" in message
    assert "not empty" in message.lower()
    # Emptied, the bucket goes, and so does the project.
    server.client("s3").delete_object(Bucket=bucket, Key="model.tar.gz")
    sm.delete_project(ProjectName="keeps")
    wait_for(lambda: sm.list_projects()["ProjectSummaryList"] == [], what="the project to go")


def test_projects_are_the_accounts_own(server: LiveServer) -> None:
    sm, user_arn = scientist(server)
    ids = project_catalog(server, principal=user_arn)
    sm.create_project(
        ProjectName="mine", ServiceCatalogProvisioningDetails={"ProductId": ids["product"]}
    )
    other = server.client("sagemaker", server.create_account("other"))
    assert other.list_projects()["ProjectSummaryList"] == []
    with pytest.raises(ClientError) as excinfo:
        other.describe_project(ProjectName="mine")
    assert error_of(excinfo) == ("ValidationException", "Project mine does not exist.")
    # Nor can another account launch the product: it is not shared with it.
    with pytest.raises(ClientError) as excinfo:
        other.create_project(
            ProjectName="theirs", ServiceCatalogProvisioningDetails={"ProductId": ids["product"]}
        )
    assert error_of(excinfo) == (
        "ValidationException",
        f"Product {ids['product']} does not exist or access was denied.",
    )
    project_status(sm, "mine", ("CreateCompleted",))


def test_create_project_needs_the_iam_action(server: LiveServer) -> None:
    iam = server.client("iam")
    arn = iam.create_user(UserName="reader")["User"]["Arn"]
    iam.attach_user_policy(
        UserName="reader", PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerReadOnly"
    )
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    sm = server.client("sagemaker", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    ids = project_catalog(server, principal=arn)
    with pytest.raises(ClientError) as excinfo:
        sm.create_project(
            ProjectName="nope", ServiceCatalogProvisioningDetails={"ProductId": ids["product"]}
        )
    code, message = error_of(excinfo)
    assert code == "AccessDeniedException"
    assert f"User: {arn} is not authorized to perform: sagemaker:CreateProject" in message
    assert sm.list_projects()["ProjectSummaryList"] == []


def test_a_template_without_the_project_parameters_fails_the_project(
    server: LiveServer,
) -> None:
    sm, user_arn = scientist(server)
    body = """\
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
"""
    ids = project_catalog(server, body=body, principal=user_arn)
    sm.create_project(
        ProjectName="bare", ServiceCatalogProvisioningDetails={"ProductId": ids["product"]}
    )
    done = project_status(sm, "bare", ("CreateCompleted", "CreateFailed"))
    assert done["ProjectStatus"] == "CreateFailed"
    message = done["ServiceCatalogProvisionedProductDetails"]["ProvisionedProductStatusMessage"]
    assert "SageMakerProjectName" in message
    # The launch was refused before it was recorded: no provisioned product to delete.
    assert "ProvisionedProductId" not in done["ServiceCatalogProvisionedProductDetails"]
    sm.delete_project(ProjectName="bare")
    assert sm.list_projects()["ProjectSummaryList"] == []
