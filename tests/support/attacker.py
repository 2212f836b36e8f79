"""An attacker holding a published file and the documented rules (docs/privacy-guard.md).

Written apart from the protection (disclosure/): it reads only the published file, guesses the
relations the glossary documents and keeps those the published figures confirm, and solves its
own linear programs (SciPy's linprog). It knows both the layout published since disclosure
control (wide marts, a ``<figure>_secret`` flag per figure) and the one before it (a row-wide
``is_suppressed`` flag, long ``measure``/``step``/``stage`` columns), so that the same attacks run
on a file of either. Each attack class of the issue has its own function; every function
returns findings (table, what was learnt), never a person.

Classes:
1. ``small_figures``: a published figure about 1 to k - 1 persons, or implied by published
   ones (a remainder: answers minus promoters and detractors).
2. and 3. ``linear_attack``: secret cells recomputed or narrowed below k by every relation the
   file confirms (totals along each dimension, a stock and its flow, days into months, parts
   into wholes), non-negativity, and "a present row counts at least one" where rows exist only
   when someone is counted.
4. ``row_existence``: a breakdown whose only present value tells everyone's attribute.
5. ``group_disclosure``: a share of 0 or 1 (an NPS of -100 or 100) over fewer than k units.
6. ``side_tables``: removals per night under k, labels from CRM free text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import linprog

TOTAL = "Tous"
METADATA = {
    "publication",
    "publication_history",
    "publication_revisions",
    "publication_periods",
    "guard_results",
    "retention_status",
    "disclosure_rules",
}
INCOME = "mpr_income_category"
# Dimensions the glossary documents as overlapping: an order counts once in each of its
# categories, so categories do not add up to the total (each is at most the total, and together
# at least the total).
OVERLAPPING = {"product_category"}
# The partners the documentation names; any other label is free text from the CRM.
DOCUMENTED_PARTNERS = {"Finarénov", "Crédit Vert Habitat", "Domeo Finance", "Solfi Travaux", "autre", "inconnu", TOTAL}


@dataclass
class Table:
    name: str
    df: pd.DataFrame
    dims: list[str]
    figures: list[str]
    hidden: dict[str, np.ndarray]  # per figure: the value is secret (not merely absent)
    grid: bool  # every combination is present (zeros included): presence says nothing

    def k(self, k: int) -> int:
        return max(k, 11) if INCOME in self.df.columns else k


@dataclass
class Finding:
    table: str
    what: str
    cells: int = 1


@dataclass
class Published:
    tables: dict[str, Table] = field(default_factory=dict)


def read(path: Path) -> Published:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()]
        frames = {n: conn.execute(f'select * from "{n}"').df() for n in names}
    finally:
        conn.close()
    out = Published()
    for name, df in frames.items():
        if name in METADATA:
            continue
        flags = [c for c in df.columns if c.endswith("_secret")]
        numeric = [
            c
            for c in df.select_dtypes("number").columns
            if c not in flags and c != "is_suppressed" and not re.search(r"(_position|_year|_rank)$", c)
        ]
        dims = [c for c in df.columns if c not in numeric and c not in flags and c != "is_suppressed"]
        hidden = {}
        for figure in numeric:
            if figure + "_secret" in df.columns:
                hidden[figure] = df[figure + "_secret"].fillna(False).astype(bool).to_numpy()
            elif "is_suppressed" in df.columns:
                hidden[figure] = df["is_suppressed"].fillna(False).astype(bool).to_numpy()
            else:
                hidden[figure] = np.zeros(len(df), dtype=bool)
        counts = [f for f in numeric if f.startswith("n_")]
        grid = bool(counts) and bool((df[counts].fillna(-1) == 0).all(axis=1).any())
        out.tables[name] = Table(name, df.reset_index(drop=True), dims, numeric, hidden, grid)
    return out


def _is_count(figure: str) -> bool:
    return figure.startswith("n_")


def _is_share(figure: str) -> bool:
    return any(word in figure for word in ("rate", "share", "nps"))


# --------------------------------------------------------------------------- 1. small figures


def small_figures(pub: Published, k: int) -> list[Finding]:
    """Published counts between 1 and k - 1, and small remainders of published counts."""
    found = []
    for table in pub.tables.values():
        kk = table.k(k)
        for figure in table.figures:
            if not _is_count(figure):
                continue
            values = pd.to_numeric(table.df[figure], errors="coerce")
            shown = ~table.hidden[figure] & values.notna().to_numpy()
            small = shown & (values > 0).to_numpy() & (values < kk).to_numpy()
            if small.any():
                found.append(Finding(table.name, f"{figure} published between 1 and {kk - 1}", int(small.sum())))
    for relation in _relations(pub):
        if relation.rest is None or relation.kind != "parts":
            continue
        values = [_known(pub, cell) for cell in relation.cells]
        if any(v is None for v in values):
            continue
        rest = -sum(c * v for c, v in zip(relation.coefs, values))
        table = pub.tables[relation.cells[0][0]]
        if 0 < rest < table.k(k):
            found.append(Finding(table.name, f"implied {relation.rest} between 1 and {table.k(k) - 1}"))
    return found


# --------------------------------------------------------------------------- relations


@dataclass
class Relation:
    """sum(coef * cell) (+ rest, an unpublished count >= 0, when named) == 0."""

    kind: str
    cells: list[tuple[str, int, str]]
    coefs: list[float]
    rest: str | None = None
    # sum(coef * cell) <= 0 instead of == 0
    inequality: bool = False


def _known(pub: Published, cell: tuple[str, int, str]) -> float | None:
    table = pub.tables[cell[0]]
    if table.hidden[cell[2]][cell[1]]:
        return None
    value = table.df[cell[2]].iloc[cell[1]]
    return None if pd.isna(value) else float(value)


def _holds(pub: Published, relation: Relation) -> bool | None:
    """Whether a relation holds on its published figures; None when one of them is unknown."""
    values = [_known(pub, cell) for cell in relation.cells]
    if any(v is None for v in values):
        return None
    total = sum(c * v for c, v in zip(relation.coefs, values))
    if relation.rest or relation.inequality:
        return total <= 1e-6 * max(1.0, max(abs(v) for v in values))
    return abs(total) <= 1e-6 * max(1.0, max(abs(v) for v in values))


def _confirmed(pub: Published, candidates: list[Relation], at_least: int = 2) -> list[Relation]:
    """Keep a family of candidate relations when the published figures confirm it: it holds
    wherever all its figures are shown, at least ``at_least`` times, and never fails."""
    verdicts = [_holds(pub, r) for r in candidates]
    checked = [v for v in verdicts if v is not None]
    if len(checked) >= at_least and all(checked):
        return candidates
    return []


def _totals(pub: Published) -> list[Relation]:
    out = []
    for table in pub.tables.values():
        df = table.df
        for dim in table.dims:
            if not (df[dim].astype(str) == TOTAL).any():
                continue
            others = [d for d in table.dims if d != dim]
            is_total = (df[dim].astype(str) == TOTAL).to_numpy()
            groups = df.groupby(others, dropna=False, sort=False).indices if others else {(): np.arange(len(df))}
            for figure in table.figures:
                if _is_share(figure) or "median" in figure or "average" in figure:
                    continue
                family, bounds = [], []
                for rows in groups.values():
                    totals = [r for r in rows if is_total[r]]
                    parts = [r for r in rows if not is_total[r]]
                    if len(totals) == 1 and parts:
                        total = (table.name, int(totals[0]), figure)
                        cells = [total] + [(table.name, int(r), figure) for r in parts]
                        if dim in OVERLAPPING:
                            bounds.append(Relation("total", cells, [1.0] + [-1.0] * len(parts), inequality=True))
                            bounds += [Relation("total", [c, total], [1.0, -1.0], inequality=True) for c in cells[1:]]
                        else:
                            family.append(Relation("total", cells, [1.0] + [-1.0] * len(parts)))
                # Totals along a dimension are what 'Tous' means (the glossary): trusted unless
                # a line where everything is shown contradicts them, even with no such line.
                out += _confirmed(pub, family, at_least=0) + _confirmed(pub, bounds, at_least=0)
    return out


def _rows_where(table: Table, **values) -> dict[tuple, int]:
    """Rows of ``table`` with these dimension values, by the values of its other dimensions."""
    df = table.df
    mask = np.ones(len(df), dtype=bool)
    for column, value in values.items():
        mask &= (df[column].astype(str) == str(value)).to_numpy()
    others = [d for d in table.dims if d not in values]
    return {tuple(str(df[o].iloc[r]) for o in others): int(r) for r in np.flatnonzero(mask)}


def _parts(pub: Published) -> list[Relation]:
    """Wholes and their parts as the glossary defines them, in either layout; the rest (what
    the parts leave of the whole) is an unpublished count, at least 0."""
    out = []
    wide = [
        ("mart_satisfaction_monthly", "n_answers", ["n_promoters", "n_detractors"], "passives"),
        ("mart_satisfaction_monthly", "n_surveys_sent", ["n_surveys_answered_of_sent"], "unanswered"),
        ("mart_financing_monthly", "n_requests", ["n_accepted", "n_refused"], "undecided"),
        ("mart_aid_dossiers_monthly", "n_dossiers_submitted", ["n_dossiers_granted", "n_dossiers_refused"], "pending"),
        (
            "mart_aid_dossiers_quarterly",
            "n_dossiers_submitted",
            ["n_dossiers_granted", "n_dossiers_refused"],
            "pending",
        ),
        ("mart_after_sales_monthly", "n_tickets_warranty_known", ["n_tickets_under_warranty"], "not under warranty"),
        ("mart_web_funnel_monthly", "n_sessions", ["n_sessions_with_form"], "without form"),
        (
            "mart_web_funnel_monthly",
            "n_sessions_with_form",
            ["n_form_simulation", "n_form_devis", "n_form_contact", "n_form_rendez_vous"],
            "other form",
        ),
        ("mart_web_funnel_daily", "n_sessions", ["n_sessions_with_form"], "without form"),
    ] + [
        ("mart_funnel_cohorts", "n_prospects", [f"n_{s}"], f"without {s}")
        for s in ("demande", "devis_envoye", "devis_signe", "installe", "paye")
    ]
    for name, whole, parts, rest in wide:
        table = pub.tables.get(name)
        if table is None or not {whole, *parts} <= set(table.figures):
            continue
        family = [
            Relation("parts", [(name, r, whole)] + [(name, r, p) for p in parts], [-1.0] + [1.0] * len(parts), rest)
            for r in range(len(table.df))
        ]
        out += _confirmed(pub, family)
    # The layout before: steps and stages as rows.
    long = [
        ("mart_web_funnel_by_source_monthly", "step", "n_sessions", "sessions", ["avec_formulaire"], "without form"),
        (
            "mart_web_funnel_by_source_monthly",
            "step",
            "n_sessions",
            "avec_formulaire",
            ["simulation", "devis", "contact", "rendez_vous"],
            "other form",
        ),
        ("mart_web_funnel_daily", "step", "n_sessions", "sessions", ["avec_formulaire"], "without form"),
        (
            "mart_web_funnel_daily",
            "step",
            "n_sessions",
            "avec_formulaire",
            ["simulation", "devis", "contact", "rendez_vous"],
            "other form",
        ),
    ] + [
        ("mart_funnel_cohorts", "stage", "n_persons", "prospect", [s], f"without {s}")
        for s in ("demande", "devis_envoye", "devis_signe", "installe", "paye")
    ]
    for name, dim, figure, whole, parts, rest in long:
        table = pub.tables.get(name)
        if table is None or dim not in table.dims:
            continue
        wholes = _strip(table, _rows_where(table, **{dim: whole}), dim)
        of_part = [_strip(table, _rows_where(table, **{dim: p}), dim) for p in parts]
        family = []
        for key, r in wholes.items():
            members = [rows.get(key) for rows in of_part]
            members = [m for m in members if m is not None]
            family.append(
                Relation(
                    "parts",
                    [(name, r, figure)] + [(name, m, figure) for m in members],
                    [-1.0] + [1.0] * len(members),
                    rest,
                )
            )
        out += _confirmed(pub, family)
    return out


def _strip(table: Table, rows: dict[tuple, int], dim: str) -> dict[tuple, int]:
    """Keys without the step's position column (it follows the step)."""
    positions = [i for i, d in enumerate(d for d in table.dims if d != dim) if d.endswith("_position")]
    return {tuple(v for i, v in enumerate(key) if i not in positions): r for key, r in rows.items()}


