"""Products and their versions through boto3: templates read from S3 as the caller."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.servicecatalog.support import (
    TEMPLATE,
    create_portfolio,
    create_product,
    end_user,
    error_of,
    put_template,
    trail,
)
from tests.support import LiveServer

V2 = TEMPLATE.replace("Default: '7'", "Default: '30'")


def test_product_lifecycle(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    sc = server.client("servicecatalog")
    account = server.first_account_id()
    region = server.settings.region
    made = create_product(
        sc,
        put_template(server),
        Description="A log group",
        Distributor="Airlock",
        SupportDescription="ask in #platform",
        Tags=[{"Key": "sagemaker:studio-visibility", "Value": "true"}],
    )
    view = made["ProductViewDetail"]
    summary = view["ProductViewSummary"]
    product = summary["ProductId"]
    assert product.startswith("prod-")
    assert view["ProductARN"] == f"arn:aws:catalog:{region}:{account}:product/{product}"
    assert view["Status"] == "AVAILABLE"
    assert (summary["Name"], summary["Owner"], summary["Type"]) == (
        "Log group",
        "platform team",
        "CLOUD_FORMATION_TEMPLATE",
    )
    assert (summary["ShortDescription"], summary["Distributor"]) == ("A log group", "Airlock")
    assert summary["SupportDescription"] == "ask in #platform"
    assert made["Tags"] == [{"Key": "sagemaker:studio-visibility", "Value": "true"}]
    first = made["ProvisioningArtifactDetail"]
    assert first["Id"].startswith("pa-") and first["Name"] == "v1" and first["Active"] is True

    admin = sc.describe_product_as_admin(Id=product)
    assert [a["Id"] for a in admin["ProvisioningArtifactSummaries"]] == [first["Id"]]
    assert admin["Tags"] == made["Tags"]
    assert (
        sc.describe_product_as_admin(Name="Log group")["ProductViewDetail"]["ProductARN"]
        == (view["ProductARN"])
    )
    found = sc.search_products_as_admin(Filters={"FullTextSearch": ["log"]})["ProductViewDetails"]
    assert [d["ProductViewSummary"]["ProductId"] for d in found] == [product]
    assert (
        sc.search_products_as_admin(Filters={"FullTextSearch": ["nothing"]})["ProductViewDetails"]
        == []
    )

    updated = sc.update_product(
        Id=product, Name="Logs", AddTags=[{"Key": "team", "Value": "ml"}], RemoveTags=[]
    )
    assert updated["ProductViewDetail"]["ProductViewSummary"]["Name"] == "Logs"
    assert {t["Key"] for t in updated["Tags"]} == {"sagemaker:studio-visibility", "team"}

    # Versions.
    second = sc.create_provisioning_artifact(
        ProductId=product,
        Parameters={
            "Name": "v2",
            "Info": {"LoadTemplateFromURL": put_template(server, V2)},
            "Type": "CLOUD_FORMATION_TEMPLATE",
        },
        IdempotencyToken=uuid.uuid4().hex,
    )
    assert second["Status"] == "AVAILABLE"
    assert second["Info"]["TemplateUrl"].endswith("/product/template.yaml")
    second_id = second["ProvisioningArtifactDetail"]["Id"]
    listed = sc.list_provisioning_artifacts(ProductId=product)["ProvisioningArtifactDetails"]
    assert [a["Name"] for a in listed] == ["v1", "v2"]
    described = sc.describe_provisioning_artifact(
        ProductId=product,
        ProvisioningArtifactId=second_id,
        IncludeProvisioningArtifactParameters=True,
    )
    parameters = {p["ParameterKey"]: p for p in described["ProvisioningArtifactParameters"]}
    assert parameters["Retention"]["DefaultValue"] == "30"
    assert parameters["Retention"]["ParameterConstraints"]["AllowedValues"] == ["1", "7", "30"]
    assert parameters["GroupName"]["ParameterConstraints"] == {
        "AllowedPattern": "[a-z0-9-]+",
        "MinLength": "3",
    }
    assert parameters["GroupName"]["Description"] == "The log group's name"
    verbose = sc.describe_provisioning_artifact(
        ProductId=product, ProvisioningArtifactName="v2", Verbose=True
    )
    assert verbose["Info"]["CloudFormationTemplate"] == V2
    changed = sc.update_provisioning_artifact(
        ProductId=product, ProvisioningArtifactId=first["Id"], Guidance="DEPRECATED", Active=False
    )["ProvisioningArtifactDetail"]
    assert (changed["Guidance"], changed["Active"]) == ("DEPRECATED", False)
    sc.delete_provisioning_artifact(ProductId=product, ProvisioningArtifactId=first["Id"])
    with pytest.raises(ClientError) as excinfo:
        sc.delete_provisioning_artifact(ProductId=product, ProvisioningArtifactId=second_id)
    assert error_of(excinfo) == (
        "InvalidParametersException",
        "Cannot delete the only provisioning artifact of a product.",
    )

    portfolio = create_portfolio(sc)
    sc.associate_product_with_portfolio(ProductId=product, PortfolioId=portfolio)
    assert [
        p["Id"] for p in sc.list_portfolios_for_product(ProductId=product)["PortfolioDetails"]
    ] == [portfolio]
    with pytest.raises(ClientError) as excinfo:
        sc.delete_product(Id=product)
    assert error_of(excinfo) == (
        "ResourceInUseException",
        "Product is associated with one or more portfolios. Disassociate it from all portfolios "
        "before deleting it.",
    )
    sc.disassociate_product_from_portfolio(ProductId=product, PortfolioId=portfolio)
    sc.delete_product(Id=product)
    with pytest.raises(ClientError) as excinfo:
        sc.describe_product_as_admin(Id=product)
    assert error_of(excinfo) == ("ResourceNotFoundException", f"Product {product} not found.")


def test_template_url_forms(server: LiveServer) -> None:
    sc = server.client("servicecatalog")
    url = put_template(server)
    bucket, key = url.removeprefix(server.url + "/").split("/", 1)
    region = server.settings.region
    for form in (
        f"https://{bucket}.s3.{region}.amazonaws.com/{key}",
        f"https://s3.amazonaws.com/{bucket}/{key}",
        f"s3://{bucket}/{key}",
    ):
        made = create_product(sc, form, name=form)
        assert made["ProvisioningArtifactDetail"]["Name"] == "v1"


def test_template_is_read_as_the_caller(server: LiveServer) -> None:
    url = put_template(server)
    bucket = url.removeprefix(server.url + "/").split("/", 1)[0]
    allowed, allowed_arn = end_user(
        server,
        "admin",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "servicecatalog:*", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                },
            ],
        },
    )
    create_product(allowed, url)
    reads = [e for e in trail(server, "GetObject") if e["userIdentity"].get("arn") == allowed_arn]
    assert reads and reads[0]["userIdentity"]["invokedBy"] == "servicecatalog.amazonaws.com"

    refused, arn = end_user(
        server,
        "no-s3",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "servicecatalog:*", "Resource": "*"}],
        },
    )
    with pytest.raises(ClientError) as excinfo:
        create_product(refused, url)
    code, message = error_of(excinfo)
    assert code == "InvalidParametersException"
    assert message.startswith(f"Unable to retrieve the template from {url}: AccessDenied: ")
    assert arn in message
    # Only the first call made a product.
    assert (
        len(server.client("servicecatalog").search_products_as_admin()["ProductViewDetails"]) == 1
    )


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"ProductType": "MARKETPLACE"},
            "InvalidParametersException",
            "ProductType MARKETPLACE is not supported; use CLOUD_FORMATION_TEMPLATE.",
        ),
        (
            {
                "ProvisioningArtifactParameters": {
                    "Info": {"ImportFromPhysicalId": "x"},
                    "Type": "CLOUD_FORMATION_TEMPLATE",
                }
            },
            "InvalidParametersException",
            "Info must contain LoadTemplateFromURL.",
        ),
        (
            {
                "ProvisioningArtifactParameters": {
                    "Info": {"LoadTemplateFromURL": "https://example.com/t.yaml"},
                    "Type": "CLOUD_FORMATION_TEMPLATE",
                }
            },
            "InvalidParametersException",
            "Invalid templateUrl: https://example.com/t.yaml",
        ),
        (
            {
                "ProvisioningArtifactParameters": {
                    "Info": {"LoadTemplateFromURL": "TERRAFORM"},
                    "Type": "TERRAFORM_OPEN_SOURCE",
                }
            },
            "InvalidParametersException",
            "Provisioning artifact type TERRAFORM_OPEN_SOURCE is not supported; use "
            "CLOUD_FORMATION_TEMPLATE.",
        ),
    ],
)
def test_bad_products_are_refused(
    server: LiveServer, change: dict[str, Any], code: str, message: str
) -> None:
    sc = server.client("servicecatalog")
    args = {
        "Name": "p",
        "Owner": "o",
        "ProductType": "CLOUD_FORMATION_TEMPLATE",
        "ProvisioningArtifactParameters": {
            "Info": {"LoadTemplateFromURL": put_template(server)},
            "Type": "CLOUD_FORMATION_TEMPLATE",
        },
        "IdempotencyToken": uuid.uuid4().hex,
        **change,
    }
    with pytest.raises(ClientError) as excinfo:
        sc.create_product(**args)
    assert error_of(excinfo) == (code, message)


def test_invalid_template_is_refused(server: LiveServer) -> None:
    sc = server.client("servicecatalog")
    url = put_template(server, "Resources: [1, 2]\n")
    with pytest.raises(ClientError) as excinfo:
        create_product(sc, url)
    code, message = error_of(excinfo)
    assert code == "InvalidParametersException"
    assert message.startswith("Invalid templateBody. Please make sure that your template is valid.")


def test_products_are_per_account(server: LiveServer) -> None:
    sc = server.client("servicecatalog")
    product = create_product(sc, put_template(server))["ProductViewDetail"]["ProductViewSummary"]
    theirs = server.client("servicecatalog", server.create_account("other"))
    with pytest.raises(ClientError) as excinfo:
        theirs.describe_product_as_admin(Id=product["ProductId"])
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Product {product['ProductId']} not found.",
    )
    assert theirs.search_products_as_admin()["ProductViewDetails"] == []


def test_search_filters_and_sorts(server: LiveServer) -> None:
    sc = server.client("servicecatalog")
    url = put_template(server)
    made = {}
    for name, owner in (("beta", "ml"), ("Alpha", "data"), ("gamma", "ml")):
        out = sc.create_product(
            Name=name,
            Owner=owner,
            ProductType="CLOUD_FORMATION_TEMPLATE",
            ProvisioningArtifactParameters={
                "Info": {"LoadTemplateFromURL": url},
                "Type": "CLOUD_FORMATION_TEMPLATE",
            },
            IdempotencyToken=uuid.uuid4().hex,
        )
        made[name] = out["ProductViewDetail"]["ProductViewSummary"]["ProductId"]

    def names(**args: Any) -> list[str]:
        found = sc.search_products_as_admin(**args)["ProductViewDetails"]
        return [d["ProductViewSummary"]["Name"] for d in found]

    assert names() == ["beta", "Alpha", "gamma"]
    assert names(SortBy="Title") == ["Alpha", "beta", "gamma"]
    assert names(SortBy="Title", SortOrder="DESCENDING") == ["gamma", "beta", "Alpha"]
    assert names(Filters={"Owner": ["ml"]}) == ["beta", "gamma"]
    assert names(Filters={"SourceProductId": [made["gamma"]]}) == ["gamma"]
    first = sc.search_products_as_admin(PageSize=2)
    assert len(first["ProductViewDetails"]) == 2
    rest = sc.search_products_as_admin(PageSize=2, PageToken=first["NextPageToken"])
    assert [d["ProductViewSummary"]["Name"] for d in rest["ProductViewDetails"]] == ["gamma"]
    with pytest.raises(ClientError) as excinfo:
        sc.search_products_as_admin(PageToken="not-a-token")
    assert error_of(excinfo) == ("InvalidParametersException", "The page token is not valid.")
