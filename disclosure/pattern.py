"""Which cells to keep secret: primary suppression, then secondary until the audit passes.

Primary (each figure on its own):
- a count is published when it rests on no person (0) or on at least its protection (k, or 11
  with an income-category dimension): its base, the distinct persons behind it, decides;
- an amount likewise, and only if no contributor dominates it (p % rule, p = 10: with the two
  largest contributions x1 >= x2 and the total T, secret when T - x1 - x2 < p/100 * x1);
- a median likewise on its base; a ratio is secret whenever a figure it is computed of is.

Secondary: the audit (``audit.py``) finds the secret cells, and the small implied counts,
that an attacker pins down more closely than allowed; for each, one more cell of a relation
that pins it is made secret (the smallest that gives the missing width, else the largest),
and the audit runs again on what changed, until nothing fails. Each round only adds secrets,
so it ends; the last audit is the proof.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from disclosure import audit
from disclosure.cells import System, build
from disclosure.spec import LINEAR_KINDS, SECRET_SUFFIX, MartSpec

log = logging.getLogger(__name__)
MAX_ROUNDS = 200
_TAKEN = -1  # _candidate: every cell that would widen it is already being hidden this round


@dataclass
class Protection:
    """The outcome: per mart, the secret flag of every published figure of every row (a frame
    aligned with the mart's rows, one ``<figure>_secret`` column each), and counts for the log."""

    flags: dict[str, pd.DataFrame]
    primary: int
    secondary: int
    rounds: int
    cells: int

    def secrets(self) -> pd.DataFrame:
        """Every secret cell, long: mart, row (position in the mart's frame), figure."""
        parts = []
        for mart, flags in self.flags.items():
            for column in flags.columns:
                rows = np.flatnonzero(flags[column].to_numpy())
                parts.append(pd.DataFrame({"mart": mart, "row": rows, "figure": column.removesuffix(SECRET_SUFFIX)}))
        if not parts:
            return pd.DataFrame({"mart": [], "row": [], "figure": []})
        return pd.concat(parts, ignore_index=True)

    def published(self, spec: MartSpec, aggregate: pd.DataFrame) -> pd.DataFrame:
        """The mart as published: keys, each figure (NULL where secret) and its flag."""
        df = aggregate.reset_index(drop=True)
        flags = self.flags[spec.mart]
        out = df[spec.keys].copy()
        for figure in spec.published:
            hidden = flags[figure.name + SECRET_SUFFIX].to_numpy()
            column = df[figure.name]
            dtype = "Int64" if figure.kind == "count" else "Float64"
            out[figure.name] = pd.array(column, dtype=dtype).copy()
            out.loc[hidden, figure.name] = pd.NA
            out[figure.name + SECRET_SUFFIX] = hidden
        return out


def primary_mask(spec: MartSpec, df: pd.DataFrame, k: int, income_k: int, p: float) -> dict[str, np.ndarray]:
    """Per figure (ratios apart), the rows whose figure is secret on its own."""
    protection = spec.protection(k, income_k)
    out = {}
    for figure in spec.figures:
        if figure.kind == "ratio":
            continue
        base = pd.to_numeric(df[figure.base], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            small = (base > 0) & (base < protection)
        if figure.kind == "amount":
            total = pd.to_numeric(df[figure.name], errors="coerce").to_numpy(dtype=float)
            top1 = pd.to_numeric(df[figure.top[0]], errors="coerce").fillna(0).to_numpy(dtype=float)
            top2 = pd.to_numeric(df[figure.top[1]], errors="coerce").fillna(0).to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                dominated = (top1 > 0) & (total - top1 - top2 < p / 100.0 * top1)
            small |= dominated
        out[figure.name] = small
    return out


def protect(
    specs: dict[str, MartSpec], aggregates: dict[str, pd.DataFrame], k: int, income_k: int, p: float = audit.P_PERCENT
) -> Protection:
    """Secret flags for every figure of every mart, such that the audit passes."""
    frames = {m: df.reset_index(drop=True) for m, df in aggregates.items()}
    system = build(specs, frames, k, income_k, check=True)
    secret = np.zeros(len(system), dtype=bool)
    masks = {m: primary_mask(specs[m], frames[m], k, income_k, p) for m in frames}
    for i in range(len(system)):
        mask = masks[system.mart[i]].get(system.figure[i])
        if mask is not None and mask[system.row[i]] and not system.virtual[i]:
            secret[i] = True
    primary = int(secret.sum())
    rounds = _secondary(system, secret, p)
    flags = {m: _flags(specs[m], frames[m], system, secret, masks[m]) for m in frames}
    return Protection(flags, primary, int(secret.sum()) - primary, rounds, len(system))


def _relations_of(system: System) -> list[list[int]]:
    """For each cell, the relations (equations first, then inequalities) it appears in."""
    of: list[list[int]] = [[] for _ in range(len(system))]
    for r, (cells, _) in enumerate(system.equations):
        for c in cells:
            of[int(c)].append(r)
    offset = len(system.equations)
    for r, (cells, _) in enumerate(system.inequalities):
        for c in cells:
            of[int(c)].append(offset + r)
    return of


def _secondary(system: System, secret: np.ndarray, p: float) -> int:
    relations = list(system.equations) + list(system.inequalities)
    of = _relations_of(system)
    a = system.arrays()
    value, virtual = a["value"], a["virtual"]
    passed: set[int] = set()
    view = audit.View(system, secret)
    for rounds in range(1, MAX_ROUNDS + 1):
        groups: dict = {}
        failing = audit.failures(system, secret, p, passed, groups=groups, view=view)
        if not failing:
            return rounds
        unknown = view.unknown
        added = set()
        touched = set()
        for t in failing:
            # One cell per relation and round: a cell added for one failing cell often widens
            # the others of its relation, which the next audit sees.
            if touched.intersection(of[t]):
                continue
            choice = _candidate(t, of, relations, unknown, value, virtual, a["protection"][t], added)
            if choice == _TAKEN:
                continue  # what would widen it is being hidden this round: the next audit decides
            if choice is None:
                # Nothing left to hide around it: the quick proofs may just have missed it.
                if audit.confirm(groups, t):
                    raise RuntimeError(
                        "disclosure control found no cell left to hide around a secret one; "
                        "the spec's relations pin it down (check the mart's dimensions and parts)"
                    )
                passed.add(t)
                continue
            added.add(choice)
            touched.update(of[t])
            touched.update(of[choice])
        secret[list(added)] = True
        view.hide(added)
        log.debug("round %s: %s failing, %s cells made secret", rounds, len(failing), len(added))
    raise RuntimeError(f"disclosure control did not converge in {MAX_ROUNDS} rounds")


def _candidate(t, of, relations, unknown, value, virtual, protection, taken) -> int | None:
    """A published cell to make secret so that ``t`` is pinned less: from the relations of
    ``t`` first, then of the unknown cells sharing them (breadth first); ``_TAKEN`` when the
    nearest ones are already being hidden this round, None when there is none at all.

    Among the cells of a relation, a sibling of the cell (same side of the relation: another
    part of its total, another flow of its stock) is preferred to the other side (the total):
    hiding a sibling widens the relation where it stands, hiding a total carries the secret into
    every other relation of the total. Then the smallest that is wide enough on its own, else
    the largest."""
    seen_cells = {t}
    frontier = [t]
    while frontier:
        options: dict[int, bool] = {}  # cell -> on the same side as the cell it would widen
        next_frontier = []
        for cell in frontier:
            for r in of[cell]:
                cells, coefs = relations[r]
                side = coefs[list(cells).index(cell)] if cell in cells else 0.0
                for c, a in zip(cells, coefs):
                    c = int(c)
                    if c in seen_cells and c not in options:
                        continue
                    seen_cells.add(c)
                    if unknown[c] or virtual[c] or np.isnan(value[c]):
                        next_frontier.append(c)
                    else:
                        options[c] = options.get(c, False) or (a * side > 0)
        if options and set(options) <= taken:
            return _TAKEN
        for c in taken:
            options.pop(c, None)
        if options:
            ranked = sorted(options, key=lambda c: (not options[c], value[c] < protection, value[c], c))
            best = ranked[0]
            if value[best] < protection:
                # Nothing wide enough on this side: the largest of it.
                same = [c for c in ranked if options[c] == options[best]]
                best = max(same, key=lambda c: (value[c], -c))
            return best
        frontier = next_frontier
    return None


def _flags(
    spec: MartSpec, df: pd.DataFrame, system: System, secret: np.ndarray, masks: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Each published figure's secret flag, per row of the mart."""
    flags: dict[str, np.ndarray] = {}
    for figure in spec.published:
        if figure.kind in LINEAR_KINDS:
            flags[figure.name] = np.asarray(
                [secret[system.index[spec.mart, r, figure.name]] for r in range(len(df))], dtype=bool
            )
        elif figure.kind == "median":
            flags[figure.name] = masks[figure.name]
    for figure in spec.published:
        if figure.kind == "ratio":
            hidden = np.zeros(len(df), dtype=bool)
            for name in figure.of:
                if name in flags:
                    hidden |= flags[name]
                else:  # computed of an unpublished figure: secret where that one is small
                    hidden |= masks.get(name, np.zeros(len(df), dtype=bool))
            flags[figure.name] = hidden
    return pd.DataFrame({f.name + SECRET_SUFFIX: flags[f.name] for f in spec.published})
