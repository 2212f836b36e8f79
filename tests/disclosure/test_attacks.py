"""The attacker (tests/support/attacker.py) against published files, one test per attack class.

It holds only a published file and the documented rules. On the file the code published before
disclosure control (tests/fixtures/published_before_disclosure_control) every class recovers cells;
on a file published now, none does; and when cells that protect others are published again, it
finds them at once, as the guard's audit does.
"""

from pathlib import Path

import duckdb
import pytest

from disclosure.audit import audit_published
from disclosure.spec import from_rules_table
from tests.support.attacker import attack

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


@pytest.mark.e2e
def test_cells_that_protect_others_published_again_are_found_by_attacker_and_audit(published_place, tmp_path):
    """Publish again, with their true values, the orders cells that secondary suppression hid
    (those resting on k persons or more): the attacker recomputes the small ones, and the
    guard's audit names them."""
    leaked = tmp_path / "marts.duckdb"
    leaked.write_bytes(published_place.published.read_bytes())
    warehouse = duckdb.connect(str(published_place.warehouse), read_only=True)
    try:
        cells = warehouse.execute("select * from aggregates.agg_orders_monthly").df()
    finally:
        warehouse.close()
    conn = duckdb.connect(str(leaked))
    try:
        keys = ["order_month", "departement", "product_category", "acquisition_channel"]
        conn.register("cells", cells)
        revealed = conn.execute(
            "update mart_orders_monthly m set n_orders = c.n_orders, n_orders_secret = false from cells c "
            f"where {' and '.join(f'm.{k} = c.{k}' for k in keys)} "
            "and m.n_orders_secret and c.n_orders__persons >= 5"
        ).fetchone()[0]
        specs = from_rules_table(conn.execute("select mart, rules from disclosure_rules").fetchall())
        published = {m: conn.execute(f'select * from "{m}"').df() for m in specs}
    finally:
        conn.close()
    assert revealed > 0
    found = attack(leaked)["linked_tables_and_present_rows"]
    assert any(f.table == "mart_orders_monthly" for f in found), found
    aggregates = {"agg_orders_monthly": cells}
    report = audit_published({"mart_orders_monthly": specs["mart_orders_monthly"]}, published, aggregates, 5, 11)
    assert report.pinned.get(("mart_orders_monthly", "n_orders")), report.pinned
