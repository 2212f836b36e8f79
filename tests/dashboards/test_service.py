"""`mgreen dashboards` as a service manager runs it: one process, which a SIGTERM stops."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboards.lib.auth import write_demo_auth_file
from tests.support.streamlit_server import free_port, wait_until_healthy

pytestmark = pytest.mark.e2e


def port_is_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_to_mgreen_dashboards_stops_the_server_and_frees_its_port(published_place, tmp_path):
    auth = tmp_path / "auth.yaml"
    write_demo_auth_file(auth)
    port = free_port()
    env = {
        **os.environ,
        **published_place.environ(),
        "MGREEN_DASHBOARD_AUTH_FILE": str(auth),
    }
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("mgreen")), "dashboards", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if not wait_until_healthy(f"http://127.0.0.1:{port}"):
            pytest.fail("the dashboards did not start")
        # What systemd does on `systemctl stop`: SIGTERM to the process it started.
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        deadline = time.monotonic() + 10
        while port_is_taken(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not port_is_taken(port), "a Streamlit server outlived `mgreen dashboards` and holds the port"
    finally:
        # Whatever is left of the session (the old code's orphaned Streamlit) goes with the test.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
