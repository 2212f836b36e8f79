"""``make docs``: dbt's documentation site, built without a key or data, has the marts and the
pages (exposures), and keeps the throw-away key out of everything it writes."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from orchestration.lib.dbt_docs import build_docs, docs_environ
from orchestration.lib.pseudonymisation import KEY_ENV
from orchestration.project import DBT_PROJECT_DIR


def inlined_manifest(index: Path) -> dict:
    """The manifest dbt's static page carries inline (``manifest: {...}`` in its script)."""
    html = index.read_text(encoding="utf-8")
    start = html.index("manifest:", html.index('factory("project"')) + len("manifest:")
    manifest, _ = json.JSONDecoder().raw_decode(html, start)
    return manifest


def test_the_docs_environment_holds_no_setting_of_the_caller():
    environ = {
        "PATH": "/usr/bin",
        "MGREEN_PSEUDONYMISATION_KEY_FILE": "/etc/mgreen/key",
        "MGREEN_WAREHOUSE_PATH": "/srv/warehouse.duckdb",
        "MGREEN_PUBLISHED_PATH": "/srv/marts.duckdb",
        "MGREEN_MIN_CELL_SIZE": "11",
    }
    env = docs_environ(Path("/tmp/empty.duckdb"), "k" * 48, environ)
    assert env == {"PATH": "/usr/bin", "MGREEN_WAREHOUSE_PATH": "/tmp/empty.duckdb", KEY_ENV: "k" * 48}


@pytest.mark.e2e
def test_docs_site_has_the_marts_and_the_pages_and_no_key(tmp_path, monkeypatch):
    # Whatever the shell holds (a production key file, a warehouse) is not used.
    monkeypatch.setenv("MGREEN_PSEUDONYMISATION_KEY_FILE", str(tmp_path / "no-such-key"))
    monkeypatch.setenv("MGREEN_WAREHOUSE_PATH", str(tmp_path / "no-such-dir" / "warehouse.duckdb"))
    key = secrets.token_urlsafe(48)
    site = build_docs(DBT_PROJECT_DIR, tmp_path / "docs", key=key)

    assert site.index == tmp_path / "docs" / "site" / "index.html"
    manifest = inlined_manifest(site.index)
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    marts = {name for name, n in models.items() if n["fqn"][1] == "marts"}
    assert {"mart_orders_monthly", "mart_compliance_monthly", "publication_periods", "disclosure_rules"} <= marts
    assert all(models[m]["description"] for m in marts if m.startswith("mart_"))
    assert any(n["resource_type"] == "test" for n in manifest["nodes"].values())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert "dashboard_vue_ensemble" in exposures and "monday_report" in exposures
    assert "model.mgreen.mart_orders_monthly" in exposures["dashboard_commandes"]["depends_on"]["nodes"]
    # Lineage from the CRM: the page's mart reaches back to the CRM's sources.
    parents = manifest["parent_map"]
    seen, todo = set(), ["exposure.mgreen.dashboard_commandes"]
    while todo:
        for parent in parents.get(todo.pop(), []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    assert any(p.startswith("source.mgreen.crm.") for p in seen)

    # dbt wrote where it was told (never the project's target/, which Dagster reads), and the
    # throw-away key is in nothing it wrote; the empty warehouse is gone.
    assert (tmp_path / "docs" / "build" / "target" / "manifest.json").exists()
    assert not (tmp_path / "docs" / "build" / "empty.duckdb").exists()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written
    for path in written:
        assert key.encode() not in path.read_bytes(), path
