"""The cells of the marts and every linear relation between them, as an attacker would write them.

Each linear figure (a count or an amount, published or implied) of each row of each mart is a
cell. Relations come from the specs only (``spec.py``): a total and its parts along an additive
dimension, inequalities along an overlapping one, parts of a row (with the unpublished rest),
a stock and its flow from one period to the next, and cells that add up into another mart's.
A relation is kept only where the true figures satisfy it: the attacker can use exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from disclosure.spec import LINEAR_KINDS, TOTAL, MartSpec

# Relative tolerance when checking that true figures satisfy a relation (amounts are decimals).
_TOLERANCE = 1e-6


@dataclass
class System:
    """Cells (arrays of equal length) and relations over them.

    ``value`` is the true figure (NaN: not computable, e.g. a period retention has cut);
    ``published`` says whether the file shows it. Equations are ``sum(coef * x) == 0`` and
    inequalities ``sum(coef * x) <= 0``, each as (cell indices, coefficients).
    """

    mart: list[str] = field(default_factory=list)
    row: list[int] = field(default_factory=list)
    figure: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    virtual: list[bool] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    protection: list[int] = field(default_factory=list)
    equations: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    inequalities: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    index: dict[tuple[str, int, str], int] = field(default_factory=dict)

    def add(self, mart: str, row: int, figure: str, kind: str, virtual: bool, value, protection: int, base=None) -> int:
        i = len(self.mart)
        self.mart.append(mart)
        self.row.append(row)
        self.figure.append(figure)
        self.kind.append(kind)
        self.virtual.append(virtual)
        self.value.append(np.nan if value is None or pd.isna(value) else float(value))
        self.base.append(np.nan if base is None or pd.isna(base) else float(base))
        self.protection.append(protection)
        self.index[mart, row, figure] = i
        return i

    def __len__(self) -> int:
        return len(self.mart)

    def arrays(self) -> dict[str, np.ndarray]:
        """The cells' attributes as arrays (computed once: a built system does not change)."""
        if getattr(self, "_arrays", None) is not None and len(self._arrays["value"]) == len(self.mart):
            return self._arrays
        self._arrays = {
            "value": np.asarray(self.value, dtype=float),
            "base": np.asarray(self.base, dtype=float),
            "virtual": np.asarray(self.virtual, dtype=bool),
            "amount": np.asarray([k == "amount" for k in self.kind], dtype=bool),
            "protection": np.asarray(self.protection, dtype=float),
        }
        return self._arrays

    def describe(self, i: int, frames: dict[str, pd.DataFrame], specs: dict[str, MartSpec]) -> str:
        """A cell named by its mart, row keys and figure: no value."""
        spec = specs[self.mart[i]]
        row = frames[self.mart[i]].iloc[self.row[i]]
        keys = ", ".join(f"{k}={_label(row[k])}" for k in spec.keys)
        return f"{self.mart[i]}[{keys}].{self.figure[i]}"


def _label(value) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


def _holds(values: np.ndarray, coefs: np.ndarray) -> bool:
    if np.isnan(values).any():
        return False
    total = float(np.dot(values, coefs))
    scale = max(1.0, float(np.abs(values).max(initial=0.0)))
    return abs(total) <= _TOLERANCE * scale


def _holds_below(values: np.ndarray, coefs: np.ndarray) -> bool:
    if np.isnan(values).any():
        return False
    scale = max(1.0, float(np.abs(values).max(initial=0.0)))
    return float(np.dot(values, coefs)) <= _TOLERANCE * scale


def _period_start(series: pd.Series, grain: str) -> pd.Series:
    moments = pd.to_datetime(series)
    if grain == "month":
        return moments.dt.to_period("M").dt.start_time
    if grain == "quarter":
        return moments.dt.to_period("Q").dt.start_time
    return moments.dt.normalize()


def build(
    specs: dict[str, MartSpec], frames: dict[str, pd.DataFrame], k: int, income_k: int, check: bool = True
) -> System:
    """The cells of every mart in ``frames`` (true values: its aggregate's rows) and their
    relations. ``check``: keep a relation only where the values satisfy it."""
    system = System()
    for mart, df in frames.items():
        spec = specs[mart]
        protection = spec.protection(k, income_k)
        for figure in spec.figures:
            if figure.kind not in LINEAR_KINDS:
                continue
            values = df[figure.name].to_numpy()
            # The persons behind the figure, where the frame has them (an aggregate does).
            bases = df[figure.base].to_numpy() if figure.base in df.columns else values
            for r in range(len(df)):
                system.add(mart, r, figure.name, figure.kind, figure.virtual, values[r], protection, bases[r])
    for mart, df in frames.items():
        spec = specs[mart]
        linear = [f.name for f in spec.figures if f.kind in LINEAR_KINDS]
        _dimension_relations(system, spec, df, linear, check)
        _parts_relations(system, spec, df, check)
        _subset_relations(system, spec, df, check)
        _cumulative_relations(system, spec, df, check)
        if spec.rollup and spec.rollup.into in frames:
            _rollup_relations(system, spec, df, specs[spec.rollup.into], frames[spec.rollup.into], check)
    return system


def _add(system: System, cells: list[int], coefs: list[float], check: bool, inequality: bool = False) -> None:
    idx = np.asarray(cells, dtype=np.int64)
    co = np.asarray(coefs, dtype=float)
    if check:
        values = np.asarray([system.value[i] for i in cells], dtype=float)
        if not (_holds_below(values, co) if inequality else _holds(values, co)):
            return
    (system.inequalities if inequality else system.equations).append((idx, co))


