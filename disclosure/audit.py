"""The audit: what an attacker learns about each secret cell, by linear programming.

The attacker knows every published figure and every relation of the specs. For each secret
cell (and each unpublished figure a relation implies, when it is small), the audit solves
min x and max x over those relations (equalities and inequalities), with every unknown figure
at least 0, with HiGHS (highspy): one linear program per group of linked cells, holding one
copy of its relations per objective (docs/decisions/0002). The feasible interval is what the attacker learns:

- a count must keep an interval at least its protection wide (k persons; 11 where income
  categories are a dimension), whatever its true value;
- an amount must keep its true value at least p % (10 %) away from both ends (the p % rule:
  no contributor can estimate another's share closer than that).

Cells are reported by name (mart, row keys, figure), never with a value or an interval.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from dataclasses import dataclass

import highspy
import numpy as np

from disclosure.cells import System

P_PERCENT = 10.0


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


def unknown_mask(system: System, secret: np.ndarray) -> np.ndarray:
    """Cells the attacker does not read: secret, never published, or not computable."""
    a = system.arrays()
    return secret | a["virtual"] | np.isnan(a["value"])


def sensitive_virtual(system: System) -> np.ndarray:
    """Unpublished implied counts that rest on fewer persons than their protection (a count of
    events is judged by the persons behind it)."""
    a = system.arrays()
    base = np.where(np.isnan(a["base"]), a["value"], a["base"])
    with np.errstate(invalid="ignore"):
        small = (base > 0) & (base < a["protection"])
    return a["virtual"] & ~a["amount"] & small


def targets(system: System, secret: np.ndarray) -> np.ndarray:
    """The cells the audit must find protected: every secret cell, and small implied counts."""
    return secret | sensitive_virtual(system)


class _Components:
    """Unknown cells grouped by the relations that join them (union-find)."""

    def __init__(self, n: int):
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


class View:
    """What the attacker knows for a pattern of secret cells: each relation reduced to its
    unknown cells (known figures moved to the right-hand side), and the groups of unknown cells
    the relations link. ``hide`` keeps it up to date as cells are made secret: only the
    relations of those cells are reduced again, and groups only ever merge."""

    def __init__(self, system: System, secret: np.ndarray):
        self.system = system
        self.value = np.nan_to_num(np.asarray(system.value, dtype=float))
        self.relations = [("eq", c, a) for c, a in system.equations] + [("ub", c, a) for c, a in system.inequalities]
        self.of: list[list[int]] = [[] for _ in range(len(system))]
        for r, (_, cells, _) in enumerate(self.relations):
            for c in cells:
                self.of[int(c)].append(r)
        self.unknown = unknown_mask(system, secret).copy()
        self.components = _Components(len(system))
        self.reduced: list = [None] * len(self.relations)
        for r in range(len(self.relations)):
            self._reduce(r)

    def _reduce(self, r: int) -> None:
        kind, cells, coefs = self.relations[r]
        mask = self.unknown[cells]
        if not mask.any():
            self.reduced[r] = None
            return
        rhs = -float(np.dot(coefs[~mask], self.value[cells[~mask]]))
        members = cells[mask]
        self.reduced[r] = (kind, members, coefs[mask], rhs)
        first = int(members[0])
        for c in members[1:]:
            self.components.union(first, int(c))

    def hide(self, cells) -> None:
        """Make these cells unknown to the attacker (secret)."""
        changed = set()
        for c in cells:
            c = int(c)
            if not self.unknown[c]:
                self.unknown[c] = True
                changed.update(self.of[c])
        for r in changed:
            self._reduce(r)

    def groups(self, wanted: np.ndarray):
        """Each group of linked unknown cells holding a wanted one: (its wanted cells, its
        reduced relations)."""
        find = self.components.find
        by_component: dict[int, list] = defaultdict(list)
        for row in self.reduced:
            if row is not None:
                by_component[find(int(row[1][0]))].append(row)
        targets_by_component: dict[int, list[int]] = defaultdict(list)
        for i in np.flatnonzero(wanted & self.unknown):
            targets_by_component[find(int(i))].append(int(i))
        for root, cells in targets_by_component.items():
            yield cells, by_component.get(root, [])


def _groups(system: System, secret: np.ndarray, wanted: np.ndarray):
    return View(system, secret).groups(wanted)


def intervals(system: System, secret: np.ndarray, wanted: np.ndarray) -> dict[int, Interval]:
    """The attacker's exact interval for every cell in ``wanted`` (a boolean mask)."""
    value = np.asarray(system.value, dtype=float)
    out: dict[int, Interval] = {}
    for cells, rows in _groups(system, secret, wanted):
        out.update(_Group(cells, rows, value).exact(cells))
    return out


