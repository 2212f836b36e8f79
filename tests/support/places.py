"""Test places: a complete configuration in a temporary folder, the small CRM the tests generate
in them, and copies of a place and the content of its published file, for tests that run more nights.

Everything is synthetic and lives under pytest's temporary directories.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from synthetic_crm.engine import GenerationParams
from tests.support.tables import table_rows

# A key of the right length, for tests only; tests that check the key never leaks look for it.
TEST_KEY = "test-key-0123456789-abcdefghijklmnopqrstuvwxyz-NOT-A-REAL-SECRET"
# The test CRM ends two days before today and spans the same 1,423 days whatever the day: the
# nightly job runs at the real clock, and its retention windows (13 months of browsing data,
# three years for a prospect) would age a CRM of fixed dates out of what the tests check.
SMALL_END = datetime.now(UTC).date() - timedelta(days=2)
SMALL = GenerationParams(contacts=1500, seed=7, start=SMALL_END - timedelta(days=1423), end=SMALL_END, web_log_days=60)


@dataclass(frozen=True)
class Place:
    """A complete configuration in a temporary folder."""

    root: Path
    source_url: str
    sqlite: Path
    web_dir: Path
    warehouse: Path
    published: Path

    def environ(self, k: int = 5) -> dict[str, str]:
        return {
            "MGREEN_SOURCE_URL": self.source_url,
            "MGREEN_WEB_SESSIONS_DIR": str(self.web_dir),
            "MGREEN_WAREHOUSE_PATH": str(self.warehouse),
            "MGREEN_PUBLISHED_PATH": str(self.published),
            "MGREEN_MIN_CELL_SIZE": str(k),
            "MGREEN_PSEUDONYMISATION_KEY": TEST_KEY,
        }


def make_place(root: Path) -> Place:
    root.mkdir(parents=True, exist_ok=True)
    sqlite = root / "source" / "crm.sqlite"
    return Place(
        root,
        f"sqlite:///{sqlite}",
        sqlite,
        root / "source" / "web_sessions",
        root / "warehouse" / "warehouse.duckdb",
        root / "published" / "marts.duckdb",
    )


def copy_source(source: Place, root: Path) -> Place:
    """A place under ``root`` with a copy of ``source``'s CRM and logs (no warehouse yet)."""
    place = make_place(root)
    place.sqlite.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source.sqlite, place.sqlite)
    shutil.copytree(source.web_dir, place.web_dir)
    return place


def copy_place(src: Place, root: Path) -> Place:
    """The CRM, logs, warehouse and published file of ``src``, copied under ``root``."""
    place = make_place(root)
    for a, b in ((src.sqlite, place.sqlite), (src.warehouse, place.warehouse), (src.published, place.published)):
        b.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(a, b)
    shutil.copytree(src.web_dir, place.web_dir)
    return place


def marts_content(path: Path) -> dict[str, list]:
    """Every mart of a published file, its rows sorted."""
    tables = [
        r[0]
        for r in table_rows(
            path, "select table_name from information_schema.tables where table_name like 'mart_%' order by 1"
        )
    ]
    return {t: table_rows(path, f"select * from {t} order by all") for t in tables}
