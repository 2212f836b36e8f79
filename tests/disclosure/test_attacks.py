"""The attacker (tests/support/attacker.py) against published files, one test per attack class.

It holds only a published file and the documented rules. On the file the code published before
disclosure control (tests/fixtures/published_before_disclosure_control) every class recovers cells;
on a file published now, none does; and when cells that protect others are published again, it
finds them at once, as the guard's audit does.
"""

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from disclosure.audit import audit_published
from disclosure.spec import from_rules_table
from tests.support.attacker import TOTAL, attack

BEFORE = Path(__file__).parents[1] / "fixtures" / "published_before_disclosure_control"
CLASSES = ["small_figures", "linked_tables_and_present_rows", "row_existence", "group_disclosure", "side_tables"]


def rebuild(folder: Path, path: Path) -> Path:
    conn = duckdb.connect(str(path))
    try:
        for parquet in sorted(folder.glob("*.parquet")):
            conn.execute(f"create table \"{parquet.stem}\" as select * from read_parquet('{parquet}')")
    finally:
        conn.close()
    return path


@pytest.fixture(scope="module")
def before(tmp_path_factory) -> dict:
    # The linear programs of the full attack take minutes there (it recovers about 2,000 cells):
    # the first ones recovered are proof enough.
    return attack(rebuild(BEFORE, tmp_path_factory.mktemp("before") / "marts.duckdb"), enough=20)


@pytest.fixture(scope="module")
def now(published_place) -> dict:
    return attack(published_place.published)


@pytest.mark.parametrize("attack_class", CLASSES)
def test_the_attack_recovered_cells_before_disclosure_control(before, attack_class):
    assert sum(f.cells for f in before[attack_class]) > 0, attack_class


@pytest.mark.e2e
@pytest.mark.parametrize("attack_class", CLASSES)
def test_the_attack_recovers_nothing_from_the_published_file(now, attack_class):
    assert now[attack_class] == [], now[attack_class][:5]


def a_line_around_a_small_cell(spec, shown: pd.DataFrame, cells: pd.DataFrame, figure: str, k: int):
    """A line of ``figure`` along an additive dimension whose total is published and which holds
    a secret cell about 1 to k - 1 persons: (that cell's keys, the keys of the line's other secret
    cells), or None. Found in the data of the day rather than assumed."""
    keys = spec.keys
    joined = cells.merge(shown[[*keys, figure + "_secret"]], on=keys)
    secret = joined[figure + "_secret"]
    small = secret & joined[figure + "__persons"].between(1, k - 1)
    for dimension, kind in spec.dimensions:
        if kind != "additive":
            continue
        others = [c for c in keys if c != dimension]
        for _, line in joined.groupby(others, sort=True):
            total = line[line[dimension] == TOTAL]
            members = line[line[dimension] != TOTAL]
            if len(total) != 1 or bool(total[figure + "_secret"].iloc[0]):
                continue
            targets = members[small.loc[members.index]]
            if len(targets):
                target = targets.iloc[0]
                protecting = members[secret.loc[members.index] & (members.index != targets.index[0])]
                return target[keys].to_dict(), protecting[keys].to_dict("records")
    return None


@pytest.mark.e2e
def test_cells_that_protect_others_published_again_are_found_by_attacker_and_audit(published_place, tmp_path):
    """Publish again, with their true values, the cells that hide a small orders cell on a line
    whose total is published: the attacker recomputes the small one, and the guard's audit
    names it."""
    leaked = tmp_path / "marts.duckdb"
    leaked.write_bytes(published_place.published.read_bytes())
    warehouse = duckdb.connect(str(published_place.warehouse), read_only=True)
    try:
        cells = warehouse.execute("select * from aggregates.agg_orders_monthly").df()
    finally:
        warehouse.close()
    conn = duckdb.connect(str(leaked))
    try:
        specs = from_rules_table(conn.execute("select mart, rules from disclosure_rules").fetchall())
        spec = specs["mart_orders_monthly"]
        line = a_line_around_a_small_cell(
            spec, conn.execute("select * from mart_orders_monthly").df(), cells, "n_orders", 5
        )
        assert line is not None, "no secret small orders cell on a line with a published total"
        target, protecting = line
        assert protecting, "a small cell alone on a published line would be recomputed already"
        conn.register("cells", cells)
        conn.register("protecting", pd.DataFrame(protecting))
        on = " and ".join(f"m.{k} = c.{k}" for k in spec.keys)
        on_protecting = " and ".join(f"p.{k} = c.{k}" for k in spec.keys)
        revealed = conn.execute(
            "update mart_orders_monthly m set n_orders = c.n_orders, n_orders_secret = false "
            f"from cells c join protecting p on {on_protecting} where {on}"
        ).fetchone()[0]
        published = {m: conn.execute(f'select * from "{m}"').df() for m in specs}
    finally:
        conn.close()
    assert revealed == len(protecting)
    found = attack(leaked)["linked_tables_and_present_rows"]
    assert any(f.table == "mart_orders_monthly" for f in found), found
    aggregates = {"agg_orders_monthly": cells}
    report = audit_published({"mart_orders_monthly": spec}, published, aggregates, 5, 11)
    keys = ", ".join(f"{k}={str(v)[:10]}" for k, v in target.items())
    assert f"mart_orders_monthly[{keys}].n_orders" in report.pinned.get(("mart_orders_monthly", "n_orders"), []), (
        report.pinned
    )
