"""Launch constraints and launch paths through boto3."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.servicecatalog.support import catalog, create_portfolio, error_of, make_role
from tests.support import LiveServer


def test_launch_constraint_lifecycle(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    sc = server.client("servicecatalog")
    account = server.first_account_id()
    role = make_role(server, "launch")
    ids = catalog(server)
    made = sc.create_constraint(
        PortfolioId=ids["portfolio"],
        ProductId=ids["product"],
        Type="LAUNCH",
        Parameters=json.dumps({"RoleArn": role}),
        Description="launch as the launch role",
        IdempotencyToken="token-1",
    )
    detail = made["ConstraintDetail"]
    assert detail["ConstraintId"].startswith("cons-")
    assert (detail["Type"], detail["Owner"], detail["ProductId"], detail["PortfolioId"]) == (
        "LAUNCH",
        account,
        ids["product"],
        ids["portfolio"],
    )
    assert made["Status"] == "AVAILABLE"
    assert json.loads(made["ConstraintParameters"]) == {"RoleArn": role}
    again = sc.create_constraint(
        PortfolioId=ids["portfolio"],
        ProductId=ids["product"],
        Type="LAUNCH",
        Parameters=json.dumps({"RoleArn": role}),
        IdempotencyToken="token-1",
    )
    assert again["ConstraintDetail"]["ConstraintId"] == detail["ConstraintId"]
    with pytest.raises(ClientError) as excinfo:
        sc.create_constraint(
            PortfolioId=ids["portfolio"],
            ProductId=ids["product"],
            Type="LAUNCH",
            Parameters=json.dumps({"LocalRoleName": "launch"}),
            IdempotencyToken="token-2",
        )
    assert error_of(excinfo) == (
        "DuplicateResourceException",
        f"Only one launch constraint is allowed per product and portfolio: portfolio "
        f"{ids['portfolio']} already has one for product {ids['product']}.",
    )
    described = sc.describe_constraint(Id=detail["ConstraintId"])
    assert described["ConstraintDetail"]["Description"] == "launch as the launch role"
    listed = sc.list_constraints_for_portfolio(PortfolioId=ids["portfolio"])["ConstraintDetails"]
    assert [c["ConstraintId"] for c in listed] == [detail["ConstraintId"]]
    assert (
        sc.list_constraints_for_portfolio(PortfolioId=ids["portfolio"], ProductId="prod-none")[
            "ConstraintDetails"
        ]
        == []
    )

    sc.associate_principal_with_portfolio(
        PortfolioId=ids["portfolio"],
        PrincipalARN=f"arn:aws:iam::{account}:root",
        PrincipalType="IAM",
    )
    paths = sc.list_launch_paths(ProductId=ids["product"])["LaunchPathSummaries"]
    assert len(paths) == 1
    assert paths[0]["Id"].startswith("lpv3-")
    assert paths[0]["Name"] == "Team portfolio"
    assert paths[0]["ConstraintSummaries"] == [
        {"Type": "LAUNCH", "Description": "launch as the launch role"}
    ]
    parameters = sc.describe_provisioning_parameters(
        ProductId=ids["product"], ProvisioningArtifactId=ids["artifact"], PathId=paths[0]["Id"]
    )
    assert {"Type": "launchAsRole", "Value": role} in parameters["UsageInstructions"]
    assert [p["ParameterKey"] for p in parameters["ProvisioningArtifactParameters"]] == [
        "GroupName",
        "Retention",
    ]
    assert parameters["ProvisioningArtifactOutputKeys"] == [
        {"Key": "GroupArn", "Description": "The group's ARN"}
    ]

    with pytest.raises(ClientError) as excinfo:
        sc.disassociate_product_from_portfolio(
            ProductId=ids["product"], PortfolioId=ids["portfolio"]
        )
    assert error_of(excinfo) == (
        "ResourceInUseException",
        "Delete the constraints on the product in this portfolio before disassociating it.",
    )
    sc.delete_constraint(Id=detail["ConstraintId"])
    with pytest.raises(ClientError) as excinfo:
        sc.describe_constraint(Id=detail["ConstraintId"])
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Constraint {detail['ConstraintId']} not found.",
    )


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"RoleArn": "arn:aws:iam::{account}:role/launch", "LocalRoleName": "launch"},
            "Invalid constraint parameters: RoleArn and LocalRoleName cannot both be specified",
        ),
        ({}, "Invalid constraint parameters: either RoleArn or LocalRoleName must be specified"),
        ({"Role": "x"}, "Invalid constraint parameters: unknown key Role"),
        (
            {"RoleArn": "launch"},
            "Invalid constraint parameters: RoleArn launch is not a role ARN",
        ),
        ("not json", "Invalid constraint parameters: not json"),
    ],
)
def test_bad_launch_constraints_are_refused(
    server: LiveServer, parameters: object, message: str
) -> None:
    sc = server.client("servicecatalog")
    account = server.first_account_id()
    ids = catalog(server)
    text = (
        parameters
        if isinstance(parameters, str)
        else json.dumps(parameters).replace("{account}", account)
    )
    with pytest.raises(ClientError) as excinfo:
        sc.create_constraint(
            PortfolioId=ids["portfolio"],
            ProductId=ids["product"],
            Type="LAUNCH",
            Parameters=text,
            IdempotencyToken=uuid.uuid4().hex,
        )
    assert error_of(excinfo) == ("InvalidParametersException", message)


def test_constraint_needs_the_product_in_the_portfolio(server: LiveServer) -> None:
    sc = server.client("servicecatalog")
    ids = catalog(server)
    other = create_portfolio(sc, "Other")
    with pytest.raises(ClientError) as excinfo:
        sc.create_constraint(
            PortfolioId=other,
            ProductId=ids["product"],
            Type="LAUNCH",
            Parameters=json.dumps({"LocalRoleName": "launch"}),
            IdempotencyToken=uuid.uuid4().hex,
        )
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Product {ids['product']} is not associated with portfolio {other}.",
    )
    with pytest.raises(ClientError) as excinfo:
        sc.create_constraint(
            PortfolioId=ids["portfolio"],
            ProductId=ids["product"],
            Type="NOTIFICATION",
            Parameters="{}",
            IdempotencyToken=uuid.uuid4().hex,
        )
    assert error_of(excinfo) == (
        "InvalidParametersException",
        "Constraint type NOTIFICATION is not supported; use LAUNCH.",
    )


def test_creating_a_launch_constraint_passes_the_role(server: LiveServer) -> None:
    role = make_role(server, "launch")
    ids = catalog(server)
    iam = server.client("iam")
    iam.create_user(UserName="admin")
    iam.put_user_policy(
        UserName="admin",
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "servicecatalog:*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    admin = server.client("servicecatalog", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as excinfo:
        admin.create_constraint(
            PortfolioId=ids["portfolio"],
            ProductId=ids["product"],
            Type="LAUNCH",
            Parameters=json.dumps({"RoleArn": role}),
            IdempotencyToken=uuid.uuid4().hex,
        )
    code, message = error_of(excinfo)
    assert code == "AccessDeniedException"
    assert "iam:PassRole" in message
