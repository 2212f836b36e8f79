"""dbt unit tests (given/expect rows): normalisation, pseudonymisation inputs, income thresholds,
person resolution, funnel stages, the unpaid invoices' month-end. Run here on a built warehouse, not at night."""

import json
import os
import shutil

import pytest

from orchestration.project import DBT_PROJECT_DIR
from tests.support.dbt_cli import run_dbt

pytestmark = pytest.mark.e2e


def test_every_dbt_unit_test_passes(published_place, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(published_place.warehouse, warehouse)
    env = {**os.environ, **published_place.environ(), "MGREEN_WAREHOUSE_PATH": str(warehouse)}
    target = tmp_path / "target"
    done = run_dbt("test", "--select", "test_type:unit", project=DBT_PROJECT_DIR, scratch=tmp_path, env=env)
    assert done.returncode == 0, done.stdout[-4000:]
    # Every unit test the project declares (the manifest of this very invocation) ran and passed.
    declared = set(json.loads((target / "manifest.json").read_text())["unit_tests"])
    statuses = {r["unique_id"]: r["status"] for r in json.loads((target / "run_results.json").read_text())["results"]}
    assert set(statuses) == declared, done.stdout[-4000:]
    assert {uid: s for uid, s in statuses.items() if s != "pass"} == {}, done.stdout[-4000:]
    assert "unit_test.mgreen.agg_unpaid_monthly.the_current_month_ends_at_the_run" in declared
