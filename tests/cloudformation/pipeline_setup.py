"""What the CloudFormation action type tests share: an artifact bucket, the action's role
(trusted by CodePipeline), the stacks' role (trusted by CloudFormation), templates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.cloudformation.sets import ADMIN_ROLE
from tests.pipeline_actions import ActionRun, zipped
from tests.support import LiveServer, policy_document, service_trust

ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"
STACK_KEY = "Deploy/AWS/CloudFormation"
STACK_SET_KEY = "Deploy/AWS/CloudFormationStackSet"
INSTANCES_KEY = "Deploy/AWS/CloudFormationStackInstances"


def log_template(name: str = "${AWS::StackName}-logs", **extra_outputs: Any) -> str:
    """A log group named after the stack, with a Retention parameter and outputs."""
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"Retention": {"Type": "Number", "Default": "7"}},
            "Resources": {
                "Logs": {
                    "Type": "AWS::Logs::LogGroup",
                    "Properties": {
                        "LogGroupName": {"Fn::Sub": name},
                        "RetentionInDays": {"Ref": "Retention"},
                    },
                }
            },
            "Outputs": {
                "GroupName": {"Value": {"Ref": "Logs"}},
                "Retention": {"Value": {"Ref": "Retention"}},
                **{k: {"Value": v} for k, v in extra_outputs.items()},
            },
        }
    )


@dataclass
class Setup:
    """A bucket, an action role and a stack role in one account."""

    server: LiveServer
    account_id: str
    bucket: str
    action_role: str
    stack_role: str

    def run(
        self,
        key: str,
        configuration: dict[str, str],
        inputs: dict[str, dict[str, str | bytes]] | None = None,
        *,
        outputs: tuple[str, ...] = (),
        role: str | None = None,
    ) -> ActionRun:
        """An action run with zipped input artifacts."""
        return ActionRun(
            self.server,
            key,
            configuration,
            role or self.action_role,
            self.bucket,
            self.account_id,
            inputs={name: zipped(files) for name, files in (inputs or {}).items()},
            outputs=outputs,
        )

    def stack(
        self, configuration: dict[str, str], template: str | None = None, **kw: Any
    ) -> ActionRun:
        """A CloudFormation action run with the stack role and a template artifact."""
        config = {"RoleArn": self.stack_role, **configuration}
        inputs = kw.pop("inputs", None) or {}
        if template is not None:
            inputs = {"Template": {"template.json": template}, **inputs}
            config.setdefault("TemplatePath", "Template::template.json")
        return self.run(STACK_KEY, config, inputs, **kw)


def role(server: LiveServer, account_id: str, name: str, trusted: str, *statements: Any) -> str:
    """A role trusted by a service principal, allowed `statements`."""
    iam = server.client("iam", account_id)
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust(trusted))[
        "Role"
    ]["Arn"]
    if statements:
        iam.put_role_policy(
            RoleName=name, PolicyName="allowed", PolicyDocument=policy_document(*statements)
        )
    return arn


def setup(server: LiveServer, account_id: str) -> Setup:
    """The bucket and both roles."""
    bucket = f"artifacts-{account_id}"
    server.client("s3", account_id).create_bucket(Bucket=bucket)
    stack_role = role(server, account_id, "deployer", "cloudformation.amazonaws.com")
    server.client("iam", account_id).attach_role_policy(
        RoleName="deployer", PolicyArn=ADMINISTRATOR
    )
    action_role = role(
        server,
        account_id,
        "pipeline-action",
        "codepipeline.amazonaws.com",
        {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
        # The stacks' role, and a self-managed stack set's administration role.
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": [stack_role, f"arn:aws:iam::{account_id}:role/{ADMIN_ROLE}"],
        },
    )
    return Setup(server, account_id, bucket, action_role, stack_role)
