"""The publication history: every closed period's published cells, frozen in the warehouse.

Schema ``history`` holds, per mart, the rows it published for its frozen periods (table
``history.<mart>``, the mart's own columns: figures and their ``_secret`` flags, nothing per
person), ``history.periods`` (which period of which mart was frozen, when, by which run, and
how many times revised) and ``history.revisions`` (what an operator asked to recompute, why,
and what it changed). Nothing else writes to it: retention and erasure remove raw rows, and
these are aggregates published under disclosure control, kept so that a closed month means
the same thing every night (docs/operations.md).

dbt's model ``period_status`` says, each night, which periods close (``disclosure/history.py``);
the marts compute those in full and serve the frozen ones from here. The publication then
freezes the closing periods, exactly as the new file publishes them, in one transaction with
the file's rename.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from disclosure.history import unit_grain, unit_start
from disclosure.spec import MartSpec

SCHEMA = "history"
PERIODS = f"{SCHEMA}.periods"
REVISIONS = f"{SCHEMA}.revisions"
STATUS = "aggregates.period_status"


class HistoryError(RuntimeError):
    """The history cannot take tonight's marts as they are; the message says what to do."""


@dataclass
class Freezing:
    """What a night froze or revised, and the closed periods it could not freeze."""

    frozen: dict[str, list[date]] = field(default_factory=dict)
    revised: dict[str, list[date]] = field(default_factory=dict)
    refused: dict[str, list[date]] = field(default_factory=dict)
    lost: dict[str, list[date]] = field(default_factory=dict)

    def summary(self) -> str:
        frozen = sum(len(v) for v in self.frozen.values())
        lines = [f"{frozen} period(s) frozen in {len(self.frozen)} mart(s)."]
        for label, found in (
            ("revised as asked", self.revised),
            ("could not be revised (retention had removed their rows; kept as frozen)", self.refused),
            ("closed but never frozen, and no longer computable (retention cut into them first)", self.lost),
        ):
            for mart, periods in sorted(found.items()):
                shown = ", ".join(p.isoformat() for p in periods[:6]) + (" …" if len(periods) > 6 else "")
                lines.append(f"{mart}: {len(periods)} period(s) {label}: {shown}")
        return "\n".join(lines)


def ensure(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"create schema if not exists {SCHEMA}")
    conn.execute(
        f"create table if not exists {PERIODS} (mart varchar not null, period date not null, "
        "frozen_at timestamp not null, run_id varchar not null, revision integer not null, primary key (mart, period))"
    )
    # The k the period was protected with: a larger k later does not apply to it by itself.
    conn.execute(f"alter table {PERIODS} add column if not exists min_cell_size integer")
    conn.execute(
        f"create table if not exists {REVISIONS} (mart varchar not null, period date not null, "
        "reason varchar not null, requested_at timestamp not null, done_at timestamp, run_id varchar, "
        "outcome varchar, rows_changed bigint)"
    )


def _exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_catalog = current_database() "
            "and table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def _columns(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple]:
    return conn.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = current_database() "
        "and table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()


def frozen_periods(conn: duckdb.DuckDBPyConnection) -> dict[str, set[date]]:
    """Per mart, its frozen periods (empty on a warehouse without history)."""
    if not _exists(conn, SCHEMA, "periods"):
        return {}
    out: dict[str, set[date]] = {}
    for mart, period in conn.execute(f"select mart, period from {PERIODS}").fetchall():
        out.setdefault(mart, set()).add(period)
    return out


def _by_status(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[str, list[date]]]:
    """Tonight's periods per status and mart (none where dbt has not computed them)."""
    out: dict[str, dict[str, list[date]]] = {}
    if not _exists(conn, "aggregates", "period_status"):
        return out
    for status, mart, period in conn.execute(f"select status, mart, period from {STATUS} order by 1, 2, 3").fetchall():
        out.setdefault(status, {}).setdefault(mart, []).append(period)
    return out


def revision_outcomes(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, date, str, int]]:
    """What tonight does with each pending revision that ``period_status`` took into account:
    (mart, period, outcome, rows changed). A period tonight computes again is 'recomputed' (its
    rows that differ from the kept ones, counted both ways); one whose unit it cannot compute
    whole is 'not computable' and stays as kept. A revision asked after dbt read the history
    waits for the next night."""
    ensure(conn)
    if not _exists(conn, "aggregates", "period_status"):
        return []
    answered = {
        (m, p): status
        for m, p, status in conn.execute(f"select mart, period, status from {STATUS} where revising").fetchall()
    }
    out = []
    for mart, period in conn.execute(
        f"select distinct mart, period from {REVISIONS} where done_at is null order by 1, 2"
    ).fetchall():
        status = answered.get((mart, period))
        if status == "closing":
            period_column = _columns(conn, SCHEMA, mart)[0][0]
            out.append((mart, period, "recomputed", _rows_differing(conn, mart, period_column, [period])))
        elif status is not None:
            out.append((mart, period, "not computable", 0))
    return out


