"""Server time of the console's two longest lists: a model group's versions page with 200
versions, and a pipeline's execution history with 200 executions (target: ≤ 100 ms each).

Run: .venv/bin/python -m bench.console_pages [--runs N]
Each page is fetched signed in, as a browser does; the figure is the server's own time
for the page (its Server-Timing header), every call through the call path included.
"""

from __future__ import annotations

import re
import statistics
import tempfile
from pathlib import Path

from tests.codepipeline.helpers import setup, source_and_approval
from tests.console.support import Browsers
from tests.examples.multi_account_support import register
from tests.support import LiveServer, live_server, wait_for

COUNT = 200
TARGET_MS = 100.0
_TIMING = re.compile(r"app;dur=([0-9.]+)")


def versions(server: LiveServer, group: str) -> None:
    """A model group with COUNT versions."""
    s3 = server.client("s3")
    s3.create_bucket(Bucket="bench-models")
    s3.put_object(Bucket="bench-models", Key="model.tar.gz", Body=b"model")
    sm = server.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    for _ in range(COUNT):
        register(sm, group, "s3://bench-models/model.tar.gz")


def executions(server: LiveServer, name: str) -> None:
    """A pipeline with COUNT executions (its first, at creation, and COUNT - 1 more)."""
    cp, role = setup(server)
    cp.create_pipeline(pipeline=source_and_approval(role, name=name))
    for _ in range(COUNT - 1):
        cp.start_pipeline_execution(name=name)

    def settled() -> bool:
        # Superseded runs end; the newest waits at its approval: the engine is idle.
        listed = cp.list_pipeline_executions(pipelineName=name, maxResults=100)
        summaries: list[dict[str, str]] = listed["pipelineExecutionSummaries"]
        return sum(e["status"] == "InProgress" for e in summaries) <= 1

    wait_for(settled, timeout=600, interval=0.5, what="the executions to settle")


def server_ms(browsers: Browsers, keys: tuple[str, str], path: str, runs: int) -> list[float]:
    """The server's milliseconds for each of `runs` fetches of a page."""
    client = browsers.signed_in(keys)
    client.get(path)  # the first fetch warms the caches, as any page already visited
    samples = []
    for _ in range(runs):
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
        found = _TIMING.search(answer.headers["server-timing"])
        assert found is not None
        samples.append(float(found.group(1)))
    return samples


def main() -> None:
    """Build the lists, fetch the pages, print the figures."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    runs = int(parser.parse_args().runs)
    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp) / "state") as server:
        versions(server, "bench-group")
        executions(server, "bench-pipe")
        listed = server.client("codepipeline").list_pipeline_executions(
            pipelineName="bench-pipe", maxResults=100
        )
        assert listed.get("nextToken"), "the history needs more than one page"
        browsers = Browsers(server)
        keys = server.root_keys(server.first_account_id())
        pages = {
            f"model versions ({COUNT})": "/console/sagemaker/model-groups/bench-group",
            f"execution history ({COUNT})": "/console/codepipeline/pipelines/bench-pipe/executions",
        }
        try:
            for label, path in pages.items():
                samples = server_ms(browsers, keys, path, runs)
                median = statistics.median(samples)
                verdict = "meets" if median <= TARGET_MS else "misses"
                print(
                    f"{label}: median {median:.1f} ms (min {min(samples):.1f}, "
                    f"max {max(samples):.1f}, {runs} runs); {verdict} the {TARGET_MS:.0f} ms target"
                )
        finally:
            browsers.close()


if __name__ == "__main__":
    main()
