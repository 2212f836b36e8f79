"""What every page gets from the router, and the widgets pages share (tables, CSV, tiles)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboards.lib import formatting as fmt
from dashboards.lib.filters import Filters
from dashboards.lib.queries import Stamp


@dataclass(frozen=True)
class PageContext:
    stamp: Stamp
    filters: Filters
    publication: dict


def context() -> PageContext:
    """Set by ``streamlit_app.py`` before the page runs."""
    return st.session_state["mgreen_context"]


def download_csv(df: pd.DataFrame, name: str) -> None:
    """The table as shown, for Excel in French (semicolons, decimal commas, UTF-8 with BOM)."""
    data = df.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
    st.download_button("Exporter en CSV", data, file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}")


def show_table(df: pd.DataFrame, name: str, formats: dict[str, callable] | None = None) -> None:
    """A table with French formats, suppressed cells written 'secret statistique', and its CSV."""
    shown = df.copy()
    for column, formatter in (formats or {}).items():
        if column in shown.columns:
            shown[column] = shown[column].map(formatter).astype(str)
    st.dataframe(shown, hide_index=True, width="stretch")
    download_csv(shown, name)


def monthly_table(df: pd.DataFrame, name: str, columns: dict[str, tuple[str, callable]]) -> None:
    """``show_table`` of a monthly mart: 'Mois', then each column under its French label and
    with its formatter (``{column: (label, formatter)}``, in display order)."""
    table = df.assign(Mois=df.month.map(fmt.month))[["Mois", *columns]]
    table = table.rename(columns={column: label for column, (label, _) in columns.items()})
    show_table(table, name, {label: formatter for label, formatter in columns.values()})


def total(series: pd.Series) -> float | None:
    """Sum of the published cells; None when every cell is secret."""
    values = series.dropna()
    return None if values.empty else float(values.sum())


def secret_note(df: pd.DataFrame, what: str = "mois", counted: str = "personnes") -> None:
    """How many cells are secret, and why; web marts count sessions, the others persons."""
    if "is_suppressed" in df.columns and df["is_suppressed"].any():
        n = int(df["is_suppressed"].sum())
        st.caption(
            f"{n} {what} en secret statistique (moins de {context().publication['min_cell_size']} {counted}) : "
            "les totaux n'incluent que les cellules publiées."
        )


def tile(
    column,
    label: str,
    value: float | None,
    previous: float | None,
    formatter,
    trend: list | None = None,
    inverse: bool = False,
) -> None:
    """A KPI with its change against the previous period and a small trend."""
    delta = None
    if value is not None and previous not in (None, 0):
        delta = fmt.percent((value - previous) / abs(previous))
    column.metric(
        label,
        formatter(value),
        delta=delta,
        delta_color="inverse" if inverse else "normal",
        chart_data=[v for v in (trend or []) if v is not None and not pd.isna(v)] or None,
        chart_type="area",
        border=True,
    )
