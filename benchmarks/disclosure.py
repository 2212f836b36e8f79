"""What disclosure control costs: the figures it withholds, and the time it takes, per tier.

    python benchmarks/disclosure.py --tier s|m|l [--keep] [--before-commit SHA] [--reuse]

For one generated CRM (data/bench/<tier>/source, made as benchmarks/nightly.py makes it, or
reused with ``--keep``), it runs the nightly job of this checkout and of an earlier commit (the
code before disclosure control, d871127 by default, checked out as a git worktree under
data/bench/<tier>/before-code), each into its own warehouse and published file, then prints:

- per mart and per dashboard page, before and after: the share of cells published and the
  share of the headline totals the published detail cells cover;
- the cost of disclosure control in the night: the secret pattern (primary and secondary
  suppression with its proofs) and the audit of the published file, each timed alone on the
  run's own data, beside the night and its dbt step.

With ``--reuse``, the two runs of an earlier call (their files and timings, kept in
data/bench/<tier>/) are read again instead of being repeated.

How the shares are counted, the same way for either layout of the published file (the wide
marts with a ``<figure>_secret`` flag per figure, or the earlier long marts with a row-wide
``is_suppressed`` flag):

- a *cell* is one figure of one row; cells whose value is 0 are left out (published either
  way, and the complete grids of today would inflate the share); a NULL without a secret flag
  is not a cell (nothing to publish: a median of no one, a stock not published that month);
- a dimension whose values include 'Tous' is a total dimension; the *headline* of a row is the
  row of its period (and other fixed dimensions) with every total dimension at 'Tous';
- *coverage*, for counts (``n_*``): the sum of the published detail cells (one total dimension
  broken down, the others at 'Tous') over the sum of their headlines, where the headline is
  published; marts without a total dimension have none, and overlapping dimensions (an order
  counts in each of its categories: the parts add up to more than the whole) are left out.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, TIERS, machine, mgreen, run_measured, table  # noqa: E402
from benchmarks.nightly import run_id_of, step_durations  # noqa: E402

BEFORE_COMMIT = "d871127"
TOTAL = "Tous"
METADATA = {
    "publication",
    "publication_history",
    "publication_periods",
    "publication_revisions",
    "guard_results",
    "retention_status",
    "disclosure_rules",
    "gdpr_events",
}
# Columns that are neither figures nor total dimensions in either layout.
NOT_FIGURES = {"is_suppressed"}
POSITION = ("_position", "_year", "_rank")
# Which marts each dashboard page reads (dashboards/lib/queries.py), before and after.
PAGES = {
    "Vue d'ensemble": [
        "mart_orders_monthly",
        "mart_clients_monthly",
        "mart_funnel_cohorts",
        "mart_satisfaction_monthly",
        "mart_unpaid_monthly",
    ],
    "Commandes": ["mart_orders_monthly"],
    "Clients": ["mart_clients_monthly"],
    "Entonnoir": [
        "mart_funnel_cohorts",
        "mart_web_funnel_daily",
        "mart_web_funnel_monthly",
        "mart_web_funnel_by_source_monthly",
    ],
    "Aides": ["mart_aid_dossiers_monthly", "mart_aid_dossiers_quarterly", "mart_financing_monthly"],
    "SAV": ["mart_after_sales_monthly", "mart_satisfaction_monthly"],
    "Impayés": ["mart_unpaid_monthly"],
    "Conformité": ["mart_compliance_monthly"],
}


# --------------------------------------------------------------------------- utility


def read_marts(path: Path) -> dict[str, pd.DataFrame]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()]
        return {n: conn.execute(f'select * from "{n}"').df() for n in names if n not in METADATA}
    finally:
        conn.close()


def layout(df: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """(figures, total dimensions, fixed dimensions) of a mart, in either layout."""
    numeric = [
        c
        for c in df.select_dtypes("number").columns
        if not c.endswith("_secret") and c not in NOT_FIGURES and not c.endswith(POSITION)
    ]
    keys = [c for c in df.columns if c not in numeric and not c.endswith("_secret") and c not in NOT_FIGURES]
    totals = [c for c in keys if (df[c].astype(str) == TOTAL).any()]
    return numeric, totals, [c for c in keys if c not in totals]


def secret_of(df: pd.DataFrame, figure: str) -> np.ndarray:
    if figure + "_secret" in df.columns:
        return df[figure + "_secret"].fillna(False).astype(bool).to_numpy()
    if "is_suppressed" in df.columns:
        return df["is_suppressed"].fillna(False).astype(bool).to_numpy()
    return np.zeros(len(df), dtype=bool)


def utility(df: pd.DataFrame, overlapping: set[str]) -> dict[str, float]:
    """Cells, cells published, and the headline totals' coverage (sums, for pooling)."""
    figures, totals, fixed = layout(df)
    out = {"cells": 0.0, "published": 0.0, "covered": 0.0, "headline": 0.0}
    if df.empty:
        return out
    for figure in figures:
        secret = secret_of(df, figure)
        values = pd.to_numeric(df[figure], errors="coerce").to_numpy(dtype=float)
        shown = ~secret & ~np.isnan(values)
        cell = secret | (shown & (values != 0))
        out["cells"] += cell.sum()
        out["published"] += (cell & shown).sum()
        if not figure.startswith("n_") or not totals:
            continue
        at_total = {t: (df[t].astype(str) == TOTAL).to_numpy() for t in totals}
        headline_rows = np.logical_and.reduce(list(at_total.values()))
        head = df.loc[headline_rows & shown, fixed].assign(_headline=values[headline_rows & shown])
        for dim in [t for t in totals if t not in overlapping]:
            others = [t for t in totals if t != dim]
            detail = ~at_total[dim]
            for other in others:
                detail &= at_total[other]
            part = df.loc[detail, fixed].assign(_value=np.where(shown[detail], values[detail], 0.0))
            if head.empty or part.empty:
                continue
            joined = (
                part.groupby(fixed, dropna=False)["_value"].sum().reset_index().merge(head, on=fixed, how="inner")
                if fixed
                else pd.DataFrame({"_value": [part["_value"].sum()], "_headline": [head["_headline"].sum()]})
            )
            out["covered"] += float(joined["_value"].sum())
            out["headline"] += float(joined["_headline"].sum())
    return out


