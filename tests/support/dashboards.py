"""Reading the dashboards in AppTest: a role logged in on a published file, a chart's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
from streamlit.testing.v1 import AppTest

from dashboards.lib.auth import DEMO_ACCOUNTS, write_demo_auth_file
from orchestration.project import DASHBOARDS_DIR

APP = str(DASHBOARDS_DIR / "streamlit_app.py")


def open_page(published: Path, page: str, monkeypatch, folder: Path, role: str = "direction") -> AppTest:
    """``page`` (``app_pages/<name>.py``) as ``role`` sees it on the ``published`` file."""
    auth = folder / "auth.yaml"
    write_demo_auth_file(auth)
    monkeypatch.setenv("MGREEN_PUBLISHED_PATH", str(published))
    monkeypatch.setenv("MGREEN_DASHBOARD_AUTH_FILE", str(auth))
    account = next(a for a in DEMO_ACCOUNTS if a.role == role)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input(account.username)
    at.text_input[1].input(account.password)
    at.button[0].click().run()
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chart_rows(at: AppTest, title: str) -> list[dict]:
    """The rows the Altair chart titled ``title`` draws, every layer, from its Vega-Lite datasets."""
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        titles = [spec.get("title")] + [layer.get("title") for layer in spec.get("layer", [])]
        if title in titles:
            return [
                row
                for dataset in chart.proto.datasets
                for row in pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
            ]
    raise AssertionError(f"no chart titled {title!r}")