def freeze(conn: duckdb.DuckDBPyConnection, as_of: datetime, run_id: str, k: int) -> Freezing:
    """Freeze tonight's closing periods (``aggregates.period_status``) as ``marts.*`` holds
    them, with ``k``, and close the revisions they answer. The caller holds the transaction."""
    ensure(conn)
    weaker = conn.execute(
        f"select count(*), min(min_cell_size) from {PERIODS} where min_cell_size < ? "
        f"and (mart, period) not in (select mart, period from {REVISIONS} where done_at is null)",
        [k],
    ).fetchall()[0]
    if weaker[0]:
        raise HistoryError(
            f"k is now {k}, and {weaker[0]} frozen period(s) were protected with k = {weaker[1]}: "
            "recompute them under the new k with `mgreen revise --all --reason ...` (a revision publishes them "
            "again: docs/operations.md), or set MGREEN_MIN_CELL_SIZE back."
        )
    statuses = _by_status(conn)
    outcomes = revision_outcomes(conn)
    recomputed = {(m, p) for m, p, outcome, _ in outcomes if outcome == "recomputed"}
    result = Freezing(lost=statuses.get("lost", {}))
    for mart, period, outcome, changed in outcomes:
        conn.execute(
            f"update {REVISIONS} set done_at = ?, run_id = ?, outcome = ?, rows_changed = ? "
            "where mart = ? and period = ? and done_at is null",
            [as_of, run_id, outcome, changed, mart, period],
        )
        (result.revised if outcome == "recomputed" else result.refused).setdefault(mart, []).append(period)
    # A mart whose definition changed is refused every night until all its frozen periods are
    # under revision, not only on the night one of its periods closes.
    for mart in sorted(frozen_periods(conn)):
        if _exists(conn, SCHEMA, mart) and _exists(conn, "marts", mart):
            kept, columns = _columns(conn, SCHEMA, mart), _columns(conn, "marts", mart)
            if kept != columns:
                _migrate(conn, mart, kept, columns, revising={p for m, p, _, _ in outcomes if m == mart})
    for mart, closing in sorted(statuses.get("closing", {}).items()):
        columns = _columns(conn, "marts", mart)
        if not _exists(conn, SCHEMA, mart):
            conn.execute(f'create table {SCHEMA}."{mart}" as select * from marts."{mart}" where false')
        in_closing = f'cast("{columns[0][0]}" as date) in (select unnest(?::date[]))'
        conn.execute(f'delete from {SCHEMA}."{mart}" where {in_closing}', [closing])
        conn.execute(f'insert into {SCHEMA}."{mart}" select * from marts."{mart}" where {in_closing}', [closing])
        before = dict(
            conn.execute(
                f"select period, revision from {PERIODS} where mart = ? and period in (select unnest(?::date[]))",
                [mart, closing],
            ).fetchall()
        )
        conn.execute(f"delete from {PERIODS} where mart = ? and period in (select unnest(?::date[]))", [mart, closing])
        conn.executemany(
            f"insert into {PERIODS} (mart, period, frozen_at, run_id, revision, min_cell_size) values (?, ?, ?, ?, ?, ?)",
            [[mart, p, as_of, run_id, before.get(p, -1) + 1, k] for p in closing],
        )
        fresh = [p for p in closing if (mart, p) not in recomputed]
        if fresh:
            result.frozen[mart] = fresh
    return result


def _migrate(
    conn: duckdb.DuckDBPyConnection, mart: str, kept: list[tuple], columns: list[tuple], revising: set[date]
) -> None:
    """Give ``history.<mart>`` the mart's new columns, when every frozen period is under
    revision (those tonight recomputes are replaced next; those it cannot keep their figures,
    a figure they were frozen without being NULL, not secret: not published then)."""
    frozen = frozen_periods(conn).get(mart, set())
    if not frozen <= revising:
        raise HistoryError(
            f"{mart} no longer has the columns of its frozen periods ({_difference(kept, columns)}): "
            "a change of definition is a revision of every frozen period: "
            f"`mgreen revise --mart {mart} --all --reason ...` (docs/operations.md)."
        )
    old = {name for name, _ in kept}
    select = ", ".join(
        f'cast("{name}" as {kind}) as "{name}"'
        if name in old
        else (f'false as "{name}"' if name.endswith("_secret") else f'cast(null as {kind}) as "{name}"')
        for name, kind in columns
    )
    conn.execute(f'create table {SCHEMA}."{mart}__migrated" as select {select} from {SCHEMA}."{mart}"')
    conn.execute(f'drop table {SCHEMA}."{mart}"')
    conn.execute(f'alter table {SCHEMA}."{mart}__migrated" rename to "{mart}"')


def _shared(conn: duckdb.DuckDBPyConnection, mart: str, catalog_schema: tuple[str, str] = ("", "marts")) -> str:
    """The columns ``history.<mart>`` shares with the mart (all of them, unless its definition
    changed), quoted, in the history's order."""
    catalog, schema = catalog_schema
    where = "table_catalog = current_database()" if not catalog else "table_catalog = ?"
    params = ([catalog] if catalog else []) + [schema, mart]
    theirs = {
        r[0]
        for r in conn.execute(
            f"select column_name from information_schema.columns where {where} and table_schema = ? and table_name = ?",
            params,
        ).fetchall()
    }
    return ", ".join(f'"{c}"' for c, _ in _columns(conn, SCHEMA, mart) if c in theirs)