def failures(
    system: System,
    secret: np.ndarray,
    p: float = P_PERCENT,
    passed: set[int] | None = None,
    exact: bool = True,
    only: list[int] | None = None,
    groups: dict | None = None,
    view: View | None = None,
) -> list[int]:
    """Cells the attacker pins down more closely than their protection allows (among ``only``
    when given).

    ``passed`` holds cells already proven protected: they are skipped, and the cells proven now
    are added to it. Making more cells secret only widens the attacker's intervals (a figure
    read becomes one more unknown), so a proof stays true while secrets are added. Without
    ``exact``, a cell the quick proofs leave unproven counts as failing (the protection's
    search: it may hide a cell more than needed, never less); ``groups`` then receives what
    ``confirm`` needs to check one of those cells exactly. ``view``: the attacker's view of
    ``secret``, when the caller keeps one up to date."""
    a = system.arrays()
    value, protection, amount = a["value"], a["protection"], a["amount"]
    wanted = targets(system, secret)
    if only is not None:
        mask = np.zeros(len(wanted), dtype=bool)
        mask[only] = True
        wanted &= mask
    if passed:
        wanted[np.fromiter(passed, dtype=np.int64)] = False

    def ok(t: int, interval: Interval) -> bool:
        return is_protected(interval, value[t], protection[t], bool(amount[t]), p)

    def settled(t: int, high: float) -> bool:
        """For a count, the maximum decides when it is its protection above the true figure
        (passes) or below the protection itself (fails, whatever the minimum)."""
        return not amount[t] and (high - value[t] >= protection[t] or high < protection[t])

    def goal(t: int) -> float:
        """How far from its true figure a cell must be movable, each way, to be proven."""
        return max(p / 100.0 * abs(value[t]), 1e-6) if amount[t] else float(protection[t])

    failing = []
    for cells, rows in (view or View(system, secret)).groups(wanted):
        group = _Group(cells, rows, value)
        unproven = group.unproven(ok, goal)
        if unproven and not exact:
            failing += unproven
            if groups is not None:
                groups.update({t: (group, ok) for t in unproven})
        elif unproven:
            found = group.exact(unproven, settled)
            failing += [t for t in unproven if not ok(t, found[t])]
        if passed is not None:
            passed.update(set(cells) - set(failing))
    return sorted(failing)


def confirm(groups: dict, cell: int) -> bool:
    """Whether a cell ``failures(exact=False, groups=...)`` left unproven is really pinned."""
    group, ok = groups[cell]
    return not ok(cell, group.exact([cell])[cell])


