"""Launching products through boto3: as the launch role, as the caller, and refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.servicecatalog.support import (
    BROKEN_STACK,
    TEMPLATE,
    catalog,
    end_user,
    error_of,
    make_role,
    put_template,
    settled,
    trail,
)
from tests.support import LiveServer

END_USER = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "servicecatalog:*", "Resource": "*"}],
}


def launch(sc: Any, ids: dict[str, str], name: str, group: str, **extra: Any) -> dict[str, Any]:
    """ProvisionProduct of the catalog's product with a GroupName."""
    args: dict[str, Any] = {
        "ProductId": ids["product"],
        "ProvisioningArtifactId": ids["artifact"],
        "ProvisionedProductName": name,
        "ProvisioningParameters": [{"Key": "GroupName", "Value": group}],
        "ProvisionToken": uuid.uuid4().hex,
    }
    args.update(extra)
    out: dict[str, Any] = sc.provision_product(**args)["RecordDetail"]
    return out


def groups(server: LiveServer, prefix: str) -> dict[str, int | None]:
    """The account's log groups under a prefix, with their retention."""
    found = server.client("logs").describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    return {g["logGroupName"]: g.get("retentionInDays") for g in found}


def test_launch_update_and_terminate_as_the_launch_role(
    server_on_each_database: LiveServer,
) -> None:
    server = server_on_each_database
    account = server.first_account_id()
    role = make_role(server, "launch")
    ids = catalog(server, launch_role=role)
    admin = server.client("servicecatalog")
    user, user_arn = end_user(server, "scientist", END_USER)
    assert user.search_products()["ProductViewSummaries"] == []
    admin.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"], PrincipalARN=user_arn, PrincipalType="IAM"
    )
    found = user.search_products()["ProductViewSummaries"]
    assert [(p["ProductId"], p["HasDefaultPath"]) for p in found] == [(ids["product"], True)]
    described = user.describe_product(Id=ids["product"])
    assert [a["Id"] for a in described["ProvisioningArtifacts"]] == [ids["artifact"]]
    assert len(described["LaunchPaths"]) == 1

    token = uuid.uuid4().hex
    record = launch(
        user, ids, "logs", "team-logs", ProvisionToken=token, Tags=[{"Key": "k", "Value": "v"}]
    )
    assert record["Status"] == "CREATED"
    assert record["RecordType"] == "PROVISION_PRODUCT"
    assert record["LaunchRoleArn"] == role
    assert record["RecordTags"] == [{"Key": "k", "Value": "v"}]
    pp_id = record["ProvisionedProductId"]
    assert pp_id.startswith("pp-")
    # The same token is the same launch.
    again = launch(user, ids, "logs", "team-logs", ProvisionToken=token)
    assert again["RecordId"] == record["RecordId"]
    with pytest.raises(ClientError) as excinfo:
        launch(user, ids, "logs", "other-logs")
    assert error_of(excinfo) == (
        "DuplicateResourceException",
        "A provisioned product with the name logs already exists.",
    )

    done = settled(user, record["RecordId"])
    assert done["RecordDetail"]["Status"] == "SUCCEEDED", done["RecordDetail"]["RecordErrors"]
    outputs = {o["OutputKey"]: o for o in done["RecordOutputs"]}
    stack_id = outputs["CloudformationStackARN"]["OutputValue"]
    assert f":stack/SC-{account}-{pp_id}/" in stack_id
    assert outputs["GroupArn"]["OutputValue"].startswith(
        f"arn:aws:logs:{server.settings.region}:{account}:log-group:team-logs"
    )
    assert outputs["GroupArn"]["Description"] == "The group's ARN"
    assert groups(server, "team-logs") == {"team-logs": 7, "team-logs-kept": None}
    # The launch's tags are the stack's, which CloudFormation passes on to its resources.
    stack = server.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]
    assert stack["Tags"] == [{"Key": "k", "Value": "v"}]

    # The stack was made by the launch role, assumed by Service Catalog.
    creates = trail(server, "CreateStack")
    assert len(creates) == 1
    identity = creates[0]["userIdentity"]
    assert identity["arn"].startswith(f"arn:aws:sts::{account}:assumed-role/launch/")
    assert identity["invokedBy"] == "servicecatalog.amazonaws.com"

    detail = user.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]
    assert (detail["Status"], detail["Name"], detail["LaunchRoleArn"]) == (
        "AVAILABLE",
        "logs",
        role,
    )
    assert detail["LastSuccessfulProvisioningRecordId"] == record["RecordId"]
    assert detail["Arn"] == (
        f"arn:aws:servicecatalog:{server.settings.region}:{account}:stack/logs/{pp_id}"
    )
    assert user.describe_provisioned_product(Name="logs")["ProvisionedProductDetail"]["Id"] == pp_id
    searched = user.search_provisioned_products()["ProvisionedProducts"]
    assert [(p["Id"], p["PhysicalId"], p["ProductName"], p["UserArn"]) for p in searched] == [
        (pp_id, stack_id, "Log group", user_arn)
    ]
    assert [p["Id"] for p in user.scan_provisioned_products()["ProvisionedProducts"]] == [pp_id]
    queried = user.search_provisioned_products(Filters={"SearchQuery": ["name:logs"]})
    assert [p["Id"] for p in queried["ProvisionedProducts"]] == [pp_id]
    assert queried["TotalResultsCount"] == 1
    missed = user.search_provisioned_products(Filters={"SearchQuery": ["name:other"]})
    assert missed["ProvisionedProducts"] == [] and missed["TotalResultsCount"] == 0
    by_product = user.list_record_history(
        SearchFilter={"Key": "provisionedproduct", "Value": pp_id}
    )["RecordDetails"]
    assert [r["RecordId"] for r in by_product] == [record["RecordId"]]
    # Another principal of the account sees it only when asking for the account's.
    assert admin.scan_provisioned_products()["ProvisionedProducts"] == []
    everything = admin.scan_provisioned_products(
        AccessLevelFilter={"Key": "Account", "Value": "self"}
    )
    assert [p["Id"] for p in everything["ProvisionedProducts"]] == [pp_id]

    # Update: new parameter values → UpdateStack as the launch role.
    update = user.update_provisioned_product(
        ProvisionedProductId=pp_id,
        ProvisioningParameters=[
            {"Key": "GroupName", "UsePreviousValue": True},
            {"Key": "Retention", "Value": "30"},
        ],
        UpdateToken=uuid.uuid4().hex,
    )["RecordDetail"]
    assert update["RecordType"] == "UPDATE_PROVISIONED_PRODUCT"
    assert user.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]["Status"] == (
        "UNDER_CHANGE"
    )
    with pytest.raises(ClientError) as excinfo:
        user.terminate_provisioned_product(ProvisionedProductId=pp_id, TerminateToken="t")
    assert error_of(excinfo) == (
        "InvalidStateException",
        f"Provisioned product {pp_id} is UNDER_CHANGE; wait until its current operation ends.",
    )
    assert settled(user, update["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert groups(server, "team-logs")["team-logs"] == 30
    assert [e["userIdentity"]["invokedBy"] for e in trail(server, "UpdateStack")] == [
        "servicecatalog.amazonaws.com"
    ]

    # Terminate: the stack goes, the Retain resource stays.
    terminate = user.terminate_provisioned_product(
        ProvisionedProductName="logs", TerminateToken=uuid.uuid4().hex
    )["RecordDetail"]
    assert terminate["RecordType"] == "TERMINATE_PROVISIONED_PRODUCT"
    assert settled(user, terminate["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert groups(server, "team-logs") == {"team-logs-kept": None}
    with pytest.raises(ClientError) as excinfo:
        user.describe_provisioned_product(Id=pp_id)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Provisioned product {pp_id} not found.",
    )
    history = admin.list_record_history(AccessLevelFilter={"Key": "Account", "Value": "self"})
    assert [r["RecordType"] for r in history["RecordDetails"]] == [
        "TERMINATE_PROVISIONED_PRODUCT",
        "UPDATE_PROVISIONED_PRODUCT",
        "PROVISION_PRODUCT",
    ]
    assert {r["Status"] for r in history["RecordDetails"]} == {"SUCCEEDED"}
    deletes = trail(server, "DeleteStack")
    assert [e["userIdentity"]["invokedBy"] for e in deletes] == ["servicecatalog.amazonaws.com"]


def test_launch_without_access_is_refused(server: LiveServer) -> None:
    role = make_role(server, "launch")
    ids = catalog(server, launch_role=role)
    admin = server.client("servicecatalog")
    stranger, _ = end_user(server, "stranger", END_USER)
    with pytest.raises(ClientError) as excinfo:
        launch(stranger, ids, "logs", "team-logs")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"No launch paths found for resource: {ids['product']}",
    )
    with pytest.raises(ClientError) as excinfo:
        stranger.describe_product(Id=ids["product"])
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Product {ids['product']} not found.",
    )
    with pytest.raises(ClientError) as excinfo:
        stranger.describe_provisioning_parameters(
            ProductId=ids["product"], ProvisioningArtifactId=ids["artifact"]
        )
    assert error_of(excinfo)[0] == "ResourceNotFoundException"

    # Associated, but IAM does not allow servicecatalog:ProvisionProduct.
    reader, reader_arn = end_user(
        server,
        "reader",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "servicecatalog:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "servicecatalog:ProvisionProduct", "Resource": "*"},
            ],
        },
    )
    admin.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"], PrincipalARN=reader_arn, PrincipalType="IAM"
    )
    assert [p["ProductId"] for p in reader.search_products()["ProductViewSummaries"]] == [
        ids["product"]
    ]
    with pytest.raises(ClientError) as excinfo:
        launch(reader, ids, "logs", "team-logs")
    code, message = error_of(excinfo)
    assert code == "AccessDeniedException"
    assert f"{reader_arn} is not authorized to perform: servicecatalog:ProvisionProduct" in message
    assert trail(server, "CreateStack") == []


