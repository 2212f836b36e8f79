"""When a published period closes, and what is frozen with it.

A period closes ``grace_days`` (its mart's spec) after it ends, counted in Paris days from the
run's instant; that night its cells are computed under disclosure control for the last time and
kept (``orchestration/lib/history.py``). Later nights serve them as kept.

Periods that a relation ties together close together, so that no relation ever joins a frozen
cell to one still computed: a mart whose cells roll up into another's (days into months,
months into quarters) closes by the coarser period, with it. Rolled-up marts therefore share
their ``grace_days``; ``check`` refuses specs that do not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from disclosure.spec import GRAINS, MartSpec, SpecError

PARIS = ZoneInfo("Europe/Paris")


def paris_day(instant: datetime) -> date:
    """The Paris day of a run's instant (naive values are UTC, as the run's tag stores them)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(PARIS).date()


def unit_grain(spec: MartSpec, specs: dict[str, MartSpec]) -> str:
    """The period a mart's cells are frozen by: its own grain, or the coarsest grain of the
    marts it rolls up into."""
    grain, seen, current = spec.grain, {spec.mart}, spec
    while current.rollup and current.rollup.into in specs and current.rollup.into not in seen:
        current = specs[current.rollup.into]
        seen.add(current.mart)
        grain = max(grain, current.grain, key=GRAINS.index)
    return grain


def unit_start(period: date, grain: str) -> date:
    if grain == "day":
        return period
    if grain == "month":
        return period.replace(day=1)
    return period.replace(month=(period.month - 1) // 3 * 3 + 1, day=1)


def next_start(start: date, grain: str) -> date:
    """The first day of the period after the one starting on ``start``."""
    if grain == "day":
        return start + timedelta(days=1)
    months = 1 if grain == "month" else 3
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def closes_on(period: date, spec: MartSpec, specs: dict[str, MartSpec]) -> date:
    """The first Paris day on which ``period`` of the mart is frozen."""
    grain = unit_grain(spec, specs)
    return next_start(unit_start(period, grain), grain) + timedelta(days=spec.grace_days)


def is_closed(period: date, spec: MartSpec, specs: dict[str, MartSpec], as_of: datetime) -> bool:
    return paris_day(as_of) >= closes_on(period, spec, specs)


def check(specs: dict[str, MartSpec]) -> None:
    """Marts tied by a rollup close together: the same ``grace_days``. No stock and flow: a
    stock relates every period to those before it, frozen or not."""
    for spec in specs.values():
        if spec.cumulative:
            raise SpecError(
                f"{spec.mart}: a cumulative relation ties every period to the frozen ones before it; publish the "
                "flows and let the dashboards add them up (docs/decisions/0003)."
            )
        target = specs.get(spec.rollup.into) if spec.rollup else None
        if target is not None and target.grace_days != spec.grace_days:
            raise SpecError(
                f"{spec.mart} rolls up into {target.mart}: both declare the same grace_days "
                f"({spec.grace_days} and {target.grace_days}), so that they close together."
            )


def expected(first: date, last: date, grain: str) -> list[date]:
    """Every period of ``grain`` from the one holding ``first`` to the one holding ``last``."""
    out, current = [], unit_start(first, grain)
    while current <= last:
        out.append(current)
        current = next_start(current, grain)
    return out


class OpenPeriodCutError(RuntimeError):
    """Retention cut into a period still open: its grace period outlives a retention rule."""


def family(spec: MartSpec, specs: dict[str, MartSpec]) -> frozenset[str]:
    """The marts a rollup ties to ``spec``'s, either way: they close, and are revised, together."""
    out = {spec.mart}
    while True:
        more = {
            other.mart
            for other in specs.values()
            if other.rollup
            and other.rollup.into in specs
            and (other.mart in out or other.rollup.into in out)
            and not {other.mart, other.rollup.into} <= out
        }
        if not more:
            return frozenset(out)
        for mart in more:
            out |= {mart, specs[mart].rollup.into}


def statuses(
    specs: dict[str, MartSpec],
    periods: dict[str, list[date]],
    frozen: dict[str, set[date]],
    as_of: datetime,
    revising: dict[str, set[date]] | None = None,
) -> list[tuple[str, date, str, date, bool]]:
    """(mart, period, status, closes_on, revising) for every period a mart has, or had:
    ``periods`` are those its aggregate computes tonight, ``frozen`` those the history keeps,
    ``revising`` those of them an operator asked to recompute. Statuses: frozen (served as
    kept), closing (closed, computed tonight, to be frozen), open, lost (closed, never frozen,
    missing tonight). A period missing tonight that is still open raises: retention cut into it.

    A revision recomputes a whole freezing unit (the period, and every period of the marts a
    rollup ties to it within the same unit), or nothing: when tonight cannot compute one of its
    frozen periods (retention removed its rows), the whole unit stays as kept, so that no
    relation ever joins a recomputed cell to a kept one. ``revising`` in the result says which
    asked periods tonight took into account (recomputed or refused)."""
    check(specs)
    revising = revising or {}
    today = paris_day(as_of)
    # The units asked, and whether tonight can recompute every frozen period in each.
    units: dict[tuple[frozenset, date], bool] = {}
    for mart, asked in revising.items():
        if mart not in specs:
            continue
        spec = specs[mart]
        grain = unit_grain(spec, specs)
        for period in asked & frozen.get(mart, set()):
            units.setdefault((family(spec, specs), unit_start(period, grain)), True)
    for (members, start), _ in list(units.items()):
        for member in members:
            grain = unit_grain(specs[member], specs)
            kept = {p for p in frozen.get(member, set()) if unit_start(p, grain) == start}
            if not kept <= set(periods.get(member, ())):
                units[members, start] = False
    rows = []
    for mart, spec in sorted(specs.items()):
        present = set(periods.get(mart, ()))
        kept = frozen.get(mart, set())
        grain = unit_grain(spec, specs)
        mine = family(spec, specs)
        known = sorted(present | kept)
        gaps = set(expected(known[0], known[-1], spec.grain)) - present - kept if known else set()
        for period in sorted(present | kept | gaps):
            closes = closes_on(period, spec, specs)
            closed = today >= closes
            asked = (mine, unit_start(period, grain)) in units
            if period in kept:
                status = "closing" if asked and units[mine, unit_start(period, grain)] else "frozen"
            elif period in gaps:
                if not closed:
                    raise OpenPeriodCutError(
                        f"{mart}: the period {period.isoformat()} is still open and retention has cut into it: "
                        "a mart's grace period must be shorter than every retention rule its rows fall under."
                    )
                status = "lost"
            else:
                status = "closing" if closed else "open"
            rows.append((mart, period, status, closes, asked and period in kept))
    return rows
