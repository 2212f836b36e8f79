"""Running this environment's dbt in a test: a child process on a project folder, its target and
log folders under the test's own temporary folder (never the repository's: another test scans
``dbt_project/logs`` for the key)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_dbt(
    *args: str, project: Path, scratch: Path, env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess:
    """``dbt <args>`` in ``project``, writing ``scratch/target`` and ``scratch/logs``."""
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--target-path",
            str(scratch / "target"),
            "--log-path",
            str(scratch / "logs"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