def share(numerator: float, denominator: float) -> str:
    return "—" if not denominator else f"{100 * numerator / denominator:.1f} %"


def utility_tables(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame], overlapping: set[str]) -> str:
    measured = {
        side: {mart: utility(df, overlapping) for mart, df in marts.items()}
        for side, marts in (("before", before), ("after", after))
    }
    rows = []
    for mart in sorted(set(before) | set(after)):
        b, a = measured["before"].get(mart), measured["after"].get(mart)
        rows.append(
            [
                mart,
                share(b["published"], b["cells"]) if b else "(not published)",
                share(b["covered"], b["headline"]) if b else "",
                share(a["published"], a["cells"]) if a else "(not published)",
                share(a["covered"], a["headline"]) if a else "",
            ]
        )
    headers = ["mart", "cells published, before", "coverage, before", "cells published, after", "coverage, after"]
    out = [table(headers, rows), ""]
    page_rows = []
    for page, marts in PAGES.items():
        line = [page]
        for side in ("before", "after"):
            pooled = {
                k: sum(measured[side][m][k] for m in marts if m in measured[side])
                for k in ("cells", "published", "covered", "headline")
            }
            line += [share(pooled["published"], pooled["cells"]), share(pooled["covered"], pooled["headline"])]
        page_rows.append(line)
    out += [table(["page", *headers[1:]], page_rows), ""]
    return "\n".join(out)


def overlapping_dimensions(published: Path) -> set[str]:
    """The dimensions the published specs declare overlapping (the same names in either layout)."""
    conn = duckdb.connect(str(published), read_only=True)
    try:
        rules = conn.execute("select rules from disclosure_rules").fetchall()
    finally:
        conn.close()
    return {
        d
        for (text,) in rules
        for d, kind in (json.loads(text).get("dimensions") or {}).items()
        if kind == "overlapping"
    }


# --------------------------------------------------------------------------- cost


def cost(warehouse: Path, published: Path) -> tuple[float, float, int, int]:
    """Seconds of the secret pattern and of the audit, each alone on this run's data (the
    warehouse's aggregates, the published file), and the cells and secret cells. A first night
    protects every closed period (the backfill); a later night only those closing then. The
    provisional periods (rounded headlines) are left out, as the pattern leaves them."""
    from disclosure.audit import audit_published
    from disclosure.pattern import protect
    from disclosure.spec import from_rules_table

    pub = duckdb.connect(str(published), read_only=True)
    try:
        specs = from_rules_table(pub.execute("select mart, rules from disclosure_rules").fetchall())
        shown = {mart: pub.execute(f'select * from "{mart}"').df() for mart in specs}
        k = int(pub.execute("select min_cell_size from publication").fetchone()[0])
        final = pub.execute("select mart, period from publication_periods where status = 'définitif'").df()
    finally:
        pub.close()
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        aggregates = {
            spec.aggregate: conn.execute(f'select * from aggregates."{spec.aggregate}" order by cell_number').df()
            for spec in specs.values()
        }
    finally:
        conn.close()
    for mart, spec in specs.items():
        periods = set(pd.to_datetime(final[final.mart == mart].period))
        shown[mart] = shown[mart][pd.to_datetime(shown[mart][spec.period]).isin(periods)].reset_index(drop=True)
        cells = aggregates[spec.aggregate]
        aggregates[spec.aggregate] = cells[pd.to_datetime(cells[spec.period]).isin(periods)].reset_index(drop=True)
    started = time.perf_counter()
    protection = protect(specs, {m: aggregates[s.aggregate] for m, s in specs.items()}, k, max(11, k))
    pattern = time.perf_counter() - started
    started = time.perf_counter()
    report = audit_published(specs, shown, aggregates, k, max(11, k))
    audit = time.perf_counter() - started
    assert report.passed, "the published file fails its own audit"
    return pattern, audit, protection.cells, protection.primary + protection.secondary