def _stocks(pub: Published) -> list[Relation]:
    """Clients to date and new clients: a stock grows by its flow."""
    out = []
    table = pub.tables.get("mart_clients_monthly")
    if table is None:
        return out
    df = table.df
    if "measure" in table.dims:  # the layout before: one row per measure
        stock = _rows_where(table, measure="clients_cumules")
        flow = _rows_where(table, measure="nouveaux_clients")
        family = []
        for (month, dept), r in stock.items():
            previous = (str((pd.Timestamp(month) - pd.DateOffset(months=1)).date()), dept)
            if previous in stock and (month, dept) in flow:
                family.append(
                    Relation(
                        "stock",
                        [
                            ("mart_clients_monthly", r, "n_persons"),
                            ("mart_clients_monthly", stock[previous], "n_persons"),
                            ("mart_clients_monthly", flow[month, dept], "n_persons"),
                        ],
                        [1.0, -1.0, -1.0],
                    )
                )
        return _confirmed(pub, family)
    if not {"n_clients_to_date", "n_new_clients"} <= set(table.figures):
        return out
    family = []
    for _, rows in df.groupby("departement", sort=False).indices.items():
        ordered = sorted(rows, key=lambda r: pd.Timestamp(df["month"].iloc[r]))
        flows, start = [], None
        for r in ordered:
            flows.append(("mart_clients_monthly", int(r), "n_new_clients"))
            if pd.isna(df["n_clients_to_date"].iloc[r]) and not table.hidden["n_clients_to_date"][r]:
                continue  # not given this month
            cells = [("mart_clients_monthly", int(r), "n_clients_to_date")]
            coefs = [1.0]
            if start is not None:
                cells.append(("mart_clients_monthly", start, "n_clients_to_date"))
                coefs.append(-1.0)
            family.append(Relation("stock", cells + flows, coefs + [-1.0] * len(flows)))
            flows, start = [], int(r)
    return _confirmed(pub, family)


