"""Shared fixtures: a test key, small generated CRMs, built warehouses and runs in temp folders.

Everything is synthetic and lives under pytest's temporary directories; the helpers the fixtures
and the tests use are in tests/support.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from synthetic_crm.engine import generate
from tests.support.nightly import published_copy
from tests.support.places import SMALL, Place, copy_source, make_place


@pytest.fixture(scope="session")
def generated_source(tmp_path_factory) -> Place:
    """One small CRM generated once per session (copy it before changing it)."""
    # The tests of retention need a CRM longer than its three-year rules, so that they bite.
    assert SMALL.end - SMALL.start > timedelta(days=3 * 365), "the small CRM must span more than three years"
    place = make_place(tmp_path_factory.mktemp("generated"))
    generate(SMALL, place.source_url, place.web_dir)
    return place


@pytest.fixture
def source_copy(generated_source: Place, tmp_path: Path) -> Place:
    """A private copy of the generated CRM and its logs."""
    return copy_source(generated_source, tmp_path / "place")


@pytest.fixture
def environ(monkeypatch):
    """Apply a place's settings to the environment for the test's duration."""

    def apply(place: Place, k: int = 5) -> None:
        for name, value in place.environ(k).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("DAGSTER_HOME", str(place.root / "dagster"))
        (place.root / "dagster").mkdir(parents=True, exist_ok=True)

    return apply


@pytest.fixture(scope="session")
def published_place(tmp_path_factory, generated_source: Place) -> Place:
    """A complete nightly run on the small CRM, done once; tests read its files (never write)."""
    return published_copy(tmp_path_factory.mktemp("published"), generated_source)