def _rows_differing(conn: duckdb.DuckDBPyConnection, mart: str, period_column: str, periods: list[date]) -> int:
    names = _shared(conn, mart)
    where = f'cast("{period_column}" as date) in (select unnest(?::date[]))'
    new = f'select {names} from marts."{mart}" where {where}'
    old = f'select {names} from {SCHEMA}."{mart}" where {where}'
    return conn.execute(
        f"select (select count(*) from ({new} except all {old})) + (select count(*) from ({old} except all {new}))",
        [periods, periods, periods, periods],
    ).fetchall()[0][0]


def _difference(kept: list[tuple], now: list[tuple]) -> str:
    gone = [c for c, _ in kept if c not in {n for n, _ in now}]
    new = [c for c, _ in now if c not in {n for n, _ in kept}]
    changed = [c for c, t in now if c in dict(kept) and dict(kept)[c] != t]
    parts = [f"gone: {', '.join(gone)}" if gone else "", f"new: {', '.join(new)}" if new else ""]
    parts.append(f"retyped: {', '.join(changed)}" if changed else "")
    return "; ".join(p for p in parts if p) or "reordered"


def served_as_frozen(conn: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """The marts of ``catalog`` (its ``main`` schema) whose frozen periods (tonight's status)
    are not exactly the rows kept in the history: each named with how many rows differ."""
    problems = []
    for mart, periods in sorted(_by_status(conn).get("frozen", {}).items()):
        if not _exists(conn, SCHEMA, mart):
            problems.append(f"{mart}: frozen periods but no kept rows")
            continue
        columns = _columns(conn, SCHEMA, mart)
        names = _shared(conn, mart, (catalog, "main"))
        in_frozen = f'cast("{columns[0][0]}" as date) in (select unnest(?::date[]))'
        published = f'select {names} from {catalog}.main."{mart}" where {in_frozen}'
        kept = f'select {names} from {SCHEMA}."{mart}" where {in_frozen}'
        differ = conn.execute(
            f"select (select count(*) from ({published} except all {kept})) + "
            f"(select count(*) from ({kept} except all {published}))",
            [periods, periods, periods, periods],
        ).fetchall()[0][0]
        if differ:
            problems.append(f"{mart}: {differ} row(s) of frozen periods differ from the history")
    return problems


def request_revision(
    conn: duckdb.DuckDBPyConnection,
    specs: dict[str, MartSpec],
    reason: str,
    requested_at: datetime,
    *,
    period: date | None = None,
    marts: list[str] | None = None,
) -> dict[str, list[date]]:
    """Ask the next night to recompute frozen periods: those of ``marts`` (default every mart)
    whose freezing unit holds ``period`` (every frozen period when None). Returns what was
    asked, per mart; raises when nothing frozen matches or the reason is empty."""
    if not reason.strip():
        raise HistoryError("A revision states its reason (--reason): it is shown on the compliance page.")
    unknown = sorted(set(marts or ()) - set(specs))
    if unknown:
        raise HistoryError(f"No mart named {', '.join(unknown)}: the marts are {', '.join(sorted(specs))}.")
    ensure(conn)
    chosen_marts = _with_rollups(set(marts or specs), specs)
    asked: dict[str, list[date]] = {}
    for mart, kept in sorted(frozen_periods(conn).items()):
        if mart not in chosen_marts:
            continue
        grain = unit_grain(specs[mart], specs)
        chosen = sorted(
            p for p in kept if period is None or unit_start(p, grain) == unit_start(period, grain) or p == period
        )
        if chosen:
            asked[mart] = chosen
    if not asked:
        what = "any period" if period is None else period.isoformat()
        raise HistoryError(f"No frozen period matches {what}: `mgreen history` lists the frozen periods.")
    rows = [[mart, p, reason.strip(), requested_at] for mart, periods in asked.items() for p in periods]
    conn.executemany(
        f"insert into {REVISIONS} (mart, period, reason, requested_at) select ?, ?, ?, ? "
        f"where not exists (select 1 from {REVISIONS} r where r.mart = ? and r.period = ? and r.done_at is null)",
        [[*r, r[0], r[1]] for r in rows],
    )
    return asked


def _with_rollups(marts: set[str], specs: dict[str, MartSpec]) -> set[str]:
    """``marts`` and every mart a rollup ties them to: they are frozen, and so revised, together."""
    out = set(marts)
    while True:
        more = {
            other
            for other, spec in specs.items()
            for mart in out
            if spec.rollup and ((other == mart and spec.rollup.into in specs) or spec.rollup.into == mart)
        }
        more |= {specs[m].rollup.into for m in out if m in specs and specs[m].rollup and specs[m].rollup.into in specs}
        if more <= out:
            return out
        out |= more
