"""Each mart declares what it publishes (meta.disclosure) and is protected and tested for it.

What the published file then gives an attacker is tests/disclosure/test_attacks.py's subject.
"""

import json
import re

from disclosure.spec import parse
from orchestration.lib.retention_cuts import PERIODS
from orchestration.project import dbt_project


def manifest() -> dict:
    return json.loads(dbt_project().manifest_path.read_text())


def marts(nodes: dict) -> dict[str, dict]:
    return {
        n["name"]: n
        for n in nodes["nodes"].values()
        if n["resource_type"] == "model" and n["fqn"][1] == "marts" and n["name"].startswith("mart_")
    }


def test_every_mart_declares_its_figures_is_protected_and_tested_for_it():
    nodes = manifest()
    models = {n["name"]: n for n in nodes["nodes"].values() if n["resource_type"] == "model"}
    tests = [n for n in nodes["nodes"].values() if n["resource_type"] == "test"]
    pattern = models["disclosure_pattern"]
    found = marts(nodes)
    assert len(found) >= 12
    for name, node in found.items():
        spec = parse(name, node["config"]["meta"].get("disclosure"))
        aggregate = models[spec.aggregate]
        assert aggregate["fqn"][1] == "aggregates", name
        # The pattern and the periods' status read the mart's aggregate (dbt needs each ref
        # written out).
        assert aggregate["unique_id"] in pattern["depends_on"]["nodes"], name
        assert aggregate["unique_id"] in models["period_status"]["depends_on"]["nodes"], name
        assert {aggregate["unique_id"], pattern["unique_id"]} <= set(node["depends_on"]["nodes"]), name
        attached = {
            t["test_metadata"]["name"]
            for t in tests
            if t.get("test_metadata") and node["unique_id"] in t["depends_on"]["nodes"]
        }
        assert "cells_respect_secrecy" in attached, name


def test_every_mart_says_which_retention_cuts_it_leaves_out():
    """A mart rebuilt from what retention left publishes old periods short unless it filters
    them (docs/ingestion.md, "Retention cuts"): each mart declares the cuts it reads, the names
    exist, and its aggregate's SQL (macros included) passes them to ``is_retained``; or it
    declares none, and says why."""
    nodes = manifest()
    models = {n["name"]: n for n in nodes["nodes"].values() if n["resource_type"] == "model"}
    known = {name for entries in PERIODS.values() for name, _, _ in entries}
    for name, node in marts(nodes).items():
        meta = node["config"]["meta"]
        assert "retention_cuts" in meta, name
        aggregate = models[meta["disclosure"]["aggregate"]]
        code = aggregate["raw_code"] + "".join(
            nodes["macros"][m]["macro_sql"]
            for m in aggregate["depends_on"]["macros"]
            if not m.endswith(".is_retained") and m.startswith("macro.mgreen")
        )
        cuts = meta["retention_cuts"]
        if not cuts:
            assert meta.get("retention_note"), name
            assert "is_retained(" not in code, name
            continue
        assert set(cuts) <= known, name
        calls = re.findall(r"is_retained\(\s*'[\w.]+',\s*\[([^\]]*)\]", code)
        named = {n.strip().strip("'") for call in calls for n in call.split(",")}
        assert named == set(cuts), name


def test_provisional_rows_are_rounded_as_the_guard_and_the_docs_say():
    """The macro published_mart rounds open periods with the dbt vars; the guard checks them
    with disclosure/provisional.py's constants: they are one rule."""
    import yaml

    from disclosure.provisional import AMOUNT_ROUNDING_EUR, COUNT_ROUNDING
    from tests.support.attacker import COUNT_ROUNDING as ATTACKER_COUNT_ROUNDING

    variables = yaml.safe_load((dbt_project().project_dir / "dbt_project.yml").read_text())["vars"]
    assert variables["provisional_count_rounding"] == COUNT_ROUNDING == ATTACKER_COUNT_ROUNDING
    assert variables["provisional_amount_rounding_eur"] == AMOUNT_ROUNDING_EUR
