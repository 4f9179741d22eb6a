"""CloudFormation resource types of Service Catalog, so a template can publish a product:
`AWS::ServiceCatalog::Portfolio`, `::CloudFormationProduct`,
`::PortfolioProductAssociation`, `::PortfolioPrincipalAssociation` and
`::LaunchRoleConstraint`. Each does its work through the call path as the stack's
principal; the idempotency tokens come from the resource's key, so a create repeated
after a crash finds what the first one made."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import (
    BaseResource,
    Properties,
    ProviderContext,
    ResourceFailed,
    ResourceSpec,
    gone,
)

from .api import api

_PRODUCT_FIELDS = (
    "Owner",
    "Description",
    "Distributor",
    "SupportDescription",
    "SupportEmail",
    "SupportUrl",
)


def _token(pc: ProviderContext) -> str:
    return hashlib.sha256(f"{pc.resource_key}/{pc.generation}".encode()).hexdigest()[:64]


def _delete(pc: ProviderContext, operation: str, params: dict[str, Any]) -> None:
    try:
        pc.call("servicecatalog", operation, params)
    except ServiceError as error:
        if not gone(error):
            raise


def _tag_changes(pc: ProviderContext, props: Properties, old: Properties | None) -> dict[str, Any]:
    tags = pc.resource_tags(props)
    keys = {t["Key"] for t in tags}
    before = {t["Key"] for t in (old or {}).get("Tags") or [] if isinstance(t, dict)}
    return {"AddTags": tags, "RemoveTags": sorted(before - keys)}


class Portfolio(BaseResource):
    """A portfolio; `Ref` is its id, as CloudFormation documents it."""

    type_name = "AWS::ServiceCatalog::Portfolio"
    spec = ResourceSpec(
        properties=frozenset(
            {"AcceptLanguage", "Description", "DisplayName", "ProviderName", "Tags"}
        ),
        required=frozenset({"DisplayName", "ProviderName"}),
        attributes=frozenset({"Id", "PortfolioName"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        request: dict[str, Any] = {
            "DisplayName": props["DisplayName"],
            "ProviderName": props["ProviderName"],
            "IdempotencyToken": _token(pc),
        }
        if props.get("Description") is not None:
            request["Description"] = props["Description"]
        tags = pc.resource_tags(props)
        if tags:
            request["Tags"] = tags
        out = pc.call(
            "servicecatalog",
            "CreatePortfolio",
            request,
            creates=lambda o: str(o["PortfolioDetail"]["Id"]),
        )
        return str(out["PortfolioDetail"]["Id"])

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is None:
            return
        request: dict[str, Any] = {
            "Id": physical_id,
            "DisplayName": props["DisplayName"],
            "ProviderName": props["ProviderName"],
            "Description": props.get("Description") or "",
            **_tag_changes(pc, props, old),
        }
        pc.call("servicecatalog", "UpdatePortfolio", request)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        return {"Ref": physical_id, "Id": physical_id, "PortfolioName": props["DisplayName"]}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        _delete(pc, "DeletePortfolio", {"Id": physical_id})


def _artifact(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Info": dict(spec.get("Info") or {}),
        "Type": spec.get("Type") or "CLOUD_FORMATION_TEMPLATE",
    }
    for member in ("Name", "Description"):
        if spec.get(member) is not None:
            out[member] = spec[member]
    if spec.get("DisableTemplateValidation") is not None:
        out["DisableTemplateValidation"] = str(spec["DisableTemplateValidation"]).lower() == "true"
    return out


class CloudFormationProduct(BaseResource):
    """A product and its versions; `Ref` is the product id."""

    type_name = "AWS::ServiceCatalog::CloudFormationProduct"
    spec = ResourceSpec(
        properties=frozenset(
            {
                "AcceptLanguage",
                "Name",
                "ProductType",
                "ProvisioningArtifactParameters",
                "ReplaceProvisioningArtifacts",
                "Tags",
                *_PRODUCT_FIELDS,
            }
        ),
        required=frozenset({"Name", "Owner"}),
        create_only=frozenset({"ProductType"}),
        attributes=frozenset(
            {"Id", "ProductName", "ProvisioningArtifactIds", "ProvisioningArtifactNames"}
        ),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        artifacts = list(props.get("ProvisioningArtifactParameters") or [])
        if not artifacts:
            raise ResourceFailed("ProvisioningArtifactParameters must name at least one version.")
        request: dict[str, Any] = {
            "Name": props["Name"],
            "ProductType": props.get("ProductType") or "CLOUD_FORMATION_TEMPLATE",
            "ProvisioningArtifactParameters": _artifact(artifacts[0]),
            "IdempotencyToken": _token(pc),
            **{k: props[k] for k in _PRODUCT_FIELDS if props.get(k) is not None},
        }
        tags = pc.resource_tags(props)
        if tags:
            request["Tags"] = tags
        out = pc.call(
            "servicecatalog",
            "CreateProduct",
            request,
            creates=lambda o: str(o["ProductViewDetail"]["ProductViewSummary"]["ProductId"]),
        )
        return str(out["ProductViewDetail"]["ProductViewSummary"]["ProductId"])

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        # Later versions (and the first, after a crash between create and this step) by name.
        have = pc.call("servicecatalog", "ListProvisioningArtifacts", {"ProductId": physical_id})
        names = {a.get("Name") for a in have["ProvisioningArtifactDetails"]}
        for index, spec in enumerate(props.get("ProvisioningArtifactParameters") or []):
            if index == 0 and old is None:
                continue
            if spec.get("Name") in names:
                continue
            digest = hashlib.sha256(f"{_token(pc)}/{index}".encode()).hexdigest()[:64]
            pc.call(
                "servicecatalog",
                "CreateProvisioningArtifact",
                {
                    "ProductId": physical_id,
                    "Parameters": _artifact(spec),
                    "IdempotencyToken": digest,
                },
            )
        if old is None:
            return
        request: dict[str, Any] = {
            "Id": physical_id,
            "Name": props["Name"],
            **{k: props[k] for k in _PRODUCT_FIELDS if props.get(k) is not None},
            **_tag_changes(pc, props, old),
        }
        pc.call("servicecatalog", "UpdateProduct", request)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        have = pc.call("servicecatalog", "ListProvisioningArtifacts", {"ProductId": physical_id})
        artifacts = have["ProvisioningArtifactDetails"]
        return {
            "Ref": physical_id,
            "Id": physical_id,
            "ProductName": props["Name"],
            "ProvisioningArtifactIds": ",".join(a["Id"] for a in artifacts),
            "ProvisioningArtifactNames": ",".join(a.get("Name", "") for a in artifacts),
        }

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        _delete(pc, "DeleteProduct", {"Id": physical_id})


class PortfolioProductAssociation(BaseResource):
    """A product in a portfolio; `Ref` is `<portfolio id>|<product id>`."""

    type_name = "AWS::ServiceCatalog::PortfolioProductAssociation"
    spec = ResourceSpec(
        properties=frozenset({"AcceptLanguage", "PortfolioId", "ProductId", "SourcePortfolioId"}),
        required=frozenset({"PortfolioId", "ProductId"}),
        create_only=frozenset({"PortfolioId", "ProductId", "SourcePortfolioId"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        physical = f"{props['PortfolioId']}|{props['ProductId']}"
        request = {"PortfolioId": props["PortfolioId"], "ProductId": props["ProductId"]}
        if props.get("SourcePortfolioId"):
            request["SourcePortfolioId"] = props["SourcePortfolioId"]
        pc.call(
            "servicecatalog", "AssociateProductWithPortfolio", request, creates=lambda _: physical
        )
        return physical

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        portfolio, _, product = physical_id.partition("|")
        _delete(
            pc,
            "DisassociateProductFromPortfolio",
            {"PortfolioId": portfolio, "ProductId": product},
        )


class PortfolioPrincipalAssociation(BaseResource):
    """A principal given access to a portfolio; `Ref` is `<portfolio id>|<type>|<ARN>`."""

    type_name = "AWS::ServiceCatalog::PortfolioPrincipalAssociation"
    spec = ResourceSpec(
        properties=frozenset({"AcceptLanguage", "PortfolioId", "PrincipalARN", "PrincipalType"}),
        required=frozenset({"PortfolioId", "PrincipalARN", "PrincipalType"}),
        create_only=frozenset({"PortfolioId", "PrincipalARN", "PrincipalType"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        physical = f"{props['PortfolioId']}|{props['PrincipalType']}|{props['PrincipalARN']}"
        pc.call(
            "servicecatalog",
            "AssociatePrincipalWithPortfolio",
            {
                "PortfolioId": props["PortfolioId"],
                "PrincipalARN": props["PrincipalARN"],
                "PrincipalType": props["PrincipalType"],
            },
            creates=lambda _: physical,
        )
        return physical

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        portfolio, kind, arn = physical_id.split("|", 2)
        _delete(
            pc,
            "DisassociatePrincipalFromPortfolio",
            {"PortfolioId": portfolio, "PrincipalARN": arn, "PrincipalType": kind},
        )


class LaunchRoleConstraint(BaseResource):
    """A LAUNCH constraint; `Ref` is the constraint id."""

    type_name = "AWS::ServiceCatalog::LaunchRoleConstraint"
    spec = ResourceSpec(
        properties=frozenset(
            {
                "AcceptLanguage",
                "Description",
                "LocalRoleName",
                "PortfolioId",
                "ProductId",
                "RoleArn",
            }
        ),
        required=frozenset({"PortfolioId", "ProductId"}),
        create_only=frozenset({"PortfolioId", "ProductId"}),
    )

    @staticmethod
    def _parameters(props: Properties) -> str:
        chosen = {k: props[k] for k in ("RoleArn", "LocalRoleName") if props.get(k)}
        return json.dumps(chosen)

    def create(self, pc: ProviderContext, props: Properties) -> str:
        request: dict[str, Any] = {
            "PortfolioId": props["PortfolioId"],
            "ProductId": props["ProductId"],
            "Type": "LAUNCH",
            "Parameters": self._parameters(props),
            "IdempotencyToken": _token(pc),
        }
        if props.get("Description") is not None:
            request["Description"] = props["Description"]
        out = pc.call(
            "servicecatalog",
            "CreateConstraint",
            request,
            creates=lambda o: str(o["ConstraintDetail"]["ConstraintId"]),
        )
        return str(out["ConstraintDetail"]["ConstraintId"])

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is None:
            return
        pc.call(
            "servicecatalog",
            "UpdateConstraint",
            {
                "Id": physical_id,
                "Parameters": self._parameters(props),
                "Description": props.get("Description") or "",
            },
        )

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        _delete(pc, "DeleteConstraint", {"Id": physical_id})


for _type in (
    Portfolio(),
    CloudFormationProduct(),
    PortfolioProductAssociation(),
    PortfolioPrincipalAssociation(),
    LaunchRoleConstraint(),
):
    api.resource_type(_type)
