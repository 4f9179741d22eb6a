"""What provider tests share: narrow principals, the trail, and failures to compare."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airlock.core.context import Principal, PrincipalType
from airlock.core.errors import ServiceError
from airlock.core.resources import Properties, ResourceFailed
from tests.cloudformation.providers import provision
from tests.support import LiveServer


def user_allowed(server: LiveServer, account_id: str, name: str, *actions: str) -> Principal:
    """A new IAM user allowed `actions` on every resource (nothing at all when none)."""
    iam = server.client("iam", account_id)
    user = iam.create_user(UserName=name)["User"]
    if actions:
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
        iam.put_user_policy(UserName=name, PolicyName="only", PolicyDocument=json.dumps(document))
    return Principal(
        account_id=account_id, arn=user["Arn"], type=PrincipalType.USER, user_id=user["UserId"]
    )


def invoked_by(server: LiveServer, account_id: str, event_name: str) -> list[Any]:
    """`userIdentity.invokedBy` of each trail record of `event_name`, newest first."""
    events = server.client("cloudtrail", account_id).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}]
    )["Events"]
    return [json.loads(e["CloudTrailEvent"])["userIdentity"].get("invokedBy") for e in events]


def service_error(
    server: LiveServer, account_id: str, type_name: str, props: Properties, **context: Any
) -> tuple[str, str]:
    """The code and message of the ServiceError a create fails with."""
    with pytest.raises(ServiceError) as caught:
        provision(server, account_id, type_name, props, **context)
    return caught.value.code, caught.value.message


def refusal(server: LiveServer, account_id: str, type_name: str, props: Properties) -> str:
    """The reason a create is refused with (ResourceFailed)."""
    with pytest.raises(ResourceFailed) as refused:
        provision(server, account_id, type_name, props)
    return str(refused.value)