def _days_into_months(pub: Published) -> list[Relation]:
    daily = pub.tables.get("mart_web_funnel_daily")
    monthly = pub.tables.get("mart_web_funnel_monthly") or pub.tables.get("mart_web_funnel_by_source_monthly")
    if daily is None or monthly is None:
        return []
    out = []
    days = daily.df
    month_of = pd.to_datetime(days["session_date"]).dt.to_period("M").dt.start_time
    if "step" in daily.dims:  # the layout before
        pairs = [("sessions", "n_sessions"), ("avec_formulaire", "n_sessions")]
        for step, figure in pairs:
            family = []
            wanted = _rows_where(monthly, step=step, utm_source=TOTAL, device=TOTAL)
            for key, r in wanted.items():
                month = pd.Timestamp(key[0])
                rows = np.flatnonzero((month_of == month).to_numpy() & (days["step"].astype(str) == step).to_numpy())
                if len(rows):
                    family.append(
                        Relation(
                            "days",
                            [(monthly.name, r, figure)] + [(daily.name, int(d), figure) for d in rows],
                            [1.0] + [-1.0] * len(rows),
                        )
                    )
            out += _confirmed(pub, family)
        return out
    for figure in ("n_sessions", "n_sessions_with_form"):
        if figure not in daily.figures or figure not in monthly.figures:
            continue
        family = []
        for key, r in _rows_where(monthly, utm_source=TOTAL, device=TOTAL).items():
            month = pd.Timestamp(key[0])
            rows = np.flatnonzero((month_of == month).to_numpy())
            if len(rows):
                family.append(_sum("days", (monthly.name, r, figure), daily.name, rows))
        out += _confirmed(pub, family)
    return out


