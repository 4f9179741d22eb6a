"""Screenshots of the console's main pages, on the article's story as a live server plays it.

Run: .venv/bin/python -m examples.console.screenshots [--out examples/console/screenshots]
Needs Debian's Chromium (apt-get install chromium; AIRLOCK_CHROMIUM names another).
The set-up is the multi-account example's (organization, target roles, product, project,
a registered model); the scientist approves the model, the pictures are taken while the
approver's gate waits, and once more after production is deployed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.console.browsing import signed_in_page
from tests.console.conftest import HINT, chromium_path
from tests.examples.multi_account_support import (
    PROJECT,
    approval_token,
    registered_model,
    stage,
    started_by_approval,
)
from tests.support import LiveServer, live_server

HERE = Path(__file__).parent


def shoot(page: Page, out: Path, name: str, path: str) -> None:
    """One full-page screenshot of a console page."""
    page.goto(page.url.split("/console/")[0] + "/console" + path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    print(f"saved {out / name}.png")


def story(server: LiveServer, out: Path, executable: str) -> None:
    """Play the story and take the pictures."""
    played = registered_model(server)
    played.scientist.update_model_package(
        ModelPackageArn=played.package,
        ModelApprovalStatus="Approved",
        ApprovalDescription="Accuracy 0.96 on the held-out rows",
    )
    run = started_by_approval(server, played)
    cp = server.client("codepipeline")
    approval_token(cp, played.pipeline, run)
    builds = cp.list_action_executions(
        pipelineName=played.pipeline, filter={"pipelineExecutionId": run}
    )["actionExecutionDetails"]
    test_build = next(
        d["output"]["executionResult"]["externalExecutionId"]
        for d in builds
        if d["stageName"] == "TestStaging"
    )
    group, pipeline = played.group, played.pipeline
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = signed_in_page(browser, server, server.root_keys(server.first_account_id()))
        page.set_viewport_size({"width": 1280, "height": 900})
        shoot(page, out, "home", "/")
        shoot(page, out, "model-versions", f"/sagemaker/model-groups/{group}")
        shoot(page, out, "model-version", f"/sagemaker/model-groups/{group}/versions/1")
        shoot(page, out, "pipeline-waiting", f"/codepipeline/pipelines/{pipeline}")
        review = f"/codepipeline/pipelines/{pipeline}/review/ApproveDeployment/ApproveDeployment"
        shoot(page, out, "build", f"/codebuild/builds/{test_build}")
        shoot(page, out, "review", review)
        page.get_by_label("Summary").fill("Staging accuracy is good")
        page.get_by_role("button", name="Approve").click()
        stage(cp, pipeline, "DeployProd", run, "Succeeded")
        shoot(page, out, "pipeline-deployed", f"/codepipeline/pipelines/{pipeline}")
        shoot(page, out, "executions", f"/codepipeline/pipelines/{pipeline}/executions")
        shoot(page, out, "execution", f"/codepipeline/pipelines/{pipeline}/executions/{run}")
        shoot(page, out, "audit", "/audit?event=PutApprovalResult")
        scientist = f"arn:aws:iam::{server.first_account_id()}:user/scientist"
        shoot(
            page,
            out,
            "iam-explain",
            f"/iam?principal={scientist}&action=codepipeline:PutApprovalResult&resource=*",
        )
        browser.close()
    print(f"{PROJECT}: {len(list(out.glob('*.png')))} screenshots in {out}")


def main() -> None:
    """Parse the arguments, start a server, take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    out = parser.parse_args().out
    executable = chromium_path()
    if executable is None:
        raise SystemExit(f"No Chromium: {HINT}")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp) / "state") as server:
        story(server, out, executable)


if __name__ == "__main__":
    main()
