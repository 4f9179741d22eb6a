"""Portfolio shares with accounts and organization nodes, and launches in the recipient."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.servicecatalog.support import catalog, error_of, make_role, settled, trail
from tests.support import LiveServer, wait_for


def local_launch_constraint(sc: Any, ids: dict[str, str], role: str = "launch") -> None:
    """A LAUNCH constraint naming the role by name, so it is each account's own."""
    sc.create_constraint(
        PortfolioId=ids["portfolio"],
        ProductId=ids["product"],
        Type="LAUNCH",
        Parameters=json.dumps({"LocalRoleName": role}),
        IdempotencyToken=uuid.uuid4().hex,
    )


def test_share_with_an_account(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    owner = server.client("servicecatalog")
    ids = catalog(server)
    local_launch_constraint(owner, ids)
    other = server.create_account("consumer")
    theirs = server.client("servicecatalog", other)
    with pytest.raises(ClientError) as excinfo:
        theirs.accept_portfolio_share(PortfolioId=ids["portfolio"])
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Portfolio {ids['portfolio']} not found.",
    )
    owner.create_portfolio_share(PortfolioId=ids["portfolio"], AccountId=other)
    # Sharing again has no effect.
    owner.create_portfolio_share(PortfolioId=ids["portfolio"], AccountId=other)
    shares = owner.describe_portfolio_shares(PortfolioId=ids["portfolio"], Type="ACCOUNT")
    assert [(s["PrincipalId"], s["Accepted"]) for s in shares["PortfolioShareDetails"]] == [
        (other, False)
    ]
    assert theirs.list_accepted_portfolio_shares()["PortfolioDetails"] == []
    theirs.accept_portfolio_share(PortfolioId=ids["portfolio"])
    # Imported portfolios are not the account's own.
    assert theirs.list_portfolios()["PortfolioDetails"] == []
    assert (
        theirs.describe_portfolio(Id=ids["portfolio"])["PortfolioDetail"]["Id"]
        == (ids["portfolio"])
    )
    assert [p["Id"] for p in theirs.list_accepted_portfolio_shares()["PortfolioDetails"]] == [
        ids["portfolio"]
    ]
    shares = owner.describe_portfolio_shares(PortfolioId=ids["portfolio"], Type="ACCOUNT")
    assert shares["PortfolioShareDetails"][0]["Accepted"] is True

    # The recipient gives its own principal access and launches as its own launch role.
    role = make_role(server, "launch", account=other)
    theirs.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN=f"arn:aws:iam::{other}:root",
        PrincipalType="IAM",
    )
    assert owner.list_principals_for_portfolio(PortfolioId=ids["portfolio"])["Principals"] == []
    found = theirs.search_products()["ProductViewSummaries"]
    assert [p["ProductId"] for p in found] == [ids["product"]]
    record = theirs.provision_product(
        ProductId=ids["product"],
        ProvisionedProductName="shared-logs",
        ProvisioningParameters=[{"Key": "GroupName", "Value": "shared-logs"}],
        ProvisionToken=uuid.uuid4().hex,
    )["RecordDetail"]
    assert record["LaunchRoleArn"] == role
    done = settled(theirs, record["RecordId"])
    assert done["RecordDetail"]["Status"] == "SUCCEEDED", done["RecordDetail"]["RecordErrors"]
    stack_arn = done["RecordOutputs"][0]["OutputValue"]
    assert stack_arn.split(":")[4] == other
    creates = trail(server, "CreateStack", other)
    assert creates[0]["userIdentity"]["arn"].startswith(
        f"arn:aws:sts::{other}:assumed-role/launch/"
    )
    groups = server.client("logs", other).describe_log_groups(logGroupNamePrefix="shared-logs")
    assert {g["logGroupName"] for g in groups["logGroups"]} == {"shared-logs", "shared-logs-kept"}

    # A recipient may give the portfolio back (and accept it again while it is shared).
    theirs.reject_portfolio_share(PortfolioId=ids["portfolio"])
    assert theirs.list_accepted_portfolio_shares()["PortfolioDetails"] == []
    assert theirs.search_products()["ProductViewSummaries"] == []
    with pytest.raises(ClientError) as excinfo:
        theirs.reject_portfolio_share(PortfolioId=ids["portfolio"])
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Portfolio {ids['portfolio']} not found.",
    )
    theirs.accept_portfolio_share(PortfolioId=ids["portfolio"])
    # Unsharing takes the portfolio away from the recipient.
    owner.delete_portfolio_share(PortfolioId=ids["portfolio"], AccountId=other)
    assert theirs.list_accepted_portfolio_shares()["PortfolioDetails"] == []
    assert theirs.search_products()["ProductViewSummaries"] == []
    with pytest.raises(ClientError) as excinfo:
        owner.delete_portfolio_share(PortfolioId=ids["portfolio"], AccountId=other)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Portfolio {ids['portfolio']} is not shared with {other}.",
    )