class _Group:
    """One group of linked unknown cells and its relations, as the attacker's linear program."""

    def __init__(self, cells: list[int], rows: list, value: np.ndarray):
        self.cells = cells
        self.rows = rows
        self.value = value
        self.position = {v: j for j, v in enumerate(sorted({int(c) for _, m, _, _ in rows for c in m} | set(cells)))}
        self._solver = None

    def unproven(self, ok, goal, rounds: int = 3) -> list[int]:
        """The wanted cells not proven protected by intervals each inside the attacker's.

        The true figures are one solution. Then one program for the whole group pushes every
        cell up to its ``goal(cell)`` above its true figure at once (a sum of gains, each capped
        at its goal, so that no cell is pushed for nothing at the others' expense), and one
        pushes them down likewise; a few programs with random weights try again for what is
        left. ``ok(cell, interval)`` is the test; what stays unproven goes to ``exact``."""
        if not self.rows:
            return [t for t in self.cells if not ok(t, Interval(0.0, np.inf))]
        if len(self.rows) == 1 and self.rows[0][0] == "eq":
            exact = _one_equation(self.rows[0], self.cells)
            return [t for t in self.cells if not ok(t, exact[t])]
        solver = self.solver()
        low = {t: self.value[t] for t in self.cells}
        high = dict(low)

        def still(cells):
            out = []
            for t in cells:
                top = np.inf if high[t] >= solver.cap * (1 - 1e-9) else high[t]
                if not ok(t, Interval(max(low[t], 0.0), top)):
                    out.append(t)
            return out

        left = list(self.cells)
        for side in (1.0, -1.0):
            columns = [self.position[t] for t in left]
            x = solver.saturated(columns, [self.value[t] for t in left], [goal(t) for t in left], side)
            for t, j in zip(left, columns):
                if side > 0:
                    high[t] = max(high[t], x[j])
                else:
                    low[t] = min(low[t], x[j])
            left = still(left)
            if not left:
                return []
        draws = np.random.default_rng(len(self.cells))
        for _ in range(rounds):
            columns = [self.position[t] for t in left]
            weights = draws.uniform(0.5, 1.5, len(columns))
            up = solver.solution(columns, -weights)
            down = solver.solution(columns, weights)
            for t, j in zip(left, columns):
                high[t] = max(high[t], up[j])
                low[t] = min(low[t], down[j])
            remaining = still(left)
            if not remaining or len(remaining) == len(left):
                return remaining
            left = remaining
        return left

    def exact(self, cells: list[int], settled=None) -> dict[int, Interval]:
        """Each cell's interval from its own two programs. ``settled(cell, high)``, when given,
        says whether the maximum alone already decides the test (a count pushed far enough up
        passes, one that cannot reach its protection even from 0 fails): the minimum is then
        not computed and reported as 0."""
        if not self.rows:
            return {t: Interval(0.0, np.inf) for t in cells}
        if len(self.rows) == 1 and self.rows[0][0] == "eq":
            return _one_equation(self.rows[0], cells)
        solver = self.solver()
        out = {}
        for t in cells:
            j = self.position[t]
            high = solver.solution([j], -1.0)[j]
            high = np.inf if high >= solver.cap * (1 - 1e-9) else high
            if settled is not None and settled(t, high):
                out[t] = Interval(0.0, high)
                continue
            out[t] = Interval(max(solver.solution([j], 1.0)[j], 0.0), high)
        return out

    def solver(self) -> _Solver:
        if self._solver is None:
            self._solver = _Solver(self.rows, self.position, self.value)
        return self._solver


