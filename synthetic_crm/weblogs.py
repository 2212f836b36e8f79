"""The website's session logs: one JSONL file per UTC day, as the web team delivers them.

Sessions the CRM knows of (forms, simulations, returning prospects) come from the
population; anonymous visits are drawn per day from their own random stream, so a day's file
is the same whichever way the source was generated or advanced. A session crossing midnight
appears in both days' files: cut at midnight in the first, complete in the second. At the
configured dirty rate, lines are truncated or are not JSON at all, as a crashed log shipper
leaves them.

The JSON text is assembled column-wise with Arrow string kernels (every value comes from a
pool escaped once with ``json.dumps``, or is an id, an address or a number), so a year of
logs for a million-contact CRM is written in seconds rather than one ``dumps`` per line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic_crm import catalogue as cat
from synthetic_crm.draws import stream_rng
from synthetic_crm.identifiers import hex_ids, ipv4s, ipv6s
from synthetic_crm.pools import Pools
from synthetic_crm.timeline import DAY, day_start

MAX_PAGES = 15
_FORM_PAGE = {
    "simulation": "/simulateur-aides",
    "devis": "/devis",
    "contact": "/contact",
    "rendez_vous": "/prendre-rendez-vous",
}
_GARBAGE = ("<html><body><h1>502 Bad Gateway</h1></body></html>", "\x00\x00\x00\x00", "-- log rotated --")


@dataclass(frozen=True)
class WebDay:
    """Visits known to the CRM on one day (from the population)."""

    session_id: np.ndarray
    t: np.ndarray
    contact_id: np.ndarray  # -1 for none
    form: np.ndarray


def _rng(seed: int, day: date, stream: str) -> np.random.Generator:
    return stream_rng(seed, (day.toordinal(),), stream)


def _json_pool(values) -> np.ndarray:
    """Each value as a JSON literal ('null' for empty)."""
    return np.array([json.dumps(v, ensure_ascii=False) if v else "null" for v in values], dtype=object)


_PAGES = list(cat.LANDING_PAGES) + list(_FORM_PAGE.values())
_PAGES_JSON = _json_pool(_PAGES)
_FORM_PAGE_INDEX = {form: _PAGES.index(path) for form, path in _FORM_PAGE.items()}
_TERMS_JSON = _json_pool(cat.SEARCH_TERMS)
_SOURCES = list(cat.UTM_SOURCES)
_SOURCES_JSON = _json_pool(_SOURCES)
_MEDIUM_JSON = _json_pool([cat.UTM_MEDIUM[s] for s in _SOURCES])
_CAMPAIGNS = [cat.UTM_CAMPAIGNS[s] for s in _SOURCES]
_REFERRERS = [cat.REFERRERS[s] for s in _SOURCES]
# (source, pick) -> JSON literal of the campaign and of the referrer for that source.
_CAMPAIGN_JSON = np.array([[_json_pool([c[i % len(c)]])[0] for i in range(4)] for c in _CAMPAIGNS], dtype=object)
_REFERRER_JSON = np.array([[_json_pool([r[i % len(r)]])[0] for i in range(2)] for r in _REFERRERS], dtype=object)
_DEVICES = list(cat.DEVICES)
_DEVICES_JSON = _json_pool(_DEVICES)
_FORMS = (None, *cat.FORMS)
_FORMS_JSON = _json_pool(_FORMS)


@dataclass
class Sessions:
    """Sessions started on one day, column-wise, sorted by start."""

    sid: np.ndarray
    start: np.ndarray
    ip: np.ndarray
    ua_json: np.ndarray
    device: np.ndarray
    source: np.ndarray
    campaign_json: np.ndarray
    referrer_json: np.ndarray
    n_pages: np.ndarray
    page: np.ndarray  # (n, MAX_PAGES) indexes into _PAGES
    at: np.ndarray  # (n, MAX_PAGES) instants
    duration: np.ndarray
    terms: np.ndarray  # (n, 2) indexes, -1 for none
    contact: np.ndarray
    form: np.ndarray  # index into _FORMS

    def take(self, idx: np.ndarray) -> Sessions:
        return Sessions(**{k: v[idx] for k, v in self.__dict__.items()})

    def __len__(self) -> int:
        return len(self.start)


def day_sessions(seed: int, day: date, known: WebDay, anonymous: int, ua_json: np.ndarray) -> Sessions:
    """All sessions started on ``day`` (UTC), complete, sorted by start."""
    rng = _rng(seed, day, "sessions")
    anon_t = day_start(day) + rng.integers(0, DAY, anonymous)
    t = np.concatenate([np.asarray(known.t, dtype=np.int64), anon_t])
    n = len(t)
    sid = np.concatenate([known.session_id, hex_ids(rng, anonymous)])
    contact = np.concatenate([np.asarray(known.contact_id, dtype=np.int64), np.full(anonymous, -1, np.int64)])
    form_idx = np.zeros(n, dtype=np.int64)
    for i, name in enumerate(_FORMS[1:], start=1):
        form_idx[: len(known.t)][known.form == name] = i
    # A few anonymous visitors run the simulator without leaving their details.
    anon_form = np.flatnonzero(rng.random(anonymous) < 0.02) + len(known.t)
    form_idx[anon_form] = 1

    v6 = rng.random(n) < 0.18
    ip = np.where(v6, ipv6s(rng, n), ipv4s(rng, n))
    ua = ua_json[rng.integers(0, len(ua_json), n)]
    p_dev = np.array(list(cat.DEVICES.values()))
    device = rng.choice(len(_DEVICES), n, p=p_dev / p_dev.sum())
    p_src = np.array(list(cat.UTM_SOURCES.values()))
    source = rng.choice(len(_SOURCES), n, p=p_src / p_src.sum())
    campaign_json = _CAMPAIGN_JSON[source, rng.integers(0, 4, n)]
    referrer_json = _REFERRER_JSON[source, rng.integers(0, 2, n)]
    n_pages = np.minimum(1 + rng.poisson(np.where(form_idx == 0, 2.0, 4.0)), MAX_PAGES)
    page = rng.integers(0, len(cat.LANDING_PAGES), (n, MAX_PAGES))
    last = n_pages - 1
    has_form = form_idx > 0
    form_pages = np.array([0] + [_FORM_PAGE_INDEX[f] for f in _FORMS[1:]])
    page[np.flatnonzero(has_form), last[has_form]] = form_pages[form_idx[has_form]]
    gaps = rng.lognormal(np.log(40), 0.9, (n, MAX_PAGES)).astype(np.int64)
    gaps[:, 0] = 0
    at = t[:, None] + np.cumsum(gaps, axis=1)
    duration = at[np.arange(n), last] - t + rng.integers(5, 120, n)
    terms = rng.integers(0, len(cat.SEARCH_TERMS), (n, 2))
    n_terms = np.where(np.array(_SOURCES, dtype=object)[source] == "search", 1 + (rng.random(n) < 0.3), 0)
    terms[n_terms < 1, 0] = -1
    terms[n_terms < 2, 1] = -1
    order = np.argsort(t, kind="stable")
    s = Sessions(
        sid,
        t,
        ip,
        ua,
        device,
        source,
        campaign_json,
        referrer_json,
        n_pages,
        page,
        at,
        duration,
        terms,
        contact,
        form_idx,
    )
    return s.take(order)


def _iso(seconds: np.ndarray) -> pa.Array:
    return pc.strftime(pa.array(seconds, type=pa.int64()).cast(pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%SZ")


def _json_list(items: pa.Array, counts: np.ndarray) -> pa.Array:
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), items), ",")
    return pc.binary_join_element_wise("[", joined, "]", "")


def render_lines(s: Sessions, cut_at: int | None = None) -> np.ndarray:
    """One JSON line per session; with ``cut_at``, only what happened before that instant."""
    n = len(s)
    if n == 0:
        return np.empty(0, dtype=object)
    if cut_at is None:
        n_pages = s.n_pages
        duration = s.duration
    else:
        n_pages = np.minimum(s.n_pages, (s.at < cut_at).sum(axis=1))
        duration = np.minimum(s.duration, cut_at - s.start)
    slot = np.arange(MAX_PAGES)[None, :] < n_pages[:, None]
    rows, cols = np.nonzero(slot)
    page_items = pc.binary_join_element_wise(
        '{"path":',
        pa.array(_PAGES_JSON[s.page[rows, cols]], type=pa.string()),
        ',"at":"',
        _iso(s.at[rows, cols]),
        '"}',
        "",
    )
    term_slot = s.terms >= 0
    t_rows, t_cols = np.nonzero(term_slot)
    term_items = pa.array(_TERMS_JSON[s.terms[t_rows, t_cols]], type=pa.string())
    contact = np.where(s.contact >= 0, s.contact.astype(str), "null").astype(object)

    def col(values) -> pa.Array:
        return pa.array(values, type=pa.string())

    line = pc.binary_join_element_wise(
        '{"session_id":"',
        col(s.sid),
        '","started_at":"',
        _iso(s.start),
        '","ip":"',
        col(s.ip),
        '","user_agent":',
        col(s.ua_json),
        ',"device":',
        col(_DEVICES_JSON[s.device]),
        ',"landing_page":',
        col(_PAGES_JSON[s.page[:, 0]]),
        ',"referrer":',
        col(s.referrer_json),
        ',"utm_source":',
        col(_SOURCES_JSON[s.source]),
        ',"utm_medium":',
        col(_MEDIUM_JSON[s.source]),
        ',"utm_campaign":',
        col(s.campaign_json),
        ',"pages":',
        _json_list(page_items, n_pages),
        ',"search_terms":',
        _json_list(term_items, term_slot.sum(axis=1)),
        ',"duration_s":',
        col(duration.astype(str).astype(object)),
        ',"contact_id":',
        col(contact),
        ',"form":',
        col(_FORMS_JSON[s.form]),
        "}",
        "",
    )
    return line.to_numpy(zero_copy_only=False)


def render_day(
    seed: int, day: date, today: Sessions, yesterday: Sessions, dirty: float, corrected: bool = False
) -> str:
    """The JSONL text of ``day``'s file.

    It holds, complete, the sessions of the day before that went on past midnight, then the
    sessions started that day (cut at midnight when they go on). ``corrected`` is the web
    team's re-delivery: the same sessions without the broken lines.
    """
    midnight = day_start(day)
    crossed = yesterday.take(np.flatnonzero(yesterday.start + yesterday.duration >= midnight))
    ongoing = today.start + today.duration >= midnight + DAY
    lines_today = np.where(ongoing, render_lines(today, cut_at=midnight + DAY), render_lines(today))
    lines = np.concatenate([render_lines(crossed), lines_today]) if len(today) else render_lines(crossed)
    rng = _rng(seed, day, "dirty-lines")
    broken = np.flatnonzero(rng.random(len(lines)) < (0 if corrected else dirty / 2))
    garbage = rng.random(len(broken)) < 0.5
    where = rng.random(len(broken))
    for i, is_garbage, w in zip(broken, garbage, where):
        line = lines[i]
        lines[i] = _GARBAGE[int(w * len(_GARBAGE))] if is_garbage else line[: max(1, int(len(line) * w))]
    return "\n".join(lines.tolist()) + ("\n" if len(lines) else "")


_EMPTY = WebDay(np.empty(0, dtype=object), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, object))


def write_days(
    folder: Path,
    seed: int,
    days: list[date],
    known_by_day: dict[date, WebDay],
    anonymous_by_day: dict[date, int],
    pools: Pools,
    dirty: float,
    corrected: frozenset[date] = frozenset(),
) -> list[Path]:
    """Write one file per day (each needs the sessions of the day before, for overlaps)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    cache: dict[date, Sessions] = {}
    ua_json = _json_pool(pools.user_agents)

    def sessions(d: date) -> Sessions:
        if d not in cache:
            cache[d] = day_sessions(seed, d, known_by_day.get(d, _EMPTY), anonymous_by_day.get(d, 0), ua_json)
        return cache[d]

    for day in sorted(days):
        before = day - timedelta(days=1)
        text = render_day(seed, day, sessions(day), sessions(before), dirty, corrected=day in corrected)
        cache.pop(before, None)
        path = folder / f"{day.isoformat()}.jsonl"
        tmp = path.with_suffix(".jsonl.part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a file
        written.append(path)
    return written