# --------------------------------------------------------------------------- runs


def environment(root: Path, key_file: Path) -> dict[str, str]:
    return {
        "MGREEN_SOURCE_URL": f"sqlite:///{root.parent / 'source' / 'crm.sqlite'}",
        "MGREEN_WEB_SESSIONS_DIR": str(root.parent / "source" / "web_sessions"),
        "MGREEN_WAREHOUSE_PATH": str(root / "warehouse" / "warehouse.duckdb"),
        "MGREEN_PUBLISHED_PATH": str(root / "published" / "marts.duckdb"),
        "MGREEN_PSEUDONYMISATION_KEY_FILE": str(key_file),
        "DAGSTER_HOME": str(root / "dagster"),
    }


def fresh(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    (root / "dagster").mkdir(parents=True)
    (root / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")


def before_code(base: Path, commit: str) -> Path:
    """A checkout of ``commit`` (a git worktree), made once per tier folder."""
    code = base / "before-code"
    if not (code / "orchestration").exists():
        shutil.rmtree(code, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=REPO, check=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(code), commit], cwd=REPO, check=True)
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tier", choices=sorted(TIERS), required=True)
    parser.add_argument("--keep", action="store_true", help="reuse the tier's generated source")
    parser.add_argument("--before-commit", default=BEFORE_COMMIT, help="the code to compare with")
    parser.add_argument("--reuse", action="store_true", help="read the runs of an earlier call again")
    args = parser.parse_args()
    base = REPO / "data" / "bench" / args.tier
    key_file = base / "bench.key"
    if not (args.keep and (base / "source" / "crm.sqlite").exists()):
        shutil.rmtree(base / "source", ignore_errors=True)
        base.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        end = date.today() - timedelta(days=2)
        env = environment(base / "after", key_file)
        gen = run_measured(
            [mgreen(), "generate", "--contacts", str(TIERS[args.tier]), "--seed", "1", "--end", end.isoformat()], env
        )
        if gen.returncode:
            sys.exit(gen.output[-3000:])
    elif not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))

    after_root, before_root = base / "after", base / "before"
    env = environment(after_root, key_file)
    timings = base / "runs.json"
    if args.reuse and timings.exists():
        runs = json.loads(timings.read_text())
    else:
        fresh(after_root)
        night = run_measured([mgreen(), "run"], env)
        if night.returncode:
            sys.exit(night.output[-3000:])
        steps = step_durations(after_root / "dagster", run_id_of(night.output), night)
        code = before_code(base, args.before_commit)
        fresh(before_root)
        old = run_measured(
            [sys.executable, "-c", "from orchestration.cli import main; main()", "run"],
            {**environment(before_root, key_file), "PYTHONPATH": str(code)},
            cwd=code,
        )
        if old.returncode:
            sys.exit(old.output[-3000:])
        runs = {"night": night.seconds, "dbt": steps.get("dbt_models", 0.0), "before": old.seconds}
        timings.write_text(json.dumps(runs))
    overlapping = overlapping_dimensions(Path(env["MGREEN_PUBLISHED_PATH"]))

    pattern, audit, cells, secret = cost(Path(env["MGREEN_WAREHOUSE_PATH"]), Path(env["MGREEN_PUBLISHED_PATH"]))
    out = [
        f"## Tier {args.tier.upper()}: {TIERS[args.tier]:,} contacts",
        "",
        f"Machine: {machine()}",
        "",
        f"Before: commit {args.before_commit}; after: this checkout. One run each on the same CRM.",
        "",
        utility_tables(
            read_marts(before_root / "published" / "marts.duckdb"),
            read_marts(after_root / "published" / "marts.duckdb"),
            overlapping,
        ),
        table(
            ["what", "seconds", "share of the night"],
            [
                ["nightly run (after), whole", f"{runs['night']:.1f}", "100 %"],
                [
                    "its dbt step (models, the pattern among them, and tests)",
                    f"{runs['dbt']:.1f}",
                    share(runs["dbt"], runs["night"]),
                ],
                [
                    f"secret pattern alone ({cells:,} cells, {secret:,} secret)",
                    f"{pattern:.1f}",
                    share(pattern, runs["night"]),
                ],
                [
                    "audit alone (twice a night: the warehouse's marts, the file; share for both)",
                    f"{audit:.1f}",
                    share(2 * audit, runs["night"]),
                ],
                ["nightly run (before), whole", f"{runs['before']:.1f}", ""],
            ],
        ),
        "",
    ]
    text = "\n".join(out)
    print(text)
    results = REPO / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / f"disclosure-{args.tier}.md").write_text(text)


if __name__ == "__main__":
    main()
