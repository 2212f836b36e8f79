"""Keys that must be present and codes that must come from their documented list are the SQL
models' enforced contracts (constraints in the table's DDL), not data tests: a model that breaks
one fails while it is built and replaces no table (docs/decisions/0010-lean-dbt-nodes.md)."""

import json
import os
import shutil
import subprocess

import duckdb
import pytest

from orchestration.project import DBT_PROJECT_DIR, dbt_project
from tests.support.dbt_cli import run_dbt

# The data tests a contract says better; a Python model (no contract) keeps them as tests.
CONTRACT_TESTS = {"not_null", "accepted_values"}


def test_sql_models_state_keys_and_value_lists_as_enforced_contracts():
    manifest = json.loads(dbt_project().manifest_path.read_text())
    nodes = manifest["nodes"]
    models = {uid: n for uid, n in nodes.items() if n["resource_type"] == "model"}
    as_tests = sorted(
        f"{n['test_metadata']['name']} on {models[n['attached_node']]['name']}.{n['column_name']}"
        for n in nodes.values()
        if n["resource_type"] == "test"
        and n.get("test_metadata", {}).get("name") in CONTRACT_TESTS
        and models.get(n.get("attached_node"), {}).get("language") == "sql"
    )
    assert as_tests == [], "make these constraints of an enforced contract"
    constrained = [n for n in models.values() if any(c["constraints"] for c in n["columns"].values())]
    assert len(constrained) >= 35
    for node in constrained:
        assert node["contract"]["enforced"], node["name"]
        assert all(c["data_type"] for c in node["columns"].values()), node["name"]
    checks = {
        c["expression"] for n in constrained for c in n["columns"].values() for c in c["constraints"] if c["expression"]
    }
    # A list from a project variable is rendered into its constraint.
    assert any("'affiliate', 'direct', 'inconnu'" in e for e in checks)


@pytest.mark.e2e
def test_a_code_outside_its_list_or_a_missing_key_fails_the_model_and_keeps_its_table(published_place, tmp_path):
    """The leak: a staging model that forgets to fold an unknown code, another that loses its
    key. Each one fails on its constraint, and the table built the night before stays. Before
    them, a Python model rebuilt over its table replaces it and leaves nothing beside it (the
    materialization's other branch)."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    calls = project / "models" / "staging" / "crm" / "stg_crm__calls.sql"
    calls.write_text(
        calls.read_text().replace("{{ normalise_code('outcome', ['repondu', 'manque', 'messagerie']) }}", "outcome")
    )
    products = project / "models" / "staging" / "crm" / "stg_crm__products.sql"
    products.write_text(
        products.read_text().replace(
            "        product_code,", "        nullif(product_code, product_code) as product_code,"
        )
    )
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(published_place.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "update raw.calls set outcome = 'Rappel demandé' where call_id = (select min(call_id) from raw.calls)"
        )
        before = {
            t: conn.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("staging.stg_crm__calls", "staging.stg_crm__products", "aggregates.period_status")
        }
    env = {**os.environ, **published_place.environ(), "MGREEN_WAREHOUSE_PATH": str(warehouse)}

    def dbt_run(*models: str) -> subprocess.CompletedProcess:
        return run_dbt("run", "--select", *models, project=project, scratch=tmp_path, env=env)

    # Downstream of both, a Python model is skipped by the first invocation: built on its own.
    python_model = dbt_run("period_status")
    assert python_model.returncode == 0, python_model.stdout[-4000:]
    done = dbt_run("stg_crm__calls", "stg_crm__products")
    assert done.returncode == 1, done.stdout[-4000:]
    results = {r["unique_id"]: r for r in json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]}
    calls_error = results["model.mgreen.stg_crm__calls"]["message"]
    products_error = results["model.mgreen.stg_crm__products"]["message"]
    assert "CHECK constraint failed" in calls_error and "call_outcome" in calls_error, calls_error
    assert "NOT NULL constraint failed" in products_error and "product_code" in products_error, products_error
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        after = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in before}
        left_beside = conn.execute("select table_name from duckdb_tables() where table_name like '%__dbt_%'").fetchall()
        outcomes = {r[0] for r in conn.execute("select distinct call_outcome from staging.stg_crm__calls").fetchall()}
    assert after == before and all(before.values())
    assert left_beside == []
    assert "Rappel demandé" not in outcomes