def _sum(kind: str, whole: tuple[str, int, str], table: str, rows) -> Relation:
    """whole = the sum of the same figure over ``rows`` of ``table``."""
    return Relation(kind, [whole] + [(table, int(r), whole[2]) for r in rows], [1.0] + [-1.0] * len(rows))


def _months_into_quarters(pub: Published) -> list[Relation]:
    monthly = pub.tables.get("mart_aid_dossiers_monthly")
    quarterly = pub.tables.get("mart_aid_dossiers_quarterly")
    if monthly is None or quarterly is None:
        return []
    out = []
    months = monthly.df
    quarter_of = pd.to_datetime(months["submitted_month"]).dt.to_period("Q").dt.start_time
    for figure in [f for f in quarterly.figures if f in monthly.figures and not _is_share(f) and "median" not in f]:
        family = []
        for key, r in _rows_where(quarterly, mpr_income_category=TOTAL).items():
            quarter, scheme = pd.Timestamp(key[0]), key[1]
            rows = np.flatnonzero(
                (quarter_of == quarter).to_numpy() & (months["aid_scheme"].astype(str) == scheme).to_numpy()
            )
            if len(rows):
                family.append(_sum("months", (quarterly.name, r, figure), monthly.name, rows))
        out += _confirmed(pub, family)
    return out


