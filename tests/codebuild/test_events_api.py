"""CodeBuild's build state and phase change events on the account's default bus."""

from __future__ import annotations

import json
from typing import Any

from tests.codebuild.test_builds_api import finished
from tests.codebuild.test_projects_api import make_role, project_args
from tests.support import LiveServer, wait_for


def test_state_and_phase_change_events(server: LiveServer) -> None:
    from tests.events.test_delivery import log_messages

    account = server.first_account_id()
    role = make_role(server)
    logs, events, cb = server.client("logs"), server.client("events"), server.client("codebuild")
    logs.create_log_group(logGroupName="/builds")
    events.put_rule(Name="builds", EventPattern=json.dumps({"source": ["aws.codebuild"]}))
    events.put_targets(
        Rule="builds",
        Targets=[{"Id": "log", "Arn": f"arn:aws:logs:us-east-1:{account}:log-group:/builds"}],
    )
    cb.create_project(**project_args(role))
    build = finished(cb, cb.start_build(projectName="proj")["build"]["id"])

    def all_of_them() -> list[dict[str, Any]] | None:
        found = [json.loads(m) for m in log_messages(logs, "/builds")]
        states = [e for e in found if e["detail-type"] == "CodeBuild Build State Change"]
        return found if len(states) >= 2 and len(found) >= 12 else None

    found = wait_for(all_of_them, timeout=30, interval=0.2, what="the build's events")
    states = [e for e in found if e["detail-type"] == "CodeBuild Build State Change"]
    assert sorted(e["detail"]["build-status"] for e in states) == ["IN_PROGRESS", "SUCCEEDED"]
    phases = [e for e in found if e["detail-type"] == "CodeBuild Build Phase Change"]
    assert sorted(e["detail"]["completed-phase"] for e in phases) == sorted(
        p["phaseType"] for p in build["phases"][:-1]
    )
    for event in found:
        assert event["source"] == "aws.codebuild"
        assert event["resources"] == [build["arn"]]
        assert event["detail"]["build-id"] == build["arn"]
        assert event["detail"]["project-name"] == "proj"
        assert event["detail"]["version"] == "1"
    (done,) = [e for e in states if e["detail"]["build-status"] == "SUCCEEDED"]
    info = done["detail"]["additional-information"]
    assert info["build-complete"] is True
    assert info["logs"]["group-name"] == "/aws/codebuild/proj"
    assert done["detail"]["current-phase"] == "COMPLETED"
    (built,) = [e for e in phases if e["detail"]["completed-phase"] == "BUILD"]
    assert built["detail"]["completed-phase-status"] == "SUCCEEDED"
