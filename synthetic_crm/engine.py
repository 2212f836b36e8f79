"""Generate a synthetic CRM, or advance an existing one by some days.

``generate`` draws the base block (all contacts created from ``start`` to ``end``), projects
it at the end of ``end`` and writes every table and the last months of session logs.
``advance`` redraws the same population plus one block per new day, and writes only the
difference between the two projections: new rows, rows whose status changed, and the rows
of persons whose erasure the CRM executed in the meantime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic_crm.block import BlockContext, BlockSpec
from synthetic_crm.frames import BLOCK_TABLES, TABLE_ORDER, Frame, concat_frames
from synthetic_crm.pools import Pools, build_pools
from synthetic_crm.population import simulate_block
from synthetic_crm.projection import PRIMARY_KEYS, Projector
from synthetic_crm.reference_tables import products_frame, staff_frame
from synthetic_crm.source import SourceError, open_source
from synthetic_crm.timeline import DAY, NEVER, business_seconds, day_start, day_weights, end_of_day
from synthetic_crm.weblogs import WebDay, write_days

Progress = Callable[[str], None]

# Anonymous website sessions per contact the CRM gains (visitors who never leave details).
ANONYMOUS_SESSIONS_PER_CONTACT = 5.0


@dataclass(frozen=True)
class GenerationParams:
    """Everything that determines a synthetic source (same params, same bytes)."""

    contacts: int
    seed: int = 0
    start: date = date(2019, 1, 1)
    end: date = date(2026, 11, 25)
    dirty_rate: float = 0.02
    web_log_days: int = 400

    def __post_init__(self) -> None:
        if self.contacts < 1:
            raise ValueError("--contacts must be at least 1.")
        if self.end < self.start:
            raise ValueError(f"--end ({self.end}) is before --start ({self.start}).")
        if not 0 <= self.dirty_rate <= 0.2:
            raise ValueError("--dirty-rate must be between 0 and 0.2.")

    def to_state(self) -> dict:
        d = asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        return d

    @classmethod
    def from_state(cls, state: dict) -> GenerationParams:
        d = dict(state)
        d["start"], d["end"] = date.fromisoformat(d["start"]), date.fromisoformat(d["end"])
        return cls(**d)


@dataclass
class World:
    """The simulated population up to some day, with what the web logs need."""

    params: GenerationParams
    pools: Pools
    population: dict[str, Frame]
    day_rate: dict[date, float]  # expected new contacts per day

    def web_day(self, day: date) -> WebDay:
        visits = self.population["web_visits"]
        sel = (visits["t"] >= day_start(day)) & (visits["t"] < day_start(day) + DAY)
        return WebDay(visits["session_id"][sel], visits["t"][sel], visits["contact_id"][sel], visits["form"][sel])


def _epoch_day(d: date) -> int:
    return day_start(d) // DAY


def _base_days(params: GenerationParams) -> tuple[np.ndarray, np.ndarray]:
    days = np.arange(_epoch_day(params.start), _epoch_day(params.end) + 1)
    return days, day_weights(days, _epoch_day(params.start))


def _day_rate(params: GenerationParams, days: np.ndarray) -> np.ndarray:
    _, base_w = _base_days(params)
    return params.contacts * day_weights(days, _epoch_day(params.start)) / base_w.sum()


def build_world(params: GenerationParams, as_of: date, progress: Progress = lambda _: None) -> World:
    """Draw the base block and one block per day after ``params.end`` up to ``as_of``."""
    pools = build_pools(params.seed)
    start_ts = day_start(params.start)
    n_reps = int(np.clip(params.contacts // 20_000, 4, 60))
    n_techs = int(np.clip(params.contacts // 10_000, 6, 120))
    ctx = BlockContext(n_sales_reps=n_reps, n_technicians=n_techs)
    offsets = {t: 0 for t in BLOCK_TABLES}

    days, weights = _base_days(params)
    rng = np.random.default_rng(np.random.SeedSequence([params.seed, 0xB10C]))
    counts = rng.multinomial(params.contacts, weights / weights.sum())
    created = np.repeat(days * DAY, counts) + business_seconds(rng, params.contacts)
    created.sort()
    specs = [BlockSpec(tag=(0,), created=created, id_offsets={})]
    for d in range((as_of - params.end).days):
        day = params.end + timedelta(days=d + 1)
        drng = np.random.default_rng(np.random.SeedSequence([params.seed, 0xDA7, day.toordinal()]))
        lam = float(_day_rate(params, np.array([_epoch_day(day)]))[0])
        n = int(drng.poisson(lam))
        created = np.sort(_epoch_day(day) * DAY + business_seconds(drng, n))
        specs.append(BlockSpec(tag=(1, day.toordinal()), created=created, id_offsets={}))

    blocks: list[dict[str, Frame]] = []
    for spec in specs:
        if not len(spec.created):
            continue
        t = time.perf_counter()
        block = simulate_block(params.seed, params.dirty_rate, pools, replace(spec, id_offsets=dict(offsets)), ctx)
        for table in BLOCK_TABLES:
            frame = block[table]
            if frame:
                ids = frame.get("id", frame.get("session_id"))
                if table == "contacts":
                    offsets[table] += len(frame["contact_id"])
                elif "id" in frame:
                    offsets[table] = max(offsets[table], int(ids.max()) if len(ids) else offsets[table])
        orders = block["orders"]
        if len(orders["id"]):
            first_order = np.unique(orders["owner"], return_index=True)
            ctx.referrer_ids = np.concatenate([ctx.referrer_ids, first_order[0]])
            ctx.referrer_times = np.concatenate([ctx.referrer_times, orders["t_created"][first_order[1]]])
        blocks.append(block)
        if spec.tag == (0,):
            progress(f"population of {len(spec.created):,} contacts drawn in {time.perf_counter() - t:.1f} s")

    population = {t: concat_frames([b[t] for b in blocks]) for t in BLOCK_TABLES}
    population["staff"] = staff_frame(params.seed, pools, n_reps, n_techs, start_ts)
    population["products"] = products_frame(start_ts - 30 * DAY)
    all_days = np.arange(_epoch_day(params.start) - 1, _epoch_day(as_of) + 1)
    rates = _day_rate(params, all_days)
    day_rate = {date(1970, 1, 1) + timedelta(days=int(d)): float(r) for d, r in zip(all_days, rates)}
    return World(params, pools, population, day_rate)


def _anonymous_sessions(world: World, day: date) -> int:
    rng = np.random.default_rng(np.random.SeedSequence([world.params.seed, 0xA11, day.toordinal()]))
    return int(rng.poisson(ANONYMOUS_SESSIONS_PER_CONTACT * world.day_rate.get(day, 0.0)))


def _write_web_logs(world: World, folder: Path, days: list[date], corrected: frozenset[date] = frozenset()) -> None:
    needed = set(days) | {d - timedelta(days=1) for d in days}
    known = {d: world.web_day(d) for d in needed}
    anonymous = {d: _anonymous_sessions(world, d) for d in needed}
    write_days(folder, world.params.seed, days, known, anonymous, world.pools, world.params.dirty_rate, corrected)


@dataclass(frozen=True)
class Summary:
    as_of: date
    rows: dict[str, int]
    deleted: dict[str, int]
    web_files: int
    seconds: float


def generate(
    params: GenerationParams,
    source_url: str,
    web_dir: Path,
    *,
    base_dir: Path | None = None,
    overwrite: bool = False,
    progress: Progress = lambda _: None,
) -> Summary:
    """Create a complete CRM as of the end of ``params.end``, and its session logs."""
    t0 = time.perf_counter()
    source = open_source(source_url, base_dir)
    try:
        source.create_schema(overwrite)
        world = build_world(params, params.end, progress)
        projector = Projector(world.population)
        at = end_of_day(params.end)
        rows = {}
        source.begin()
        for table in TABLE_ORDER:
            t = time.perf_counter()
            data = projector.project(at, (table,))[table]
            source.insert(table, data)
            rows[table] = data.num_rows
            progress(f"{table}: {data.num_rows:,} rows in {time.perf_counter() - t:.1f} s")
        source.write_state({"params": params.to_state(), "as_of": params.end.isoformat()})
        source.commit()
    finally:
        source.close()
    first = max(params.start, params.end - timedelta(days=params.web_log_days - 1))
    days = [first + timedelta(days=i) for i in range((params.end - first).days + 1)]
    t = time.perf_counter()
    _write_web_logs(world, web_dir, days)
    progress(f"web session logs: {len(days)} files in {time.perf_counter() - t:.1f} s")
    return Summary(params.end, rows, {}, len(days), time.perf_counter() - t0)


def advance(
    source_url: str,
    web_dir: Path,
    days: int,
    *,
    base_dir: Path | None = None,
    progress: Progress = lambda _: None,
) -> Summary:
    """Continue an existing synthetic CRM by ``days`` days of activity."""
    if days < 1:
        raise ValueError("--advance-days must be at least 1.")
    t0 = time.perf_counter()
    source = open_source(source_url, base_dir)
    try:
        state = source.read_state()
        if not state:
            raise SourceError(
                "This source was not made by `mgreen generate` (no generator state): "
                "generate it first with `mgreen generate --contacts N --seed S`."
            )
        params = GenerationParams.from_state(state["params"])
        old = date.fromisoformat(state["as_of"])
        new = old + timedelta(days=days)
        world = build_world(params, new, progress)
        projector = Projector(world.population)
        old_at, new_at = end_of_day(old), end_of_day(new)
        rows, deleted = {}, {}
        source.begin()
        for table in TABLE_ORDER:
            frame = world.population[table]
            key = PRIMARY_KEYS[table]
            if table not in ("staff", "products") and frame:
                gone = projector.visible(frame, old_at) & ~projector.visible(frame, new_at)
                values = _key_values(table, frame, gone)
                if values:
                    source.delete(table, key, values)
                deleted[table] = len(values)
            data = projector.project(new_at, (table,))[table]
            changed = data.filter(pc.greater(data["updated_at"], pa.scalar(old_at, pa.timestamp("s"))))
            if changed.num_rows:
                source.upsert(table, changed, key)
            rows[table] = changed.num_rows
        source.write_state({"params": params.to_state(), "as_of": new.isoformat()})
        source.commit()
    finally:
        source.close()
    # The web team delivers each new day, and sometimes re-delivers the last one corrected.
    new_days = [old + timedelta(days=i + 1) for i in range(days)]
    redeliver = np.random.default_rng(np.random.SeedSequence([params.seed, 0xC0, old.toordinal()])).random() < 0.5
    corrected = frozenset({old}) if redeliver and params.dirty_rate > 0 else frozenset()
    _write_web_logs(world, web_dir, sorted(set(new_days) | corrected), corrected)
    progress(f"advanced {old} -> {new}: {sum(rows.values()):,} rows written, {sum(deleted.values()):,} deleted")
    return Summary(new, rows, deleted, len(new_days) + len(corrected), time.perf_counter() - t0)


def _key_values(table: str, frame: Frame, mask: np.ndarray) -> list[tuple]:
    if table == "quote_lines":
        return list(zip(frame["quote_id"][mask].tolist(), frame["line_no"][mask].tolist()))
    key_col = "contact_id" if table == "contacts" else "id"
    return [(int(v),) for v in frame[key_col][mask]]


def read_as_of(source_url: str, base_dir: Path | None = None) -> date | None:
    """The day a generated source stands at (None when it was not generated by us)."""
    source = open_source(source_url, base_dir)
    try:
        state = source.read_state()
    finally:
        source.close()
    return date.fromisoformat(state["as_of"]) if state else None


__all__ = ["GenerationParams", "Summary", "advance", "build_world", "generate", "read_as_of", "NEVER"]