class _Solver:
    """A group's linear program in HiGHS, solved again for each objective (from the last basis).
    Every unknown is capped far above any figure of the group: a maximum at the cap means the
    attacker has no upper bound."""

    def __init__(self, rows: list, position: dict[int, int], value: np.ndarray):
        n = len(position)
        known = [abs(float(b)) for _, _, _, b in rows] + [
            abs(float(value[c])) for c in position if not np.isnan(value[c])
        ]
        self.cap = 1e3 * max([1.0, *known]) + 1e6
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, self.cap)
        lower, upper, starts, index, values = [], [], [0], [], []
        for kind, cells, coefs, b in rows:
            upper.append(b)
            lower.append(b if kind == "eq" else -highspy.kHighsInf)
            index.extend(position[int(c)] for c in cells)
            values.extend(float(a) for a in coefs)
            starts.append(len(index))
        lp.row_lower_ = np.asarray(lower, dtype=float)
        lp.row_upper_ = np.asarray(upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = len(rows)
        lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.asarray(values, dtype=float)
        self.n = n
        self.lp = lp
        self.rows = (lower, upper, starts, index, values)

    def saturated(self, columns: list[int], values: list[float], goals: list[float], side: float) -> np.ndarray:
        """A solution that moves each of ``columns`` away from its value in the direction
        ``side`` (+1 up, -1 down) as far as its goal, all at once: maximise the sum of gains
        g_j <= goal_j with g_j <= side * (x_j - value_j). The group's own program is left as it
        was loaded."""
        global _LOADED
        lower, upper, starts, index, coefs = self.rows
        m = len(columns)
        n = self.n
        lp = highspy.HighsLp()
        lp.num_col_ = n + m
        lp.num_row_ = len(lower) + m
        lp.col_cost_ = np.concatenate([np.zeros(n), -np.ones(m)])
        lp.col_lower_ = np.concatenate([np.zeros(n), np.full(m, -highspy.kHighsInf)])
        lp.col_upper_ = np.concatenate([np.full(n, self.cap), np.asarray(goals, dtype=float)])
        extra_index, extra_value, extra_upper = [], [], []
        for j, (column, value) in enumerate(zip(columns, values)):
            # g_j - side * x_j <= -side * value_j
            extra_index += [n + j, column]
            extra_value += [1.0, -side]
            extra_upper.append(-side * value)
        nnz = len(index)
        lp.row_lower_ = np.concatenate([np.asarray(lower, dtype=float), np.full(m, -highspy.kHighsInf)])
        lp.row_upper_ = np.concatenate([np.asarray(upper, dtype=float), np.asarray(extra_upper, dtype=float)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = n + m
        lp.a_matrix_.num_row_ = len(lower) + m
        lp.a_matrix_.start_ = np.concatenate(
            [np.asarray(starts, dtype=np.int32), nnz + 2 * np.arange(1, m + 1, dtype=np.int32)]
        )
        lp.a_matrix_.index_ = np.concatenate(
            [np.asarray(index, dtype=np.int32), np.asarray(extra_index, dtype=np.int32)]
        )
        lp.a_matrix_.value_ = np.concatenate([np.asarray(coefs, dtype=float), np.asarray(extra_value, dtype=float)])
        highs = _highs()
        highs.clearModel()
        highs.passModel(lp)
        _LOADED = None
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the audit's linear program could not be solved ({highs.modelStatusToString(status)})")
        return np.asarray(highs.getSolution().col_value)[:n]

    def solution(self, columns: list[int], sign) -> np.ndarray:
        """A solution minimising the sum of the columns times ``sign`` (a number, or one per column)."""
        global _LOADED
        highs = _highs()
        if _LOADED is not self:
            # One HiGHS instance serves every group: load this group's program if another's is in.
            highs.clearModel()
            highs.passModel(self.lp)
            _LOADED = self
        cost = np.zeros(self.n)
        cost[columns] = sign
        highs.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), cost)
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the audit's linear program could not be solved ({highs.modelStatusToString(status)})")
        return np.asarray(highs.getSolution().col_value)


_HIGHS = None
_LOADED = None


def _highs():
    """One HiGHS instance per process, created silently (it prints a banner on stdout, which
    dbt's structured log on the same stream must not get)."""
    global _HIGHS
    if _HIGHS is None:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                _HIGHS = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _HIGHS.setOptionValue("output_flag", False)
    return _HIGHS


def _one_equation(row, target_cells) -> dict[int, Interval]:
    """One equation a·x = b over non-negative unknowns, solved without a solver: with x_t's
    coefficient made positive, the others of the same sign can absorb anything down to 0, those
    of the other sign let x_t grow without end."""
    _, cells, coefs, b = row
    cells = [int(c) for c in cells]
    out = {}
    for t in target_cells:
        k = cells.index(t)
        sign = 1.0 if coefs[k] > 0 else -1.0
        a = coefs * sign
        rhs = b * sign
        same = np.delete(a, k) > 0
        other = np.delete(a, k) < 0
        high = np.inf if other.any() else max(rhs, 0.0) / a[k]
        low = 0.0 if same.any() else max(rhs / a[k], 0.0)
        out[t] = Interval(low, high)
    return out


def is_protected(interval: Interval, value: float, protection: float, amount: bool, p: float = P_PERCENT) -> bool:
    if amount:
        if np.isnan(value):
            return interval.width >= protection
        margin = p / 100.0 * abs(value)
        return value - interval.low >= margin and interval.high - value >= margin and interval.width > 0
    return interval.width >= protection


@dataclass
class Report:
    """The audit of a published set of marts: per (mart, figure), the cells checked and the
    names of those pinned too closely (never a value)."""

    checked: dict[tuple[str, str], int]
    pinned: dict[tuple[str, str], list[str]]
    mismatched: dict[tuple[str, str], int]

    @property
    def passed(self) -> bool:
        return not any(self.pinned.values()) and not any(self.mismatched.values())


def audit_published(
    specs: dict,
    published: dict,
    aggregates: dict,
    k: int,
    income_k: int,
    p: float = P_PERCENT,
) -> Report:
    """Play the attacker on published marts (pandas frames with each figure and its ``_secret``
    flag): every relation of the specs, every published figure, unknowns at least 0. The marts'
    aggregates (their true cells, joined on the row keys) say which implied counts are small and
    how far an amount must stay from its bounds; a published figure that differs from its cell
    is reported too (the relations would not be the attacker's)."""
    import pandas as pd

    from disclosure.cells import build
    from disclosure.spec import LINEAR_KINDS, SECRET_SUFFIX

    frames, flags = {}, {}
    mismatched: dict[tuple[str, str], int] = {}
    for mart, spec in specs.items():
        if mart not in published or spec.aggregate not in aggregates:
            continue
        keys = spec.keys
        shown = published[mart].copy()
        cells = aggregates[spec.aggregate].copy()
        for key in keys:
            shown[key] = shown[key].astype(str)
            cells[key] = cells[key].astype(str)
        joined = cells.merge(shown, on=keys, how="inner", suffixes=("", "__published"))
        # Every cell of the grid is published, each once: which rows exist tells nothing.
        mismatched[mart, "*rows*"] = abs(len(shown) - len(joined)) + abs(len(cells) - len(joined))
        frames[mart] = joined.reset_index(drop=True)
        for figure in spec.published:
            secret = joined[figure.name + SECRET_SUFFIX].fillna(False).astype(bool).to_numpy()
            flags[mart, figure.name] = secret
            if figure.kind in LINEAR_KINDS:
                truth = pd.to_numeric(joined[figure.name], errors="coerce")
                shown_value = pd.to_numeric(joined[figure.name + "__published"], errors="coerce")
                differs = (~secret) & ~np.isclose(
                    truth.fillna(-1).to_numpy(dtype=float), shown_value.fillna(-1).to_numpy(dtype=float)
                )
                mismatched[mart, figure.name] = int(differs.sum())
    system = build({m: specs[m] for m in frames}, frames, k, income_k, check=True)
    secret = np.zeros(len(system), dtype=bool)
    for i in range(len(system)):
        flag = flags.get((system.mart[i], system.figure[i]))
        if flag is not None:
            secret[i] = flag[system.row[i]]
    failing = failures(system, secret, p)
    wanted = targets(system, secret)
    checked: dict[tuple[str, str], int] = defaultdict(int)
    for i in np.flatnonzero(wanted):
        checked[system.mart[i], system.figure[i]] += 1
    pinned: dict[tuple[str, str], list[str]] = defaultdict(list)
    for i in failing:
        pinned[system.mart[i], system.figure[i]].append(system.describe(i, frames, specs))
    return Report(dict(checked), dict(pinned), mismatched)
