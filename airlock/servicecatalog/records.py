"""Records and provisioned products: their output shapes and how a record ends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airlock.core.api import Output

from .models import ProvisionedProduct, Record

PROVISION = "PROVISION_PRODUCT"
UPDATE = "UPDATE_PROVISIONED_PRODUCT"
TERMINATE = "TERMINATE_PROVISIONED_PRODUCT"
# Record phases: what the worker does next.
LAUNCH, FOLLOW, DONE = "launch", "follow", "done"


def record_out(record: Record) -> Output:
    """`RecordDetail`."""
    out: Output = {
        "RecordId": record.record_id,
        "ProvisionedProductName": record.pp_name,
        "Status": record.status,
        "CreatedTime": record.created_at,
        "UpdatedTime": record.updated_at,
        "ProvisionedProductType": "CFN_STACK",
        "RecordType": record.record_type,
        "ProvisionedProductId": record.pp_id,
        "ProductId": record.product_id,
        "ProvisioningArtifactId": record.artifact_id,
        "PathId": record.path_id,
        "RecordErrors": list(record.errors),
        "RecordTags": list(record.tags),
    }
    if record.launch_role_arn:
        out["LaunchRoleArn"] = record.launch_role_arn
    return out


def provisioned_out(pp: ProvisionedProduct) -> Output:
    """`ProvisionedProductDetail`."""
    out: Output = {
        "Name": pp.name,
        "Arn": pp.arn,
        "Type": "CFN_STACK",
        "Id": pp.pp_id,
        "Status": pp.status,
        "CreatedTime": pp.created_at,
        "IdempotencyToken": pp.idempotency_token,
        "ProductId": pp.product_id,
        "ProvisioningArtifactId": pp.artifact_id,
    }
    for member, value in (
        ("StatusMessage", pp.status_message),
        ("LastRecordId", pp.last_record_id),
        ("LastProvisioningRecordId", pp.last_provisioning_record_id),
        ("LastSuccessfulProvisioningRecordId", pp.last_successful_record_id),
        ("LaunchRoleArn", pp.launch_role_arn),
    ):
        if value:
            out[member] = value
    return out


def attribute_out(pp: ProvisionedProduct, product_name: str, artifact_name: str) -> Output:
    """`ProvisionedProductAttribute` (SearchProvisionedProducts)."""
    out = provisioned_out(pp)
    out.pop("LaunchRoleArn", None)
    out.update(
        Tags=list(pp.tags),
        ProductName=product_name,
        ProvisioningArtifactName=artifact_name,
        UserArn=pp.user_arn,
        UserArnSession=pp.user_arn_session,
    )
    if pp.stack_id:
        out["PhysicalId"] = pp.stack_id
    return out


def finish(
    record: Record,
    pp: ProvisionedProduct | None,
    now: datetime,
    *,
    succeeded: bool,
    error: tuple[str, str] | None = None,
    outputs: list[dict[str, str]] | None = None,
) -> None:
    """End a record, and set its provisioned product's status as Service Catalog does:
    AVAILABLE after success, ERROR when a launch failed, TAINTED when an update did."""
    record.phase = DONE
    record.updated_at = now
    record.status = "SUCCEEDED" if succeeded else "FAILED"
    if error is not None:
        record.errors = [{"Code": error[0], "Description": error[1]}]
    if outputs is not None:
        record.outputs = outputs
    if pp is None:
        return
    if succeeded:
        if record.record_type == TERMINATE:
            pp.terminated = True
            pp.status = "AVAILABLE"
        else:
            pp.status = "AVAILABLE"
            pp.status_message = None
            pp.last_successful_record_id = record.record_id
            if record.record_type == UPDATE:
                pp.artifact_id = record.artifact_id
                pp.path_id = record.path_id
                pp.parameters = list(record.request.get("Parameters") or [])
        return
    pp.status_message = error[1] if error else None
    if record.record_type == PROVISION:
        pp.status = "ERROR"
    elif record.record_type == UPDATE:
        pp.status = "TAINTED"
    else:
        pp.status = "ERROR"


def stack_outputs(stack: dict[str, Any]) -> list[dict[str, str]]:
    """A stack's outputs as RecordOutputs, after the stack's ARN as Service Catalog adds it."""
    out = [{"OutputKey": "CloudformationStackARN", "OutputValue": str(stack.get("StackId", ""))}]
    for item in stack.get("Outputs") or []:
        entry = {
            "OutputKey": str(item.get("OutputKey")),
            "OutputValue": str(item.get("OutputValue")),
        }
        if item.get("Description"):
            entry["Description"] = str(item["Description"])
        out.append(entry)
    return out
