"""``secrecy``: no published figure on 1 to k - 1 persons (11 with income categories), no value
in a secret cell, no ratio of a secret figure, and the audit: the attacker's linear programs
over every relation of the published marts leave every secret cell a wide enough interval."""

from __future__ import annotations

import logging
from dataclasses import replace

import duckdb
import pandas as pd

from disclosure.spec import SECRET_SUFFIX, TOTAL
from expectations.gx_validator import Validator, pooled
from expectations.report import Finding
from expectations.rules import Rules

# Where the marts' cells before disclosure control live in the warehouse (restricted).
AGGREGATES_SCHEMA = "aggregates"
# How ``publication_periods`` marks a period still open: its rows are rounded headlines.
PROVISIONAL = "provisoire"
log = logging.getLogger(__name__)


def _aggregates(conn: duckdb.DuckDBPyConnection, specs: dict) -> dict[str, pd.DataFrame]:
    """The marts' aggregates (their true cells), where the connection sees the warehouse's."""
    present = {
        r[0]
        for r in conn.execute(
            "select table_name from information_schema.tables where table_catalog = current_database() "
            "and table_schema = ?",
            [AGGREGATES_SCHEMA],
        ).fetchall()
    }
    return {
        spec.aggregate: conn.execute(f'select * from {AGGREGATES_SCHEMA}."{spec.aggregate}"').df()
        for spec in specs.values()
        if spec.aggregate in present
    }


def _provisional_rows(frames: dict[str, pd.DataFrame], specs: dict, periods: pd.DataFrame | None) -> dict:
    """Per mart, the mask of its rows in provisional periods (``publication_periods``)."""
    if periods is None or not len(periods):
        return {}
    out = {}
    for table, spec in specs.items():
        if table not in frames or spec.period not in frames[table].columns:
            continue
        mine = periods[(periods["mart"] == table) & (periods["status"] == PROVISIONAL)]
        if not len(mine):
            continue
        wanted = set(pd.to_datetime(mine["period"]).dt.date)
        out[table] = pd.to_datetime(frames[table][spec.period]).dt.date.isin(wanted).to_numpy()
    return out


def _provisional_facts(table: str, spec, rows: pd.DataFrame, k: int, income_k: int) -> list[tuple]:
    """Provisional rows: the headline only, counts and amounts rounded, nothing else published."""
    from disclosure.provisional import AMOUNT_ROUNDING_EUR, count_rounding

    broken_down = pd.Series(False, index=rows.index)
    for dimension, how in spec.dimensions:
        if how != "fixed" and dimension in rows.columns:
            broken_down |= rows[dimension].astype(str) != TOTAL
    facts = [(table, "provisional_headline_only", None, int(broken_down.sum()))]
    for figure in spec.published:
        if figure.name not in rows.columns:
            continue
        values = pd.to_numeric(rows[figure.name], errors="coerce")
        if figure.kind == "count":
            step = count_rounding(spec, k, income_k)
        elif figure.kind == "amount":
            step = AMOUNT_ROUNDING_EUR
        else:
            facts.append((table, "provisional_rounded", figure.name, int(values.notna().sum())))
            continue
        off = values.notna() & ((values / step).round() * step - values).abs().gt(1e-6)
        facts.append((table, "provisional_rounded", figure.name, int(off.sum())))
    return facts