def test_a_role_of_the_owner_is_no_launch_role_elsewhere(server: LiveServer) -> None:
    owner = server.client("servicecatalog")
    role = make_role(server, "launch")
    ids = catalog(server, launch_role=role)
    other = server.create_account("consumer")
    theirs = server.client("servicecatalog", other)
    owner.create_portfolio_share(PortfolioId=ids["portfolio"], AccountId=other)
    theirs.accept_portfolio_share(PortfolioId=ids["portfolio"], PortfolioShareType="IMPORTED")
    theirs.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"], PrincipalARN=f"arn:aws:iam::{other}:root", PrincipalType="IAM"
    )
    record = theirs.provision_product(
        ProductId=ids["product"],
        ProvisionedProductName="x",
        ProvisioningParameters=[{"Key": "GroupName", "Value": "xxx"}],
        ProvisionToken=uuid.uuid4().hex,
    )["RecordDetail"]
    done = settled(theirs, record["RecordId"])["RecordDetail"]
    assert done["Status"] == "FAILED"
    assert done["RecordErrors"] == [
        {"Code": "AccessDenied", "Description": f"Access denied while assuming the role {role}."}
    ]


def _member(orgs: Any, name: str) -> str:
    request = orgs.create_account(AccountName=name, Email=f"{name}@example.com")
    request_id = request["CreateAccountStatus"]["Id"]

    def created() -> str | None:
        state = orgs.describe_create_account_status(CreateAccountRequestId=request_id)[
            "CreateAccountStatus"
        ]
        return state.get("AccountId") if state["State"] == "SUCCEEDED" else None

    return str(wait_for(created, what=f"account {name}"))


