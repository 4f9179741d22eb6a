"""The Service Catalog resource types through their providers: updates in place, and a
create repeated after a crash finding what the first one made."""

from __future__ import annotations

import json

from tests.cloudformation.providers import provider_context, provision, resource_type
from tests.servicecatalog.support import TEMPLATE, make_role, put_template
from tests.support import LiveServer

V2 = TEMPLATE.replace("Default: '7'", "Default: '30'")


def test_portfolio_updates_in_place(server: LiveServer, account_id: str) -> None:
    sc = server.client("servicecatalog")
    made = provision(
        server,
        account_id,
        "AWS::ServiceCatalog::Portfolio",
        {"DisplayName": "One", "ProviderName": "p", "Tags": [{"Key": "a", "Value": "1"}]},
        tags={"stack": "tag"},
    )
    assert made.attributes == {
        "Ref": made.physical_id,
        "Id": made.physical_id,
        "PortfolioName": "One",
    }
    described = sc.describe_portfolio(Id=made.physical_id)
    assert sorted((t["Key"], t["Value"]) for t in described["Tags"]) == [
        ("a", "1"),
        ("stack", "tag"),
    ]
    made.update({"DisplayName": "Two", "ProviderName": "p", "Description": "d"})
    described = sc.describe_portfolio(Id=made.physical_id)
    assert described["PortfolioDetail"]["DisplayName"] == "Two"
    assert described["PortfolioDetail"]["Description"] == "d"
    assert described["Tags"] == [{"Key": "stack", "Value": "tag"}]
    made.delete()
    assert sc.list_portfolios()["PortfolioDetails"] == []
    made.delete()  # already gone


def test_product_gets_new_versions(server: LiveServer, account_id: str) -> None:
    sc = server.client("servicecatalog")
    first = {"Name": "v1", "Info": {"LoadTemplateFromURL": put_template(server)}}
    props = {"Name": "Logs", "Owner": "platform", "ProvisioningArtifactParameters": [first]}
    made = provision(server, account_id, "AWS::ServiceCatalog::CloudFormationProduct", props)
    assert made.attributes["ProvisioningArtifactNames"] == "v1"
    second = {"Name": "v2", "Info": {"LoadTemplateFromURL": put_template(server, V2)}}
    made.update({**props, "Owner": "ml", "ProvisioningArtifactParameters": [first, second]})
    admin = sc.describe_product_as_admin(Id=made.physical_id)
    assert admin["ProductViewDetail"]["ProductViewSummary"]["Owner"] == "ml"
    assert [a["Name"] for a in admin["ProvisioningArtifactSummaries"]] == ["v1", "v2"]
    assert made.attributes["ProvisioningArtifactNames"] == "v1,v2"
    made.delete()
    assert sc.search_products_as_admin()["ProductViewDetails"] == []


def test_a_repeated_create_finds_the_first(server: LiveServer, account_id: str) -> None:
    sc = server.client("servicecatalog")
    provider = resource_type("AWS::ServiceCatalog::Portfolio")
    props = {"DisplayName": "Once", "ProviderName": "p"}
    pc = provider_context(server, account_id, "Portfolio")
    first = provider.create(pc, props)
    # The engine retries a create whose outcome a crash hid: the same resource key.
    again = provider.create(provider_context(server, account_id, "Portfolio"), props)
    assert again == first
    assert [p["Id"] for p in sc.list_portfolios()["PortfolioDetails"]] == [first]


def test_launch_role_constraint_updates(server: LiveServer, account_id: str) -> None:
    sc = server.client("servicecatalog")
    portfolio = provision(
        server,
        account_id,
        "AWS::ServiceCatalog::Portfolio",
        {"DisplayName": "P", "ProviderName": "p"},
    )
    product = provision(
        server,
        account_id,
        "AWS::ServiceCatalog::CloudFormationProduct",
        {
            "Name": "Logs",
            "Owner": "platform",
            "ProvisioningArtifactParameters": [
                {"Info": {"LoadTemplateFromURL": put_template(server)}}
            ],
        },
        logical_id="Product",
    )
    association = provision(
        server,
        account_id,
        "AWS::ServiceCatalog::PortfolioProductAssociation",
        {"PortfolioId": portfolio.physical_id, "ProductId": product.physical_id},
        logical_id="Association",
    )
    role = make_role(server, "launch")
    constraint = provision(
        server,
        account_id,
        "AWS::ServiceCatalog::LaunchRoleConstraint",
        {"PortfolioId": portfolio.physical_id, "ProductId": product.physical_id, "RoleArn": role},
        logical_id="Launch",
    )
    constraint.update(
        {
            "PortfolioId": portfolio.physical_id,
            "ProductId": product.physical_id,
            "LocalRoleName": "launch",
            "Description": "local",
        }
    )
    described = sc.describe_constraint(Id=constraint.physical_id)
    assert json.loads(described["ConstraintParameters"]) == {"LocalRoleName": "launch"}
    assert described["ConstraintDetail"]["Description"] == "local"
    constraint.delete()
    association.delete()
    assert sc.list_portfolios_for_product(ProductId=product.physical_id)["PortfolioDetails"] == []
    association.delete()  # already gone
