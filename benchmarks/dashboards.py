"""Each page's render time on a published file: cold (empty cache) and cached.

    python benchmarks/dashboards.py [--published data/bench/l/published/marts.duckdb]

Times the page script run on the server (Streamlit's AppTest), which is what the cache
and the queries change; the browser's drawing is not included.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, machine, table  # noqa: E402

PAGES = [
    "vue_ensemble.py",
    "commandes.py",
    "clients.py",
    "entonnoir.py",
    "aides.py",
    "sav.py",
    "impayes.py",
    "conformite.py",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--published", type=Path, default=REPO / "data" / "bench" / "l" / "published" / "marts.duckdb")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboards.lib.auth import write_demo_auth_file

    auth = Path(tempfile.mkdtemp()) / "auth.yaml"
    write_demo_auth_file(auth)
    os.environ["MGREEN_PUBLISHED_PATH"] = str(args.published)
    os.environ["MGREEN_DASHBOARD_AUTH_FILE"] = str(auth)
    app = str(REPO / "dashboards" / "streamlit_app.py")
    rows = []
    for page in PAGES:
        cold, cached = [], []
        for _ in range(args.repeat):
            st.cache_data.clear()
            at = AppTest.from_file(app, default_timeout=120).run()
            at.text_input[0].input("direction")
            at.text_input[1].input("demo-direction-2026")
            at.button[0].click().run()
            st.cache_data.clear()
            started = time.perf_counter()
            at.switch_page(f"app_pages/{page}").run()
            cold.append(time.perf_counter() - started)
            assert not at.exception, [e.message for e in at.exception]
            started = time.perf_counter()
            at.run()
            cached.append(time.perf_counter() - started)
        rows.append(
            [
                page.removesuffix(".py"),
                f"{statistics.median(cold) * 1000:,.0f}",
                f"{statistics.median(cached) * 1000:,.0f}",
            ]
        )
    size = args.published.stat().st_size / 2**20
    print(f"## Dashboards: page render times\n\nMachine: {machine()}\nPublished file: {size:,.1f} MiB\n")
    print(table(["page", "cold (ms)", "cached (ms)"], rows))


if __name__ == "__main__":
    main()