def _computed_tonight(
    conn: duckdb.DuckDBPyConnection,
    specs: dict,
    frames: dict[str, pd.DataFrame],
    aggregates: dict[str, pd.DataFrame],
    provisional: dict,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], dict]:
    """The marts, their aggregates (one per mart) and their specs, on the periods computed in
    full tonight: the warehouse's ``period_status`` says which (frozen periods were audited the
    night they closed and are served as kept, which the publication checks; provisional ones
    are rounded headlines). Without it, the provisional rows are left out."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        "and table_schema = ? and table_name = 'period_status'",
        [AGGREGATES_SCHEMA],
    ).fetchone()[0]
    closing: dict[str, set] = {}
    if exists:
        for mart, period in conn.execute(
            f"select mart, period from {AGGREGATES_SCHEMA}.period_status where status = 'closing'"
        ).fetchall():
            closing.setdefault(mart, set()).add(period)
    frames, cells, audited = dict(frames), {}, {}
    for table, spec in specs.items():
        aggregate = aggregates[spec.aggregate]
        if exists:
            wanted = closing.get(table, set())
            frames[table] = _periods_in(frames[table], spec.period, wanted)
            aggregate = _periods_in(aggregate, spec.period, wanted)
        elif table in provisional:
            frames[table] = frames[table].loc[~provisional[table]].reset_index(drop=True)
            aggregate = _periods_in(aggregate, spec.period, set(pd.to_datetime(frames[table][spec.period]).dt.date))
        # Each mart its own cells: two marts of one aggregate may publish different periods.
        key = f"{spec.aggregate}@{table}"
        cells[key] = aggregate
        audited[table] = replace(spec, aggregate=key)
    return frames, cells, audited


def _periods_in(df: pd.DataFrame, period: str, wanted: set) -> pd.DataFrame:
    return df[pd.to_datetime(df[period]).dt.date.isin(wanted)].reset_index(drop=True)


def secrecy_findings(
    validator: Validator,
    conn: duckdb.DuckDBPyConnection,
    frames: dict[str, pd.DataFrame],
    rules: Rules,
    k: int,
    specs: dict,
    periods: pd.DataFrame | None = None,
) -> dict[str, list[Finding]]:
    """Statistical secrecy of every mart with a spec (docs/privacy-guard.md):

    - ``value_in_secret_cell``: a figure flagged secret shows no value;
    - ``count_below_k``: no published count between 1 and k - 1 (11 with income categories);
    - ``ratio_of_secret_figure``: no ratio published where a figure it is computed of is secret;
    - with the warehouse's aggregates at hand: ``base_below_k`` (no published figure resting on
      1 to k - 1 persons), ``published_value_matches`` (a published figure is its cell's), and
      ``audit_interval``: the attacker's linear programs leave every secret cell, and every small
      implied count, an interval as wide as its protection (disclosure/audit.py); these on the
      periods computed in full tonight only;
    - on provisional periods (``publication_periods``): ``provisional_headline_only`` (one row,
      every non-fixed dimension at 'Tous') and ``provisional_rounded`` (counts and amounts
      rounded, no median or ratio; disclosure/provisional.py).
    Value rules are pooled into one validation per rule, column by column where that fails."""
    from disclosure.audit import audit_published

    gx = validator.gx
    income_k = max(k, rules.income_min_cell_size)
    checks: list[tuple[str, str, str]] = []
    left: dict[tuple[str, str], pd.Series] = {}  # a figure's values where it is flagged secret
    small: dict[tuple[str, str], pd.Series] = {}  # published counts, less 1, where below the table's k
    facts: list[tuple[str, str, str | None, int]] = []  # (table, rule, column, offending cells)
    for table, df in frames.items():
        spec = specs.get(table)
        if spec is None:
            continue
        protection = spec.protection(k, income_k)
        for figure in spec.published:
            flag = figure.name + SECRET_SUFFIX
            if figure.name not in df.columns or flag not in df.columns:
                continue
            secret = df[flag].fillna(False).astype(bool)
            checks.append((table, "value_in_secret_cell", figure.name))
            left[table, figure.name] = df.loc[secret, figure.name]
            if figure.kind == "count":
                values = pd.to_numeric(df[figure.name], errors="coerce")
                checks.append((table, "count_below_k", figure.name))
                small[table, figure.name] = values[(values > 0) & (values < protection)]
            if figure.kind == "ratio":
                inputs = [f + SECRET_SUFFIX for f in figure.of if f + SECRET_SUFFIX in df.columns]
                hidden = (
                    df[inputs].fillna(False).astype(bool).any(axis=1) if inputs else pd.Series(False, index=df.index)
                )
                facts.append(
                    (table, "ratio_of_secret_figure", figure.name, int((hidden & df[figure.name].notna()).sum()))
                )
    provisional = _provisional_rows(frames, specs, periods)
    for table, rows in provisional.items():
        facts += _provisional_facts(table, specs[table], frames[table].loc[rows], k, income_k)
    aggregates = _aggregates(conn, specs)
    if aggregates:
        audited = {t: s for t, s in specs.items() if t in frames and s.aggregate in aggregates}
        frames, aggregates, audited = _computed_tonight(conn, audited, frames, aggregates, provisional)
        report = audit_published(audited, {t: frames[t] for t in audited}, aggregates, k, income_k)
        for table, spec in audited.items():
            aggregate = aggregates[spec.aggregate]
            protection = spec.protection(k, income_k)
            shown = frames[table]
            keyed = shown.assign(**{key: shown[key].astype(str) for key in spec.keys}).merge(
                aggregate.assign(**{key: aggregate[key].astype(str) for key in spec.keys}),
                on=spec.keys,
                how="left",
                suffixes=("", "__cell"),
            )
            for figure in spec.published:
                if figure.base and figure.base in keyed.columns and figure.name in shown.columns:
                    base = pd.to_numeric(keyed[figure.base], errors="coerce")
                    published = keyed[figure.name].notna()
                    facts.append(
                        (table, "base_below_k", figure.name, int((published & (base > 0) & (base < protection)).sum()))
                    )
                if figure.kind in ("count", "amount"):
                    facts.append(
                        (table, "published_value_matches", figure.name, report.mismatched.get((table, figure.name), 0))
                    )
                    pinned = report.pinned.get((table, figure.name), [])
                    facts.append((table, "audit_interval", figure.name, len(pinned)))
                    for cell in pinned[:20]:
                        log.error("audit: %s is pinned more closely than its protection allows", cell)
            rows = report.mismatched.get((table, "*rows*"), 0)
            facts.append((table, "published_value_matches", None, rows))
    found = {
        **{
            (table, "value_in_secret_cell", column): outcome
            for (table, column), outcome in pooled(
                validator, left, lambda c: gx.expectations.ExpectColumnValuesToBeNull(column=c)
            ).items()
        },
        **{
            (table, "count_below_k", column): outcome
            for (table, column), outcome in pooled(
                validator,
                {key: pd.Series(values.to_numpy(dtype=float), dtype=float) for key, values in small.items()},
                # Any value left here is a published count below k.
                lambda c: gx.expectations.ExpectColumnValuesToBeNull(column=c),
            ).items()
        },
    }
    findings: dict[str, list[Finding]] = {t: [] for t in frames}
    for table, rule, column in checks:
        findings[table].append(Finding(table, rule, column, *found[table, rule, column]))
    # A whole-table fact has no column: named "" here, so that GX's index lists it like the others.
    counted = pd.DataFrame(
        [(t, r, c or "", n) for t, r, c, n in facts], columns=["table_name", "rule", "column_name", "n"]
    )
    failing = set()
    if len(counted):
        # Counts of cells and the names of tables, rules and figures: no value of a cell.
        result = validator.validate(
            counted,
            [gx.expectations.ExpectColumnValuesToBeBetween(column="n", max_value=0)],
            {"result_format": "COMPLETE", "unexpected_index_column_names": ["table_name", "rule", "column_name"]},
        )[0]
        failing = {
            (row["table_name"], row["rule"], row["column_name"])
            for row in result.result.get("unexpected_index_list") or []
        }
    for table, rule, column, n in facts:
        findings[table].append(
            Finding(table, rule, column, passed=(table, rule, column or "") not in failing, failing=n)
        )
    return findings
