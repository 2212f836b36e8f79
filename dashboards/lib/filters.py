"""The shared filter bar: a period with presets, département, category, channel.

The filters live in the URL (``st.query_params``), so that a view can be shared by copying
the address. Periods are whole months; the reference month is the month of the data
("données au"), not the calendar, so that a stale publication still reads consistently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboards.lib import formatting as fmt
from dashboards.lib.compare import add_months, months_between

PRESETS = ("Mois en cours", "12 derniers mois", "Année en cours", "Année précédente", "Personnalisée")
DEFAULT_PRESET = "12 derniers mois"


@dataclass(frozen=True)
class Filters:
    preset: str
    start: date  # first month (first day)
    end: date  # last month (first day), included
    departement: str = "Tous"
    category: str = "Tous"
    channel: str = "Tous"

    @property
    def months(self) -> int:
        return months_between(self.start, self.end)

    def describe(self) -> str:
        if self.start == self.end:
            return fmt.month_long(self.start)
        return f"{fmt.month(self.start)} – {fmt.month(self.end)}"


@dataclass(frozen=True)
class Comparison:
    """What a period's figures are compared on: its complete months against the same months a
    year before (like with like: never a partial month against whole ones). The running month,
    when the period holds it, is shown apart; ``day`` is how far the data reach into it."""

    start: date | None  # first complete month of the period; None when it holds none
    end: date | None
    running: date | None
    day: int

    @property
    def before(self) -> tuple[date, date]:
        return add_months(self.start, -12), add_months(self.end, -12)

    def describe(self) -> str:
        if self.start is None:
            return "aucun mois complet dans la période"
        months = (
            fmt.month_long(self.start) if self.start == self.end else f"{fmt.month(self.start)} – {fmt.month(self.end)}"
        )
        n = months_between(self.start, self.end)
        return f"{months} ({n} mois complet{'s' if n > 1 else ''}) comparé aux mêmes mois un an avant"


def comparison(filters: Filters, reference: date) -> Comparison:
    """The complete months of ``filters``' period as of the data's day ``reference``."""
    current = date(reference.year, reference.month, 1)
    end = min(filters.end, add_months(current, -1))
    running = current if filters.start <= current <= filters.end else None
    if end < filters.start:
        return Comparison(None, None, running, reference.day)
    return Comparison(filters.start, end, running, reference.day)


def period_for(preset: str, reference: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    current = date(reference.year, reference.month, 1)
    if preset == "Mois en cours":
        return current, current
    if preset == "12 derniers mois":
        return add_months(current, -11), current
    if preset == "Année en cours":
        return date(reference.year, 1, 1), current
    if preset == "Année précédente":
        return date(reference.year - 1, 1, 1), date(reference.year - 1, 12, 1)
    start = date(start.year, start.month, 1) if start else add_months(current, -11)
    end = date(end.year, end.month, 1) if end else current
    return (start, end) if start <= end else (end, start)


def _param(name: str, allowed, default: str) -> str:
    value = st.query_params.get(name, default)
    return value if value in allowed else default


def _parse_month(text: str | None) -> date | None:
    try:
        year, month = (int(x) for x in (text or "").split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        return None


def filter_bar(reference: date, show_dimensions: bool = True) -> Filters:
    """Render the sidebar filters (kept in the URL) and return them."""
    preset = st.sidebar.selectbox(
        "Période", PRESETS, index=PRESETS.index(_param("periode", PRESETS, DEFAULT_PRESET)), key="filter_periode"
    )
    start_default, end_default = period_for(
        preset, reference, _parse_month(st.query_params.get("debut")), _parse_month(st.query_params.get("fin"))
    )
    if preset == "Personnalisée":
        chosen = st.sidebar.date_input(
            "Du … au …", value=(start_default, end_default), format="DD/MM/YYYY", key="filter_dates"
        )
        if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
            start_default, end_default = period_for(preset, reference, chosen[0], chosen[1])
    departement = category = channel = "Tous"
    if show_dimensions:
        departement = st.sidebar.selectbox(
            "Département",
            list(fmt.DEPARTEMENTS),
            index=list(fmt.DEPARTEMENTS).index(_param("dep", fmt.DEPARTEMENTS, "Tous")),
            format_func=lambda c: (
                fmt.DEPARTEMENTS[c] if c in ("Tous", "hors_idf", "inconnu") else f"{c} – {fmt.DEPARTEMENTS[c]}"
            ),
            key="filter_dep",
        )
        category = st.sidebar.selectbox(
            "Catégorie de produit",
            list(fmt.CATEGORIES),
            index=list(fmt.CATEGORIES).index(_param("cat", fmt.CATEGORIES, "Tous")),
            format_func=lambda c: fmt.CATEGORIES[c],
            key="filter_cat",
        )
        channel = st.sidebar.selectbox(
            "Canal d'acquisition",
            list(fmt.CHANNELS),
            index=list(fmt.CHANNELS).index(_param("canal", fmt.CHANNELS, "Tous")),
            format_func=lambda c: fmt.CHANNELS[c],
            key="filter_canal",
        )
    filters = Filters(preset, start_default, end_default, departement, category, channel)
    wanted = {"periode": preset, "dep": departement, "cat": category, "canal": channel}
    if preset == "Personnalisée":
        wanted |= {"debut": start_default.strftime("%Y-%m"), "fin": end_default.strftime("%Y-%m")}
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    for key in ("debut", "fin"):
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    return filters