def test_share_with_an_organizational_unit(server: LiveServer) -> None:
    owner = server.client("servicecatalog")
    orgs = server.client("organizations")
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    root = orgs.list_roots()["Roots"][0]["Id"]
    unit = orgs.create_organizational_unit(ParentId=root, Name="staging")["OrganizationalUnit"][
        "Id"
    ]
    inside = _member(orgs, "inside")
    outside = _member(orgs, "outside")
    orgs.move_account(AccountId=inside, SourceParentId=root, DestinationParentId=unit)
    ids = catalog(server)
    local_launch_constraint(owner, ids)
    node = {"Type": "ORGANIZATIONAL_UNIT", "Value": unit}
    with pytest.raises(ClientError) as excinfo:
        owner.create_portfolio_share(PortfolioId=ids["portfolio"], OrganizationNode=node)
    assert error_of(excinfo) == (
        "InvalidStateException",
        "AWSOrganizationsAccess must be enabled in order to create a portfolio share to an "
        "organization node.",
    )
    assert owner.get_aws_organizations_access_status()["AccessStatus"] == "DISABLED"
    owner.enable_aws_organizations_access()
    assert owner.get_aws_organizations_access_status()["AccessStatus"] == "ENABLED"
    with pytest.raises(ClientError) as excinfo:
        owner.create_portfolio_share(
            PortfolioId=ids["portfolio"],
            OrganizationNode={"Type": "ORGANIZATIONAL_UNIT", "Value": "ou-abcd-12345678"},
        )
    assert error_of(excinfo) == (
        "InvalidParametersException",
        f"Organization node ou-abcd-12345678 is not in organization {org['Id']}.",
    )
    token = owner.create_portfolio_share(PortfolioId=ids["portfolio"], OrganizationNode=node)[
        "PortfolioShareToken"
    ]
    assert token
    shares = owner.describe_portfolio_shares(
        PortfolioId=ids["portfolio"], Type="ORGANIZATIONAL_UNIT"
    )
    assert [s["PrincipalId"] for s in shares["PortfolioShareDetails"]] == [unit]

    theirs = server.client("servicecatalog", inside)
    with pytest.raises(ClientError) as excinfo:
        server.client("servicecatalog", outside).accept_portfolio_share(
            PortfolioId=ids["portfolio"], PortfolioShareType="AWS_ORGANIZATIONS"
        )
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    theirs.accept_portfolio_share(
        PortfolioId=ids["portfolio"], PortfolioShareType="AWS_ORGANIZATIONS"
    )
    accepted = theirs.list_accepted_portfolio_shares(PortfolioShareType="AWS_ORGANIZATIONS")
    assert [p["Id"] for p in accepted["PortfolioDetails"]] == [ids["portfolio"]]
    make_role(server, "launch", account=inside)
    theirs.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN=f"arn:aws:iam::{inside}:root",
        PrincipalType="IAM",
    )
    record = theirs.provision_product(
        ProductId=ids["product"],
        ProvisionedProductName="ou-logs",
        ProvisioningParameters=[{"Key": "GroupName", "Value": "ou-logs"}],
        ProvisionToken=uuid.uuid4().hex,
    )["RecordDetail"]
    assert settled(theirs, record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"

    # Withdrawing trusted access keeps the shares, and stops new ones.
    owner.disable_aws_organizations_access()
    assert owner.get_aws_organizations_access_status()["AccessStatus"] == "DISABLED"
    with pytest.raises(ClientError) as excinfo:
        owner.create_portfolio_share(
            PortfolioId=ids["portfolio"],
            OrganizationNode={"Type": "ORGANIZATION", "Value": org["Id"]},
        )
    assert error_of(excinfo)[0] == "InvalidStateException"
    owner.delete_portfolio_share(PortfolioId=ids["portfolio"], OrganizationNode=node)
    assert (
        theirs.list_accepted_portfolio_shares(PortfolioShareType="AWS_ORGANIZATIONS")[
            "PortfolioDetails"
        ]
        == []
    )


def test_principal_sharing_applies_the_owners_patterns(server: LiveServer) -> None:
    owner = server.client("servicecatalog")
    ids = catalog(server)
    local_launch_constraint(owner, ids)
    owner.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN="arn:aws:iam:::role/scientist-*",
        PrincipalType="IAM_PATTERN",
    )
    plain = server.create_account("plain")
    sharing = server.create_account("sharing")
    owner.create_portfolio_share(PortfolioId=ids["portfolio"], AccountId=plain)
    owner.create_portfolio_share(PortfolioId=ids["portfolio"], AccountId=sharing)
    updated = owner.update_portfolio_share(
        PortfolioId=ids["portfolio"], AccountId=sharing, SharePrincipals=True
    )
    assert updated["Status"] == "COMPLETED"
    shares = owner.describe_portfolio_shares(PortfolioId=ids["portfolio"], Type="ACCOUNT")
    assert {(s["PrincipalId"], s["SharePrincipals"]) for s in shares["PortfolioShareDetails"]} == {
        (plain, False),
        (sharing, True),
    }
    seen = {}
    for account in (plain, sharing):
        server.client("servicecatalog", account).accept_portfolio_share(
            PortfolioId=ids["portfolio"]
        )
        iam = server.client("iam", account)
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        role = iam.create_role(RoleName="scientist-1", AssumeRolePolicyDocument=trust)["Role"]
        iam.put_role_policy(
            RoleName="scientist-1",
            PolicyName="p",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "servicecatalog:*", "Resource": "*"}
                    ],
                }
            ),
        )
        credentials = server.client("sts", account).assume_role(
            RoleArn=role["Arn"], RoleSessionName="session"
        )["Credentials"]
        client = server.session_client("servicecatalog", credentials)
        seen[account] = [p["ProductId"] for p in client.search_products()["ProductViewSummaries"]]
    assert seen == {plain: [], sharing: [ids["product"]]}


def test_a_shared_product_is_not_shared_again(server: LiveServer) -> None:
    owner = server.client("servicecatalog")
    ids = catalog(server)
    middle = server.create_account("middle")
    last = server.create_account("last")
    owner.create_portfolio_share(PortfolioId=ids["portfolio"], AccountId=middle)
    theirs = server.client("servicecatalog", middle)
    theirs.accept_portfolio_share(PortfolioId=ids["portfolio"])
    local = theirs.create_portfolio(
        DisplayName="Local", ProviderName="middle", IdempotencyToken=uuid.uuid4().hex
    )["PortfolioDetail"]["Id"]
    with pytest.raises(ClientError) as excinfo:
        theirs.associate_product_with_portfolio(ProductId=ids["product"], PortfolioId=local)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Product {ids['product']} not found.",
    )
    theirs.associate_product_with_portfolio(
        ProductId=ids["product"], PortfolioId=local, SourcePortfolioId=ids["portfolio"]
    )
    with pytest.raises(ClientError) as excinfo:
        theirs.create_portfolio_share(PortfolioId=local, AccountId=last)
    assert error_of(excinfo) == (
        "OperationNotSupportedException",
        f"Portfolio {local} holds the shared product {ids['product']}: a shared resource "
        "cannot be shared again.",
    )
