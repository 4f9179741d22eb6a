"""The staging test: invoke the staging endpoint with held-out iris rows, as the staging
account's SageMaker role, and fail (exit 1) when the accuracy is below the threshold, so a
bad model never reaches the approver."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

import boto3


def runtime_as(account: str, role_name: str) -> Any:
    """A sagemaker-runtime client of the staging account's role, assumed by the pipeline role."""
    arn = f"arn:aws:iam::{account}:role/{role_name}"
    credentials = boto3.client("sts").assume_role(
        RoleArn=arn, RoleSessionName="staging-endpoint-test"
    )["Credentials"]
    return boto3.client(
        "sagemaker-runtime",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def accuracy(runtime: Any, endpoint: str, rows: list[list[str]]) -> float:
    """The share of rows (label first) whose predicted class is the label."""
    right = 0
    for label, *features in rows:
        answer = (
            runtime.invoke_endpoint(
                EndpointName=endpoint, ContentType="text/csv", Body=",".join(features)
            )["Body"]
            .read()
            .decode()
        )
        right += int(float(answer.strip().split(",")[0])) == int(float(label))
    return right / len(rows)


def main() -> int:
    """Test every staging account's endpoint."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployment", required=True)
    parser.add_argument("--holdout", required=True)
    parser.add_argument("--threshold", type=float, required=True)
    args = parser.parse_args()
    with open(args.deployment, encoding="utf-8") as source:
        deployment = json.load(source)
    with open(args.holdout, encoding="utf-8", newline="") as source:
        rows = [row for row in csv.reader(source) if row]
    results = {}
    for account in deployment["StagingAccounts"]:
        runtime = runtime_as(account, deployment["StagingRoleName"])
        score = accuracy(runtime, deployment["StagingEndpointName"], rows)
        results[account] = score
        print(f"Account {account}: accuracy {score:.3f} on {len(rows)} held-out rows")
    with open("test-results.json", "w", encoding="utf-8") as out:
        json.dump({"threshold": args.threshold, "accuracy": results}, out, indent=2)
    failed = {a: s for a, s in results.items() if s < args.threshold}
    if failed:
        print(f"Below the threshold {args.threshold}: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
