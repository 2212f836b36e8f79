"""The secrecy macro itself, compiled by dbt and run on grids built for it.

The marts' data tests and the guard check what the marts publish; these check that the
secondary suppression reaches its fixpoint however many passes that takes, which no mart of
a small test CRM needs.
"""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.project import DBT_PROJECT_DIR
from tests.conftest import TEST_KEY

K = 5


@pytest.fixture(scope="module")
def suppress(tmp_path_factory):
    """The macro's SQL for a grid ``grid(a, b, n_persons, n)`` with totals on a and b, compiled
    once by ``dbt compile --inline``; returns a function running it on a list of cells."""
    tmp = tmp_path_factory.mktemp("suppression")
    env = {
        **os.environ,
        "MGREEN_PSEUDONYMISATION_KEY": TEST_KEY,
        "MGREEN_WAREHOUSE_PATH": str(tmp / "warehouse.duckdb"),
        "MGREEN_MIN_CELL_SIZE": str(K),
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "compile",
            "--quiet",
            "--target-path",
            str(tmp / "target"),
            "--inline",
            "select * from ({{ suppress_small_cells('grid', population='n_persons', measures=['n'], "
            "total_dims=['a', 'b']) }})",
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    sql = done.stdout

    def run(cells: dict[tuple[str, str], int | None]) -> dict[tuple[str, str], bool]:
        conn = duckdb.connect()
        conn.execute("create table grid (a varchar, b varchar, n_persons integer, n integer)")
        conn.executemany("insert into grid values (?, ?, ?, ?)", [(a, b, p, p) for (a, b), p in cells.items()])
        rows = conn.execute(sql).fetchall()
        assert len(rows) == len(cells), "every cell comes out once"
        published = {}
        for a, b, n_persons, n, is_suppressed in rows:
            assert (n_persons is None and n is None) == is_suppressed, (a, b)
            published[(a, b)] = is_suppressed
        return published

    return run


def with_totals(cells: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """Adds the 'Tous' rows, column and corner, as sums (the marts' grouping sets)."""
    out = dict(cells)
    for a in {a for a, _ in cells}:
        out[(a, "Tous")] = sum(p for (x, _), p in cells.items() if x == a)
    for b in {b for _, b in cells}:
        out[("Tous", b)] = sum(p for (_, y), p in cells.items() if y == b)
    out[("Tous", "Tous")] = sum(cells.values())
    return out


def lone_suppressed_lines(published: dict[tuple[str, str], bool]) -> list[str]:
    """Lines (a row or a column, with its total) holding exactly one suppressed cell: the
    total minus the open cells would give that cell back."""
    lone = []
    for index, name in ((0, "a"), (1, "b")):
        lines: dict[str, int] = {}
        for cell, is_suppressed in published.items():
            key = cell[1 - index]
            lines[key] = lines.get(key, 0) + is_suppressed
        lone += [f"{name} line {key}" for key, count in lines.items() if count == 1]
    return lone


def test_a_chain_longer_than_any_fixed_number_of_passes_is_closed(suppress):
    """A 12 x 12 grid whose only small cell (a00, b00) starts a ring of 24 cells, two per row
    and per column, each the smallest open cell of its lines: every pass suppresses the next
    cell at both ends of the ring, so closing it takes twelve passes (the macro once ran four,
    then eight). Nothing off the ring is suppressed, and no line is left with a lone cell."""
    m = 12
    ring = {(i, i) for i in range(m)} | {(i, (i + 1) % m) for i in range(m)}
    cells = {}
    for i in range(m):
        for j in range(m):
            if (i, j) == (0, 0):
                population = K - 1
            elif (i, j) in ring:
                population = 100 + i + j
            else:
                population = 1000 + i + j
            cells[(f"a{i:02}", f"b{j:02}")] = population
    published = suppress(with_totals(cells))
    assert lone_suppressed_lines(published) == []
    assert {cell for cell, is_suppressed in published.items() if is_suppressed} == {
        (f"a{i:02}", f"b{j:02}") for i, j in ring
    }


def test_a_line_left_with_no_open_cell_gives_up_its_total(suppress):
    """Only (a1, b1) is small. Pass 1: row a1 takes (a1, b0), column b1 takes (a2, b1), its
    smallest open cell. Pass 2: row a2 has no other cell, so its total goes; column b0 takes
    (a3, b0). Pass 3: the column of row totals takes (a1, Tous), row a3 takes (a3, b1). Pass 4
    suppresses nothing more."""
    cells = {("a1", "b0"): 30, ("a1", "b1"): 2, ("a2", "b1"): 50, ("a3", "b0"): 60, ("a3", "b1"): 70}
    published = suppress(with_totals(cells))
    assert lone_suppressed_lines(published) == []
    assert {cell for cell, is_suppressed in published.items() if is_suppressed} == {
        ("a1", "b1"),
        ("a1", "b0"),
        ("a2", "b1"),
        ("a2", "Tous"),
        ("a3", "b0"),
        ("a1", "Tous"),
        ("a3", "b1"),
    }


def test_a_cell_whose_population_is_unknown_is_not_published(suppress):
    cells = with_totals({("a1", "b0"): 40, ("a1", "b1"): 50, ("a2", "b0"): 60, ("a2", "b1"): 70})
    cells[("a1", "b0")] = None
    published = suppress(cells)
    assert published[("a1", "b0")]
    assert lone_suppressed_lines(published) == []