def _relations(pub: Published) -> list[Relation]:
    if not hasattr(pub, "_relations"):
        pub._relations = _totals(pub) + _parts(pub) + _stocks(pub) + _days_into_months(pub) + _months_into_quarters(pub)
    return pub._relations


# --------------------------------------------------------------------------- 2. and 3. linear programs


def linear_attack(pub: Published, k: int, enough: int | None = None) -> list[Finding]:
    """Every secret cell (and unpublished rest) that the confirmed relations pin: an interval
    narrower than k. Rests of a relation are variables too, at least 0. With ``enough``, the
    attack stops once it has recovered that many cells."""
    relations = _relations(pub)
    index: dict = {}

    def var(key) -> int:
        return index.setdefault(key, len(index))

    rows = []
    for n, relation in enumerate(relations):
        coefs: dict[int, float] = defaultdict(float)
        rhs = 0.0
        unknown = False
        for cell, c in zip(relation.cells, relation.coefs):
            value = _known(pub, cell)
            if value is None:
                coefs[var(cell)] += c
                unknown = True
            else:
                rhs -= c * value
        if relation.rest:
            coefs[var(("rest", n))] += 1.0
            unknown = True
        if unknown:
            rows.append((dict(coefs), rhs, relation.inequality))
    lower = np.zeros(len(index))
    for key, j in index.items():
        if key[0] == "rest":
            continue
        table = pub.tables[key[0]]
        # Where rows exist only when someone is counted, a present row's population is at least one.
        if not table.grid and key[2] in ("n_persons", "n_sessions"):
            lower[j] = 1.0
    # Groups of linked variables, each solved on its own.
    parent = list(range(len(index)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for coefs, _, _ in rows:
        keys = list(coefs)
        for j in keys[1:]:
            parent[find(keys[0])] = find(j)
    by_group = defaultdict(list)
    for r, (coefs, _, _) in enumerate(rows):
        by_group[find(next(iter(coefs)))].append(r)
    found: dict[str, int] = defaultdict(int)
    names = {j: key for key, j in index.items()}
    for members in by_group.values():
        if enough is not None and sum(found.values()) >= enough:
            break
        variables = sorted({j for r in members for j in rows[r][0]})
        position = {j: i for i, j in enumerate(variables)}
        a_eq, b_eq = _matrix([rows[r] for r in members if not rows[r][2]], position)
        a_ub, b_ub = _matrix([rows[r] for r in members if rows[r][2]], position)
        bounds = [(lower[j], None) for j in variables]
        for j in variables:
            key = names[j]
            if key[0] == "rest":
                continue
            table = pub.tables[key[0]]
            if not table.hidden[key[2]][key[1]]:
                continue  # absent, not secret: not a target
            c = np.zeros(len(variables))
            c[position[j]] = 1.0
            low = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            high = linprog(-c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if low.status != 0 or high.status not in (0, 3):
                continue  # the relations the file confirmed contradict each other here
            top = np.inf if high.status == 3 else -high.fun
            if top - low.fun < table.k(k) - 1e-6:
                exact = abs(top - low.fun) < 1e-6
                found[(table.name, "recomputed exactly" if exact else f"narrowed below {table.k(k)}")] += 1
    return [Finding(t, f"secret cells {what} by linear programs", n) for (t, what), n in sorted(found.items())]


def _matrix(selected: list, position: dict[int, int]):
    if not selected:
        return None, None
    a = np.zeros((len(selected), len(position)))
    b = np.zeros(len(selected))
    for i, (coefs, rhs, _) in enumerate(selected):
        for j, c in coefs.items():
            a[i, position[j]] = c
        b[i] = rhs
    return a, b


# --------------------------------------------------------------------------- 4. row existence


def row_existence(pub: Published) -> list[Finding]:
    """Breakdowns where only one value of a dimension is present: everyone counted there has it."""
    found = []
    for table in pub.tables.values():
        if table.grid:
            continue
        df = table.df
        for dim in table.dims:
            values = df[dim].astype(str)
            if not (values == TOTAL).any():
                continue
            domain = set(values) - {TOTAL}
            if len(domain) < 2:
                continue
            others = [d for d in table.dims if d != dim]
            present = df[values != TOTAL].groupby(others, dropna=False)[dim].nunique() if others else None
            if present is None:
                continue
            single = int((present == 1).sum())
            if single:
                found.append(Finding(table.name, f"a single {dim} present", single))
    return found


# --------------------------------------------------------------------------- 5. group disclosure

BASES = {
    "share_under_warranty": ["n_tickets_warranty_known", "n_tickets_opened"],
    "acceptance_rate": ["n_accepted+n_refused"],
    "response_rate": ["n_surveys_sent"],
    "conversion_rate": ["n_prospects"],
    "nps": ["n_answers"],
    "share_of_sessions": ["n_sessions_total"],
}


def group_disclosure(pub: Published, k: int) -> list[Finding]:
    found = []
    for table in pub.tables.values():
        df = table.df
        for share, bases in BASES.items():
            if share not in df.columns:
                continue
            values = pd.to_numeric(df[share], errors="coerce")
            extreme = values.isin([0.0, 1.0]) if share != "nps" else values.isin([-100.0, 100.0])
            shown = extreme & ~pd.Series(table.hidden.get(share, np.zeros(len(df), dtype=bool)))
            for base in bases:
                parts = base.split("+")
                if not set(parts) <= set(df.columns):
                    continue
                size = sum(pd.to_numeric(df[p], errors="coerce").fillna(0) for p in parts)
                small = shown & (size < table.k(k))
                if small.any():
                    found.append(
                        Finding(table.name, f"{share} at its end over fewer than {table.k(k)}", int(small.sum()))
                    )
                break
    return found


# --------------------------------------------------------------------------- 6. side tables


def side_tables(path: Path, pub: Published, k: int) -> list[Finding]:
    found = []
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = {r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()}
        if "gdpr_events" in names:
            n = conn.execute("select count(*) from gdpr_events where rows_removed between 1 and ?", [k - 1]).fetchone()[
                0
            ]
            if n:
                found.append(Finding("gdpr_events", f"removals of 1 to {k - 1} rows in one night", int(n)))
    finally:
        conn.close()
    compliance = pub.tables.get("mart_compliance_monthly")
    if compliance is not None:
        values = pd.to_numeric(compliance.df["n_removed"], errors="coerce")
        small = values.between(1, k - 1) & ~pd.Series(compliance.hidden["n_removed"])
        if small.any():
            found.append(Finding(compliance.name, f"removals of 1 to {k - 1} in a month", int(small.sum())))
    financing = pub.tables.get("mart_financing_monthly")
    if financing is not None and "financing_partner" in financing.df.columns:
        labels = set(financing.df["financing_partner"].astype(str)) - DOCUMENTED_PARTNERS
        if labels:
            found.append(Finding(financing.name, "partner labels from the CRM's free text", len(labels)))
    return found


def attack(path: Path, k: int = 5, enough: int | None = None) -> dict[str, list[Finding]]:
    """Every attack on one published file, by class (the linear one stopping at ``enough``
    recovered cells, if given)."""
    pub = read(path)
    return {
        "small_figures": small_figures(pub, k),
        "linked_tables_and_present_rows": linear_attack(pub, k, enough),
        "row_existence": row_existence(pub),
        "group_disclosure": group_disclosure(pub, k),
        "side_tables": side_tables(path, pub, k),
    }


# --------------------------------------------------------------------------- 7. differencing


# The rounding the documentation gives for provisional rows (docs/operations.md): counts to
# 2 × k (the mart's protection), amounts to 10,000 €.
COUNT_ROUNDING = 2


def _periods(path: Path) -> dict[str, dict]:
    """Per mart, its provisional periods, as the file's publication_periods lists them (none in
    a file published before history existed: every figure there is exact)."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = {r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()}
        if "publication_periods" not in names:
            return {}
        rows = conn.execute("select mart, period from publication_periods where status = 'provisoire'").fetchall()
    finally:
        conn.close()
    out: dict[str, set] = defaultdict(set)
    for mart, period in rows:
        out[mart].add(pd.Timestamp(period))
    return out


def differences(before: Path, after: Path, k: int = 5) -> list[Finding]:
    """Two files of the same warehouse, published on two nights: every count published in both
    whose change the two pin to between 1 and k - 1 (a figure about fewer than k persons). A
    provisional row is rounded: its true count lies within half a step of what it shows, so its
    change is known only within an interval; an exact one is the difference itself."""
    old, new = read(before), read(after)
    rounded_old, rounded_new = _periods(before), _periods(after)
    found = []
    for name, table in new.tables.items():
        previous = old.tables.get(name)
        if previous is None:
            continue
        keys = [d for d in table.dims if d in previous.dims]
        kk = table.k(k)
        step = COUNT_ROUNDING * kk
        joined = table.df.assign(_row_new=np.arange(len(table.df))).merge(
            previous.df.assign(_row_old=np.arange(len(previous.df))), on=keys, suffixes=("", "__old")
        )
        if joined.empty:
            continue
        period = next((c for c in keys if "month" in c or "quarter" in c or "date" in c), None)
        slack = np.zeros(len(joined))
        for rounded in (rounded_old, rounded_new):
            if period and rounded.get(name):
                slack += np.where(pd.to_datetime(joined[period]).isin(rounded[name]).to_numpy(), step / 2, 0.0)
        for figure in table.figures:
            if not _is_count(figure) or figure not in previous.figures:
                continue
            a = pd.to_numeric(joined[figure + "__old"], errors="coerce").to_numpy(dtype=float)
            b = pd.to_numeric(joined[figure], errors="coerce").to_numpy(dtype=float)
            shown = (
                ~previous.hidden[figure][joined["_row_old"].to_numpy()]
                & ~table.hidden[figure][joined["_row_new"].to_numpy()]
                & ~np.isnan(a)
                & ~np.isnan(b)
            )
            change = b - a
            low, high = np.abs(change) - slack, np.abs(change) + slack
            # Pinned: at least one person changed, and fewer than k (an interval narrower than k
            # that excludes no change).
            pinned = shown & (low >= 1) & (high < kk)
            if pinned.any():
                found.append(
                    Finding(name, f"{figure} changed by 1 to {kk - 1} between the two files", int(pinned.sum()))
                )
    return found
