"""Shared fixtures: a test key, small generated CRMs, built warehouses and runs in temp folders.

Everything is synthetic and lives under pytest's temporary directories.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from synthetic_crm.engine import GenerationParams, generate

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


def crm_hard_deletes(sqlite_path: Path, contact_id: int) -> None:
    """What the CRM does when it executes a person's erasure: it hard-deletes every row carrying
    their contact id, except the request in privacy_requests."""
    src = sqlite3.connect(sqlite_path)
    try:
        for (table,) in src.execute("select name from sqlite_master where type = 'table'").fetchall():
            if table == "privacy_requests":
                continue
            for column in (r[1] for r in src.execute(f"pragma table_info({table})").fetchall()):
                if column.endswith("contact_id"):
                    src.execute(f"delete from {table} where {column} = ?", [contact_id])
        src.commit()
    finally:
        src.close()


@pytest.fixture(scope="session")
def generated_source(tmp_path_factory) -> Place:
    """One small CRM generated once per session (copy it before changing it)."""
    place = make_place(tmp_path_factory.mktemp("generated"))
    generate(SMALL, place.source_url, place.web_dir)
    return place


@pytest.fixture
def source_copy(generated_source: Place, tmp_path: Path) -> Place:
    """A private copy of the generated CRM and its logs."""
    place = make_place(tmp_path / "place")
    place.sqlite.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(generated_source.sqlite, place.sqlite)
    shutil.copytree(generated_source.web_dir, place.web_dir)
    return place


@pytest.fixture
def environ(monkeypatch):
    """Apply a place's settings to the environment for the test's duration."""

    def apply(place: Place, k: int = 5) -> None:
        for name, value in place.environ(k).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("DAGSTER_HOME", str(place.root / "dagster"))
        (place.root / "dagster").mkdir(parents=True, exist_ok=True)

    return apply


def run_nightly(place: Place, run_config: dict | None = None, as_of: datetime | None = None):
    """The nightly job, in process, on an ephemeral Dagster instance (settings from the env);
    ``as_of`` (naive UTC) pins the run's instant, otherwise the run's creation."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.lib.run_instant import AS_OF_TAG

    job = defs().resolve_job_def("nightly")
    tags = {AS_OF_TAG: as_of.isoformat()} if as_of else None
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config, tags=tags)
        from orchestration.lib.run_report import explain_failure

        return result, (None if result.success else explain_failure(instance, result.run_id))


@pytest.fixture(scope="session")
def published_place(tmp_path_factory, generated_source: Place) -> Place:
    """A complete nightly run on the small CRM, done once; tests read its files (never write)."""
    return published_copy(tmp_path_factory.mktemp("published"), generated_source)


def published_copy(root: Path, source: Place, k: int = 5) -> Place:
    """A copy of ``source``'s CRM and logs under ``root``, and a nightly run on it with k."""
    place = make_place(root)
    place.sqlite.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source.sqlite, place.sqlite)
    shutil.copytree(source.web_dir, place.web_dir)
    run_in_place(place, k)
    return place


def run_in_place(place: Place, k: int = 5, as_of: datetime | None = None) -> None:
    """The nightly job with the place's settings (session fixtures cannot use monkeypatch)."""
    saved = dict(os.environ)
    os.environ.update(place.environ(k))
    os.environ["DAGSTER_HOME"] = str(place.root / "dagster")
    try:
        result, reason = run_nightly(place, as_of=as_of)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert result.success, reason


def table_rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def require_binary(path_or_name: str, why: str) -> str:
    """The binary a test tier needs: in CI (MGREEN_CI=1) its absence fails, elsewhere it skips."""
    found = shutil.which(path_or_name) or (path_or_name if Path(path_or_name).exists() else None)
    if found:
        return found
    message = f"{path_or_name} is not installed ({why}); .ci/run installs it with apt-get."
    if os.environ.get("MGREEN_CI"):
        pytest.fail(message)
    pytest.skip(message)