def test_access_through_a_group_and_a_pattern(server: LiveServer) -> None:
    account = server.first_account_id()
    ids = catalog(server, launch_role=make_role(server, "launch"))
    admin = server.client("servicecatalog")
    iam = server.client("iam")
    member, member_arn = end_user(server, "member", END_USER)
    iam.create_group(GroupName="analysts")
    iam.add_user_to_group(GroupName="analysts", UserName="member")
    assert member.search_products()["ProductViewSummaries"] == []
    admin.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN=f"arn:aws:iam::{account}:group/analysts",
        PrincipalType="IAM",
    )
    assert len(member.search_products()["ProductViewSummaries"]) == 1
    patterned, _ = end_user(server, "team-bob", END_USER)
    assert patterned.search_products()["ProductViewSummaries"] == []
    admin.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN="arn:aws:iam:::user/team-*",
        PrincipalType="IAM_PATTERN",
    )
    record = launch(patterned, ids, "by-pattern", "pattern-logs")
    assert settled(patterned, record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert member_arn


@pytest.mark.parametrize(
    ("trust", "exists"),
    [("codebuild.amazonaws.com", True), ("servicecatalog.amazonaws.com", False)],
)
def test_unassumable_launch_role_fails_the_record(
    server: LiveServer, trust: str, exists: bool
) -> None:
    account = server.first_account_id()
    role = (
        make_role(server, "launch", trusted=trust)
        if exists
        else f"arn:aws:iam::{account}:role/missing"
    )
    ids = catalog(server, launch_role=role)
    sc = server.client("servicecatalog")
    sc.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN=f"arn:aws:iam::{account}:root",
        PrincipalType="IAM",
    )
    record = launch(sc, ids, "logs", "team-logs")
    done = settled(sc, record["RecordId"])["RecordDetail"]
    assert done["Status"] == "FAILED"
    assert done["RecordErrors"] == [
        {"Code": "AccessDenied", "Description": f"Access denied while assuming the role {role}."}
    ]
    detail = sc.describe_provisioned_product(Id=record["ProvisionedProductId"])[
        "ProvisionedProductDetail"
    ]
    assert (detail["Status"], detail["StatusMessage"]) == (
        "ERROR",
        f"Access denied while assuming the role {role}.",
    )
    assert trail(server, "CreateStack") == []
    # With no stack made, terminating needs no role and ends at once.
    terminate = sc.terminate_provisioned_product(
        ProvisionedProductId=record["ProvisionedProductId"], TerminateToken=uuid.uuid4().hex
    )["RecordDetail"]
    assert settled(sc, terminate["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert trail(server, "DeleteStack") == []


def test_without_a_launch_constraint_the_caller_launches(server: LiveServer) -> None:
    ids = catalog(server)
    admin = server.client("servicecatalog")
    weak, weak_arn = end_user(server, "weak", END_USER)
    strong, strong_arn = end_user(server, "strong")
    for arn in (weak_arn, strong_arn):
        admin.associate_principal_with_portfolio(
            PortfolioId=ids["portfolio"], PrincipalARN=arn, PrincipalType="IAM"
        )
    record = launch(strong, ids, "mine", "strong-logs")
    assert "LaunchRoleArn" not in record
    assert settled(strong, record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    creates = trail(server, "CreateStack")
    assert [(e["userIdentity"]["arn"], e["userIdentity"]["invokedBy"]) for e in creates] == [
        (strong_arn, "servicecatalog.amazonaws.com")
    ]
    # A caller that may not use CloudFormation gets a failed record.
    failed = launch(weak, ids, "theirs", "weak-logs")
    done = settled(weak, failed["RecordId"])["RecordDetail"]
    assert done["Status"] == "FAILED"
    assert done["RecordErrors"][0]["Code"] == "AccessDenied"
    assert "cloudformation:CreateStack" in done["RecordErrors"][0]["Description"]
    assert (
        weak.describe_provisioned_product(Name="theirs")["ProvisionedProductDetail"]["Status"]
        == "ERROR"
    )


def test_failed_stack_fails_the_record(server: LiveServer) -> None:
    account = server.first_account_id()
    ids = catalog(server, launch_role=make_role(server, "launch"), body=BROKEN_STACK)
    sc = server.client("servicecatalog")
    sc.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN=f"arn:aws:iam::{account}:root",
        PrincipalType="IAM",
    )
    record = sc.provision_product(
        ProductId=ids["product"],
        ProvisionedProductName="broken",
        ProvisionToken=uuid.uuid4().hex,
    )["RecordDetail"]
    done = settled(sc, record["RecordId"])["RecordDetail"]
    assert done["Status"] == "FAILED"
    assert done["RecordErrors"][0]["Description"].startswith("Role: ")
    assert (
        sc.describe_provisioned_product(Name="broken")["ProvisionedProductDetail"]["Status"]
        == "ERROR"
    )


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ([], "Parameters: [GroupName] must have values"),
        (
            [{"Key": "GroupName", "Value": "abc"}, {"Key": "Color", "Value": "red"}],
            "Parameter Color is not defined in the template.",
        ),
        (
            [{"Key": "GroupName", "Value": "Upper"}],
            "Parameter 'GroupName' failed to satisfy constraint: Malformed input-Parameter "
            "GroupName must match pattern [a-z0-9-]+",
        ),
        (
            [{"Key": "GroupName", "Value": "abc"}, {"Key": "Retention", "Value": "2"}],
            "Parameter 'Retention' must be one of AllowedValues",
        ),
    ],
)
def test_provisioning_parameters_are_checked(
    server: LiveServer, parameters: list[dict[str, str]], message: str
) -> None:
    account = server.first_account_id()
    ids = catalog(server)
    sc = server.client("servicecatalog")
    sc.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN=f"arn:aws:iam::{account}:root",
        PrincipalType="IAM",
    )
    with pytest.raises(ClientError) as excinfo:
        launch(sc, ids, "p", "x", ProvisioningParameters=parameters)
    assert error_of(excinfo) == ("InvalidParametersException", message)
    assert (
        sc.scan_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"})[
            "ProvisionedProducts"
        ]
        == []
    )


