"""What a mart publishes, as its YAML ``meta.disclosure`` declares it.

A mart is a table of cells: one row per period and combination of dimension values (every
combination, zeros included: which rows exist tells nothing), one column per figure. The spec
says, for each figure, what it is and what it rests on (its base: the persons behind it), and
which linear relations tie cells together (a total and its parts, days and the month they
make). Both the protection (``pattern.py``) and the audit (``audit.py``)
read relations from here only; the published file carries the specs too (table
``disclosure_rules``), so the audit needs nothing but the file.

Example (dbt YAML)::

    meta:
      disclosure:
        aggregate: agg_orders_monthly          # the unprotected cells (restricted)
        period: order_month
        grain: month                           # day, month or quarter
        income_breakdown: false                # true: k = 11 on every cell
        dimensions:
          departement: additive                # the 'Tous' row is the sum of the others
          product_category: overlapping        # an order counts in each of its categories
        figures:
          n_orders: {kind: count, base: n_orders__persons}
          revenue_excl_tax_eur: {kind: amount, base: revenue__persons, top: [revenue__top1, revenue__top2]}
          average_basket_eur: {kind: ratio, of: [revenue_excl_tax_eur, n_orders]}
          median_days: {kind: median, base: median_days__persons}
        parts:                                 # within a row: whole = parts (+ an unpublished rest)
          - {whole: n_answers, parts: [n_promoters, n_detractors], rest: n_passives}
        subsets:                               # within a row: part <= whole
          - {part: n_dossiers_paid, whole: n_dossiers_granted}
        rollup:                                # these figures add up into another mart's cells
          into: mart_web_funnel_monthly
          grain: month
          where: {utm_source: Tous, device: Tous}
          figures: {n_sessions: n_sessions}
        grace_days: 15                         # a period is frozen this many days after it ends
                                               # (history.py)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

TOTAL = "Tous"
KINDS = frozenset({"count", "amount", "ratio", "median"})
LINEAR_KINDS = frozenset({"count", "amount"})
GRAINS = ("day", "month", "quarter")
# Days after its end before a period is frozen (disclosure/history.py): late cancellations
# (the 14 days of the legal withdrawal period) and invoices land in the month they belong to.
DEFAULT_GRACE_DAYS = 15
SECRET_SUFFIX = "_secret"


class SpecError(ValueError):
    """A mart's disclosure spec is missing or inconsistent; the message names the mart."""


@dataclass(frozen=True)
class Figure:
    name: str
    kind: str
    base: str | None = None
    top: tuple[str, ...] = ()
    of: tuple[str, ...] = ()
    # A figure the mart never publishes but a relation implies (a remainder of parts).
    virtual: bool = False


@dataclass(frozen=True)
class Parts:
    whole: str
    parts: tuple[str, ...]
    rest: str | None = None


@dataclass(frozen=True)
class Rollup:
    into: str
    grain: str
    where: tuple[tuple[str, str], ...]
    figures: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class MartSpec:
    mart: str
    aggregate: str
    period: str
    grain: str
    dimensions: tuple[tuple[str, str], ...]
    figures: tuple[Figure, ...]
    income_breakdown: bool = False
    parts: tuple[Parts, ...] = ()
    subsets: tuple[tuple[str, str], ...] = ()
    cumulative: tuple[str, str] | None = None
    rollup: Rollup | None = None
    grace_days: int = DEFAULT_GRACE_DAYS
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def dimension_names(self) -> list[str]:
        return [d for d, _ in self.dimensions]

    @property
    def keys(self) -> list[str]:
        """The columns that identify a cell's row: the period, then the dimensions."""
        return [self.period, *self.dimension_names]

    @property
    def published(self) -> list[Figure]:
        return [f for f in self.figures if not f.virtual]

    @property
    def columns(self) -> list[str]:
        """The published mart's columns: its keys, then each figure and its secret flag."""
        return [*self.keys, *(c for f in self.published for c in (f.name, f.name + SECRET_SUFFIX))]

    def figure(self, name: str) -> Figure:
        for f in self.figures:
            if f.name == name:
                return f
        raise SpecError(f"{self.mart}: no figure {name!r} in its disclosure spec.")

    def protection(self, k: int, income_k: int) -> int:
        """The persons every cell of this mart must rest on, and the width a secret cell's
        feasible interval must reach."""
        return max(k, income_k) if self.income_breakdown else k

    def to_json(self) -> str:
        return json.dumps(self.extra, sort_keys=True)