def _groups(df: pd.DataFrame, columns: list[str]) -> list[np.ndarray]:
    """Row positions of each group of equal ``columns`` (all rows when there are none)."""
    if not columns:
        return [np.arange(len(df))]
    ids = df.groupby(columns, dropna=False, sort=False).ngroup().to_numpy()
    order = np.argsort(ids, kind="stable")
    cuts = np.flatnonzero(np.diff(ids[order])) + 1
    return np.split(order, cuts)


def _dimension_relations(system: System, spec: MartSpec, df: pd.DataFrame, linear: list[str], check: bool) -> None:
    keys = spec.keys
    cells_of = {f: np.asarray([system.index[spec.mart, r, f] for r in range(len(df))], dtype=np.int64) for f in linear}
    for dim, how in spec.dimensions:
        if how == "fixed":
            continue
        is_total = (df[dim].astype(str) == TOTAL).to_numpy()
        for rows in _groups(df, [c for c in keys if c != dim]):
            totals = rows[is_total[rows]]
            parts = rows[~is_total[rows]]
            if len(totals) != 1 or len(parts) == 0:
                continue
            for figure in linear:
                total_cell = int(cells_of[figure][totals[0]])
                part_cells = [int(c) for c in cells_of[figure][parts]]
                cells, coefs = [total_cell, *part_cells], [1.0] + [-1.0] * len(part_cells)
                if how == "additive":
                    _add(system, cells, coefs, check)
                else:
                    # Overlapping: each part within the total, the parts at least the total; and
                    # where the parts do add up to the total (no fact in two of them), an
                    # attacker guessing so would be right: the equation too.
                    for c in part_cells:
                        _add(system, [c, total_cell], [1.0, -1.0], check, inequality=True)
                    _add(system, cells, coefs, check, inequality=True)
                    if check:
                        _add(system, cells, coefs, check)


def _parts_relations(system: System, spec: MartSpec, df: pd.DataFrame, check: bool) -> None:
    for parts in spec.parts:
        members = [*parts.parts, *([parts.rest] if parts.rest else [])]
        for r in range(len(df)):
            whole = system.index[spec.mart, r, parts.whole]
            cells = [system.index[spec.mart, r, m] for m in members]
            _add(system, [whole, *cells], [1.0] + [-1.0] * len(cells), check)


def _subset_relations(system: System, spec: MartSpec, df: pd.DataFrame, check: bool) -> None:
    for part, whole in spec.subsets:
        for r in range(len(df)):
            cells = [system.index[spec.mart, r, part], system.index[spec.mart, r, whole]]
            _add(system, cells, [1.0, -1.0], check, inequality=True)


def _cumulative_relations(system: System, spec: MartSpec, df: pd.DataFrame, check: bool) -> None:
    """A stock and its flow: between two periods where the stock is given, it grew by the flows
    of the periods after the first up to the second; where it is first given, it holds every flow
    since the series began. Only over periods that follow one another without a gap."""
    if not spec.cumulative:
        return
    stock, flow = spec.cumulative
    step = {"day": pd.DateOffset(days=1), "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3)}[
        spec.grain
    ]
    periods = _period_start(df[spec.period], spec.grain).to_numpy()
    stocks = pd.to_numeric(df[stock], errors="coerce").to_numpy(dtype=float)
    for rows in _groups(df, spec.dimension_names):
        ordered = rows[np.argsort(periods[rows], kind="stable")]
        flows: list[int] = []
        previous_stock = None  # the row of the last period where the stock is given
        expected = None
        for r in ordered:
            r = int(r)
            if expected is not None and pd.Timestamp(periods[r]) != expected:
                flows, previous_stock = [], None  # a gap: what came before does not carry on
            expected = pd.Timestamp(periods[r]) + step
            flows.append(system.index[spec.mart, r, flow])
            if np.isnan(stocks[r]):
                continue
            s = system.index[spec.mart, r, stock]
            start = [] if previous_stock is None else [system.index[spec.mart, previous_stock, stock]]
            _add(system, [s, *start, *flows], [1.0] + [-1.0] * (len(start) + len(flows)), check)
            flows, previous_stock = [], r


def _rollup_relations(
    system: System, spec: MartSpec, df: pd.DataFrame, into: MartSpec, target: pd.DataFrame, check: bool
) -> None:
    rollup = spec.rollup
    where = dict(rollup.where)
    shared = [d for d in spec.dimension_names if d in into.dimension_names]
    selected = target
    for column, value in where.items():
        selected = selected[selected[column].astype(str) == value]
    source_period = _period_start(df[spec.period], rollup.grain)
    sources = df.assign(_period=source_period.to_numpy(), _row=np.arange(len(df)))
    by_key = {
        key: list(group["_row"]) for key, group in sources.groupby(["_period", *shared], dropna=False, sort=False)
    }
    target_period = _period_start(selected[into.period], into.grain)
    for position, (idx, row) in enumerate(selected.iterrows()):
        key = (target_period.iloc[position], *[row[d] for d in shared])
        rows = by_key.get(key)
        if not rows:
            continue
        t = target.index.get_loc(idx)
        for source_figure, target_figure in rollup.figures:
            whole = system.index[into.mart, t, target_figure]
            cells = [system.index[spec.mart, r, source_figure] for r in rows]
            _add(system, [whole, *cells], [1.0] + [-1.0] * len(cells), check)
