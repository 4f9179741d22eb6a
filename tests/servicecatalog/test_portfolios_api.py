"""Portfolios and the principals given access to them, through boto3 on a live server."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.servicecatalog.support import create_portfolio, create_product, error_of, put_template
from tests.support import LiveServer


def test_portfolio_lifecycle(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    sc = server.client("servicecatalog")
    account = server.first_account_id()
    region = server.settings.region
    token = uuid.uuid4().hex
    made = sc.create_portfolio(
        DisplayName="Team",
        ProviderName="platform",
        Description="what the team launches",
        Tags=[{"Key": "team", "Value": "ml"}],
        IdempotencyToken=token,
    )
    detail = made["PortfolioDetail"]
    assert detail["Id"].startswith("port-") and len(detail["Id"]) == 18
    assert detail["ARN"] == f"arn:aws:catalog:{region}:{account}:portfolio/{detail['Id']}"
    assert made["Tags"] == [{"Key": "team", "Value": "ml"}]
    again = sc.create_portfolio(DisplayName="Team", ProviderName="platform", IdempotencyToken=token)
    assert again["PortfolioDetail"]["Id"] == detail["Id"]
    other = create_portfolio(sc, "Other")
    listed = sc.list_portfolios()["PortfolioDetails"]
    assert [p["Id"] for p in listed] == [detail["Id"], other]
    page = sc.list_portfolios(PageSize=1)
    assert [p["Id"] for p in page["PortfolioDetails"]] == [detail["Id"]]
    rest = sc.list_portfolios(PageSize=1, PageToken=page["NextPageToken"])
    assert [p["Id"] for p in rest["PortfolioDetails"]] == [other]
    assert "NextPageToken" not in rest

    updated = sc.update_portfolio(
        Id=detail["Id"],
        DisplayName="Team two",
        AddTags=[{"Key": "cost", "Value": "42"}],
        RemoveTags=["team"],
    )
    assert updated["PortfolioDetail"]["DisplayName"] == "Team two"
    assert updated["Tags"] == [{"Key": "cost", "Value": "42"}]
    described = sc.describe_portfolio(Id=detail["Id"])
    assert described["PortfolioDetail"]["Description"] == "what the team launches"
    assert described["Tags"] == [{"Key": "cost", "Value": "42"}]

    sc.delete_portfolio(Id=other)
    with pytest.raises(ClientError) as excinfo:
        sc.describe_portfolio(Id=other)
    assert error_of(excinfo) == ("ResourceNotFoundException", f"Portfolio {other} not found.")


def test_portfolios_are_per_account(server: LiveServer) -> None:
    sc = server.client("servicecatalog")
    portfolio = create_portfolio(sc)
    other = server.create_account("other")
    theirs = server.client("servicecatalog", other)
    assert theirs.list_portfolios()["PortfolioDetails"] == []
    with pytest.raises(ClientError) as excinfo:
        theirs.describe_portfolio(Id=portfolio)
    assert error_of(excinfo) == ("ResourceNotFoundException", f"Portfolio {portfolio} not found.")
    with pytest.raises(ClientError) as excinfo:
        theirs.delete_portfolio(Id=portfolio)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_portfolio_in_use_is_not_deleted(server: LiveServer) -> None:
    sc = server.client("servicecatalog")
    portfolio = create_portfolio(sc)
    product = create_product(sc, put_template(server))["ProductViewDetail"]["ProductViewSummary"]
    sc.associate_product_with_portfolio(ProductId=product["ProductId"], PortfolioId=portfolio)
    with pytest.raises(ClientError) as excinfo:
        sc.delete_portfolio(Id=portfolio)
    assert error_of(excinfo) == (
        "ResourceInUseException",
        "Delete all products associated with the portfolio first.",
    )
    sc.disassociate_product_from_portfolio(ProductId=product["ProductId"], PortfolioId=portfolio)
    sc.delete_portfolio(Id=portfolio)


def test_principals(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    sc = server.client("servicecatalog")
    account = server.first_account_id()
    portfolio = create_portfolio(sc)
    role = f"arn:aws:iam::{account}:role/scientist"
    group = f"arn:aws:iam::{account}:group/analysts"
    sc.associate_principal_with_portfolio(
        PortfolioId=portfolio, PrincipalARN=role, PrincipalType="IAM"
    )
    sc.associate_principal_with_portfolio(
        PortfolioId=portfolio, PrincipalARN=group, PrincipalType="IAM"
    )
    # Associating twice keeps one association.
    sc.associate_principal_with_portfolio(
        PortfolioId=portfolio, PrincipalARN=role, PrincipalType="IAM"
    )
    sc.associate_principal_with_portfolio(
        PortfolioId=portfolio, PrincipalARN="arn:aws:iam:::role/team-*", PrincipalType="IAM_PATTERN"
    )
    listed = sc.list_principals_for_portfolio(PortfolioId=portfolio)["Principals"]
    assert sorted((p["PrincipalARN"], p["PrincipalType"]) for p in listed) == sorted(
        [(role, "IAM"), (group, "IAM"), ("arn:aws:iam:::role/team-*", "IAM_PATTERN")]
    )
    sc.disassociate_principal_from_portfolio(PortfolioId=portfolio, PrincipalARN=group)
    listed = sc.list_principals_for_portfolio(PortfolioId=portfolio)["Principals"]
    assert group not in [p["PrincipalARN"] for p in listed]
    with pytest.raises(ClientError) as excinfo:
        sc.disassociate_principal_from_portfolio(PortfolioId=portfolio, PrincipalARN=group)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Principal {group} is not associated with portfolio {portfolio}.",
    )


@pytest.mark.parametrize(
    ("arn", "kind", "message"),
    [
        ("not-an-arn", "IAM", "Invalid PrincipalARN: not-an-arn"),
        (
            "arn:aws:iam::{account}:policy/p",
            "IAM",
            "Invalid PrincipalARN: arn:aws:iam::{account}:policy/p",
        ),
        (
            "arn:aws:iam::111122223333:role/r",
            "IAM",
            "The principal arn:aws:iam::111122223333:role/r is not in the caller's account "
            "{account}.",
        ),
        (
            "arn:aws:iam::111122223333:role/*",
            "IAM_PATTERN",
            "An IAM_PATTERN principal must leave the account id empty.",
        ),
    ],
)
def test_bad_principals_are_refused(server: LiveServer, arn: str, kind: str, message: str) -> None:
    sc = server.client("servicecatalog")
    account = server.first_account_id()
    portfolio = create_portfolio(sc)
    with pytest.raises(ClientError) as excinfo:
        sc.associate_principal_with_portfolio(
            PortfolioId=portfolio, PrincipalARN=arn.format(account=account), PrincipalType=kind
        )
    assert error_of(excinfo) == ("InvalidParametersException", message.format(account=account))