def parse(mart: str, meta: Mapping) -> MartSpec:
    """A mart's spec from its ``meta.disclosure`` mapping (raises SpecError with the mart's name)."""
    if not isinstance(meta, Mapping):
        raise SpecError(f"{mart}: meta.disclosure is missing; every mart declares its figures and their bases.")

    def need(key: str):
        if key not in meta:
            raise SpecError(f"{mart}: meta.disclosure has no {key!r}.")
        return meta[key]

    grain = need("grain")
    if grain not in GRAINS:
        raise SpecError(f"{mart}: grain must be one of {', '.join(GRAINS)}, got {grain!r}.")
    dimensions = tuple((str(d), str(kind)) for d, kind in (meta.get("dimensions") or {}).items())
    for d, kind in dimensions:
        if kind not in ("additive", "overlapping", "fixed"):
            raise SpecError(f"{mart}: dimension {d} must be additive, overlapping or fixed, got {kind!r}.")
    figures = []
    for name, f in (need("figures") or {}).items():
        kind = (f or {}).get("kind")
        if kind not in KINDS:
            raise SpecError(f"{mart}.{name}: kind must be one of {', '.join(sorted(KINDS))}.")
        if kind in ("count", "amount", "median") and not f.get("base"):
            raise SpecError(f"{mart}.{name}: a {kind} declares its base (the persons it rests on).")
        if kind == "amount" and len(f.get("top") or ()) != 2:
            raise SpecError(f"{mart}.{name}: an amount declares its two largest contributions (top).")
        if kind == "ratio" and not f.get("of"):
            raise SpecError(f"{mart}.{name}: a ratio declares the figures it is computed of (of).")
        figures.append(
            Figure(
                str(name),
                kind,
                f.get("base"),
                tuple(f.get("top") or ()),
                tuple(f.get("of") or ()),
                bool(f.get("virtual", False)),
            )
        )
    names = {f.name for f in figures}
    parts = []
    for p in meta.get("parts") or ():
        item = Parts(p["whole"], tuple(p["parts"]), p.get("rest"))
        for n in (item.whole, *item.parts, *([item.rest] if item.rest else [])):
            if n not in names:
                raise SpecError(f"{mart}: parts name {n!r}, which is not a figure of the spec.")
        parts.append(item)
    for f in figures:
        for n in f.of:
            if n not in names:
                raise SpecError(f"{mart}.{f.name}: computed of {n!r}, which is not a figure of the spec.")
    subsets = []
    for item in meta.get("subsets") or ():
        pair = (item["part"], item["whole"])
        for n in pair:
            if n not in names:
                raise SpecError(f"{mart}: subsets name {n!r}, which is not a figure of the spec.")
        subsets.append(pair)
    cumulative = None
    if meta.get("cumulative"):
        c = meta["cumulative"]
        cumulative = (c["stock"], c["flow"])
        for n in cumulative:
            if n not in names:
                raise SpecError(f"{mart}: cumulative names {n!r}, which is not a figure of the spec.")
    rollup = None
    if meta.get("rollup"):
        r = meta["rollup"]
        rollup = Rollup(
            r["into"],
            r["grain"],
            tuple(sorted((str(k), str(v)) for k, v in (r.get("where") or {}).items())),
            tuple(sorted((str(k), str(v)) for k, v in r["figures"].items())),
        )
    grace_days = meta.get("grace_days", DEFAULT_GRACE_DAYS)
    if isinstance(grace_days, bool) or not isinstance(grace_days, int) or grace_days < 0:
        raise SpecError(f"{mart}: grace_days is a number of days, 0 or more.")
    return MartSpec(
        mart=mart,
        aggregate=need("aggregate"),
        period=need("period"),
        grain=grain,
        dimensions=dimensions,
        figures=tuple(figures),
        income_breakdown=bool(meta.get("income_breakdown", False)),
        parts=tuple(parts),
        subsets=tuple(subsets),
        cumulative=cumulative,
        rollup=rollup,
        grace_days=grace_days,
        extra=dict(meta),
    )


def from_rules_table(rows: list[tuple[str, str]]) -> dict[str, MartSpec]:
    """The specs published with the marts (table ``disclosure_rules``: mart, spec as JSON)."""
    return {mart: parse(mart, json.loads(text)) for mart, text in rows}
