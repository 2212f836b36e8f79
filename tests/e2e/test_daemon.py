"""End-to-end: the nightly job as a server runs it, launched through Dagster's daemon.

`mgreen run` executes the job in its own process; the 02:00 schedule does not: Dagster's
daemon queues the run, launches it in a run worker of its own and watches it. That path has
settings of its own (orchestration/lib/instance.py), tested here on the small CRM.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.support.tables import table_rows

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def launch(env: dict, tags: dict | None = None) -> None:
    """What an operator's "launch now" does: submit the job to the instance's queue."""
    args = [str(BIN / "dagster"), "job", "launch", "-m", "orchestration.definitions", "-j", "nightly"]
    if tags:
        args += ["--tags", json.dumps(tags)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def run_records(home: Path) -> list:
    """The instance's runs, oldest first."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        return list(reversed(instance.get_run_records()))


def run_messages(home: Path, run_id: str) -> list[str]:
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        return [e.dagster_event.message or "" for e in instance.all_logs(run_id) if e.dagster_event]


def test_the_daemon_runs_one_night_at_a_time_and_stops_a_hung_one(source_copy, tmp_path):
    """Two runs launched together: the first exceeds its maximum runtime and is stopped by the
    daemon's run monitoring; the second waits in the queue (one writer on the warehouse), then
    publishes from the warehouse the stopped run left behind."""
    place = source_copy
    home = place.root / "dagster"
    home.mkdir(parents=True)
    # The operator's own setting is kept; here a faster poll than the default two minutes.
    (home / "dagster.yaml").write_text("run_monitoring:\n  enabled: true\n  poll_interval_seconds: 1\n")
    env = {**os.environ, **place.environ(), "DAGSTER_HOME": str(home)}
    # Both wait in the queue until the daemon starts, which finds them there together.
    # Four seconds: the stopped run is past its load and in the middle of a later step.
    launch(env, {"dagster/max_runtime": "4"})
    launch(env)
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        daemon = subprocess.Popen(
            [str(BIN / "mgreen"), "daemon"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            records = run_records(home)
            if len(records) == 2 and all(r.dagster_run.status.value in FINISHED for r in records):
                break
            assert daemon.poll() is None, log.read_text()[-3000:]
            time.sleep(2)
        else:
            pytest.fail("the daemon did not finish both runs in 5 minutes:\n" + log.read_text()[-3000:])
    finally:
        os.killpg(daemon.pid, signal.SIGINT)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)

    stopped, nightly = records
    assert stopped.dagster_run.tags["dagster/max_runtime"] == "4"
    assert stopped.dagster_run.status.value == "FAILURE"
    assert any("exceeding maximum runtime of 4 seconds" in m for m in run_messages(home, stopped.dagster_run.run_id))
    assert nightly.dagster_run.status.value == "SUCCESS", log.read_text()[-3000:]
    # One at a time: the second run started after the first had ended.
    assert nightly.start_time >= stopped.end_time
    assert table_rows(place.published, "select run_id from publication") == [(nightly.dagster_run.run_id,)]
    # The daemon's journal: the runs' steps and checks, not one DEBUG line per event, and no
    # warning repeated at every load of the code location.
    text = log.read_text()
    assert "Privacy guard on published file" in text
    assert " - DEBUG - nightly - " not in text
    assert "code location name" not in text
    # mgreen added what the operator's file lacked, and kept the rest.
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["run_monitoring"] == {"enabled": True, "poll_interval_seconds": 1}
    assert config["concurrency"] == {"runs": {"max_concurrent_runs": 1}}
    assert config["telemetry"] == {"enabled": False}


def test_the_daemon_refuses_to_start_without_the_key(tmp_path):
    """Refused when it starts, rather than at 02:00 in every run it would launch."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster")}
    done = subprocess.run([str(BIN / "mgreen"), "daemon"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "MGREEN_PSEUDONYMISATION_KEY" in done.stderr and "refuses to start" in done.stderr
    assert not (tmp_path / "dagster").exists()
