"""`aws cloudformation deploy`, `package` and `wait` against a live server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import LiveServer, aws_cli, live_server

BIN = Path(sys.executable).parent
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: Build logs for a project
Parameters:
  Retention:
    Type: Number
    Default: 7
    AllowedValues: [1, 7, 14]
Resources:
  Builds:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "${AWS::StackName}-builds"
      RetentionInDays: !Ref Retention
Outputs:
  GroupArn:
    Value: !GetAtt Builds.Arn
"""


# Loaded by the CLI's Python at start-up (sitecustomize): its waiters poll every second.
# `aws cloudformation deploy` waits 30 s between DescribeStacks calls whatever the stack
# does; what is under test is what each poll answers, not the CLI's patience.
QUICK_WAITERS = """\
import botocore.waiter

_wait = botocore.waiter.Waiter.wait


def _quick(self, **kwargs):
    config = dict(kwargs.pop("WaiterConfig", None) or {})
    config["Delay"] = min(float(config.get("Delay", self.config.delay)), 1.0)
    return _wait(self, WaiterConfig=config, **kwargs)


botocore.waiter.Waiter.wait = _quick
"""


def aws(
    server: LiveServer, home: Path, *args: str, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the aws CLI with the first account's root keys (its waiters polling every second)."""
    site = home / "quick-waiters"
    if not site.exists():
        site.mkdir()
        (site / "sitecustomize.py").write_text(QUICK_WAITERS)
    result = aws_cli(server, home, *args, env_extra={"PYTHONPATH": str(site)})
    if ok:
        assert result.returncode == 0, f"aws {' '.join(args)}: {result.stderr}{result.stdout}"
    return result


def forget_empty_change_sets(server: LiveServer, stack: str) -> None:
    """Delete the stack's change sets that failed for having no changes."""
    cfn = server.client("cloudformation")
    summaries = cfn.list_change_sets(StackName=stack)["Summaries"]
    empty = [s for s in summaries if s["Status"] == "FAILED"]
    assert empty, "the empty deploy left no failed change set"
    for summary in empty:
        cfn.delete_change_set(ChangeSetName=summary["ChangeSetId"])


def retention(server: LiveServer, name: str) -> int | None:
    [group] = server.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    value = group.get("retentionInDays")
    return int(value) if value is not None else None


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[LiveServer]:
    """One database is enough here: the CLI's behaviour is under test, the store's is in
    test_stacks."""
    with live_server(tmp_path / "state") as live:
        yield live


def test_deploy_package_and_wait(sqlite_server: LiveServer, tmp_path: Path) -> None:
    server = sqlite_server
    home = tmp_path / "home"
    home.mkdir()
    path = tmp_path / "logs.yaml"
    path.write_text(TEMPLATE)
    deploy = ["cloudformation", "deploy", "--stack-name", "proj"]
    out = aws(server, home, *deploy, "--template-file", str(path)).stdout
    assert "Successfully created/updated stack - proj" in out
    assert retention(server, "proj-builds") == 7
    # Nothing to change: the empty change set is not a failure when asked not to be.
    same = [*deploy, "--template-file", str(path)]
    out = aws(server, home, *same, "--no-fail-on-empty-changeset").stdout
    assert "No changes to deploy. Stack proj is up to date" in out
    # The CLI names its change sets by the second; the empty one it leaves would collide
    # with the next deploy's in the same second (as on AWS), so it goes first.
    forget_empty_change_sets(server, "proj")
    failed = aws(server, home, *same, ok=False)
    assert failed.returncode != 0
    assert "No changes to deploy. Stack proj is up to date" in failed.stderr + failed.stdout
    forget_empty_change_sets(server, "proj")
    refused = aws(server, home, *same, "--parameter-overrides", "Retention=5", ok=False)
    assert refused.returncode != 0
    assert "ValidationError" in refused.stderr
    assert retention(server, "proj-builds") == 7

    # package, then update the stack with the packaged template through S3 (a TemplateURL).
    aws(server, home, "s3", "mb", "s3://cfn-artifacts")
    packaged = tmp_path / "packaged.yaml"
    aws(
        server,
        home,
        "cloudformation",
        "package",
        "--template-file",
        str(path),
        "--s3-bucket",
        "cfn-artifacts",
        "--output-template-file",
        str(packaged),
    )
    assert "AWS::Logs::LogGroup" in packaged.read_text()
    aws(
        server,
        home,
        *deploy,
        "--template-file",
        str(packaged),
        "--s3-bucket",
        "cfn-artifacts",
        "--force-upload",
        "--parameter-overrides",
        "Retention=14",
    )
    assert retention(server, "proj-builds") == 14
    listed = server.client("s3").list_objects_v2(Bucket="cfn-artifacts").get("Contents", [])
    assert any(o["Key"].endswith(".template") for o in listed), listed

    aws(server, home, "cloudformation", "delete-stack", "--stack-name", "proj")
    aws(server, home, "cloudformation", "wait", "stack-delete-complete", "--stack-name", "proj")
    assert server.client("logs").describe_log_groups()["logGroups"] == []
