"""What the benchmarks share."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.sagemaker.test_training import PIPELINE_ROLE, TRUST
from tests.support import server_process, unused_port


def sagemaker_role(iam: Any, name: str) -> str:
    """A role SageMaker may assume, allowed everything on S3 and a pipeline's steps; its ARN."""
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName=name,
        PolicyName="all-s3",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    *PIPELINE_ROLE,
                ],
            }
        ),
    )
    return str(role["Role"]["Arn"])


def figures(samples: list[float]) -> str:
    """Durations in seconds as the benchmarks print them: median and range."""
    return (
        f"median {statistics.median(samples):.2f} s "
        f"(min {min(samples):.2f}, max {max(samples):.2f}, {len(samples)} runs)"
    )


def runs(description: str | None, default: int = 5) -> int:
    """The `--runs` the benchmark was asked for (5 by default)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=default)
    return int(parser.parse_args().runs)


@contextmanager
def own_server() -> Iterator[tuple[Path, int]]:
    """`airlock server` as its own process on a temporary state dir: (state dir, port)."""
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        port = unused_port()
        with server_process(state, port):
            yield state, port