def test_update_to_new_versions_and_a_failed_update_taints(server: LiveServer) -> None:
    account = server.first_account_id()
    ids = catalog(server, launch_role=make_role(server, "launch"))
    sc = server.client("servicecatalog")
    sc.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN=f"arn:aws:iam::{account}:root",
        PrincipalType="IAM",
    )
    record = launch(sc, ids, "versions", "versioned")
    assert settled(sc, record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    pp_id = record["ProvisionedProductId"]

    def version(name: str, body: str) -> str:
        out = sc.create_provisioning_artifact(
            ProductId=ids["product"],
            Parameters={
                "Name": name,
                "Info": {"LoadTemplateFromURL": put_template(server, body)},
                "Type": "CLOUD_FORMATION_TEMPLATE",
            },
            IdempotencyToken=uuid.uuid4().hex,
        )
        return str(out["ProvisioningArtifactDetail"]["Id"])

    v2 = version("v2", TEMPLATE.replace("Default: '7'", "Default: '1'"))
    update = sc.update_provisioned_product(
        ProvisionedProductId=pp_id,
        ProvisioningArtifactId=v2,
        ProvisioningParameters=[{"Key": "GroupName", "UsePreviousValue": True}],
        UpdateToken=uuid.uuid4().hex,
    )["RecordDetail"]
    assert update["ProvisioningArtifactId"] == v2
    assert settled(sc, update["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert groups(server, "versioned")["versioned"] == 1
    detail = sc.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]
    assert (detail["Status"], detail["ProvisioningArtifactId"]) == ("AVAILABLE", v2)
    assert detail["LastSuccessfulProvisioningRecordId"] == update["RecordId"]

    # A version whose stack update fails: the record fails, the product is TAINTED and
    # keeps the version it had.
    broken = TEMPLATE.replace(
        "      RetentionInDays: !Ref Retention\n", "      RetentionInDays: 4\n"
    )
    v3 = version("v3", broken)
    failed = sc.update_provisioned_product(
        ProvisionedProductId=pp_id,
        ProvisioningArtifactId=v3,
        ProvisioningParameters=[{"Key": "GroupName", "UsePreviousValue": True}],
        UpdateToken=uuid.uuid4().hex,
    )["RecordDetail"]
    done = settled(sc, failed["RecordId"])["RecordDetail"]
    assert done["Status"] == "FAILED"
    assert done["RecordErrors"][0]["Description"].startswith("Group: ")
    detail = sc.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]
    assert (detail["Status"], detail["ProvisioningArtifactId"]) == ("TAINTED", v2)
    assert detail["StatusMessage"] == done["RecordErrors"][0]["Description"]
    assert groups(server, "versioned")["versioned"] == 1
