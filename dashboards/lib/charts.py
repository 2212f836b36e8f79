"""Charts (Altair): monthly series, breakdowns and the map of Île-de-France départements."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import altair as alt
import pandas as pd

from dashboards.lib import formatting as fmt

GEOJSON = Path(__file__).resolve().parent.parent / "assets" / "departements-ile-de-france.geojson"
GREEN = "#2e7d32"
GREY = "#8d8d8d"
# French number labels on axes (Vega's own locales would be fetched from the network).
FRENCH_NUMBERS = "replace(replace(format(datum.value, ',.0f'), /,/g, '\u00a0'), /\\./g, ',')"


def _value_axis() -> alt.Axis:
    return alt.Axis(title=None, labelExpr=FRENCH_NUMBERS)


MONTH = "Mois"


def _month_axis() -> alt.Axis:
    return alt.Axis(title=None, labelAngle=0, labelOverlap=True)


def _with_month_labels(data: pd.DataFrame, month: str, label=fmt.month) -> pd.DataFrame:
    """The rows with their month as a French label ("déc. 2026"): months are drawn as ordered
    labels, not as instants on a time axis (whose ticks fall on boundaries and time zones,
    labelling December's bar "01/2027")."""
    return data.assign(**{MONTH: [label(d) for d in pd.to_datetime(data[month])]})


def _month_order(*frames: pd.DataFrame, month: str, label=fmt.month) -> list[str]:
    months = sorted({d for df in frames for d in pd.to_datetime(df[month]) if not pd.isna(d)})
    return list(dict.fromkeys(label(d) for d in months))


def _month_x(order: list[str]) -> alt.X:
    """Every month of the period on the axis, a secret one too (an empty place, never a zero)."""
    return alt.X(f"{MONTH}:O", sort=order, scale=alt.Scale(domain=order), axis=_month_axis())


def monthly_bars(
    df: pd.DataFrame, value: str, title: str, month: str = "month", previous: pd.DataFrame | None = None
) -> alt.Chart:
    """Bars by month; suppressed months are drawn as empty (never as zero). With ``previous``
    (the same months a year before, already moved onto this year's: ``page.year_before``), a
    line "N-1" over the bars, broken where a month is secret or not published."""
    data = df[[month, value]].copy()
    data[month] = pd.to_datetime(data[month])
    data = _with_month_labels(data, month)
    before = None
    if previous is not None and not previous.empty:
        before = _with_month_labels(previous[[month, value]].assign(**{month: pd.to_datetime(previous[month])}), month)
    order = _month_order(data, *([before] if before is not None else []), month=month)
    bars = (
        alt.Chart(data.dropna(subset=[value]).assign(Série="N"), title=title)
        .mark_bar()
        .encode(
            x=_month_x(order),
            y=alt.Y(f"{value}:Q", axis=_value_axis()),
            color=alt.Color("Série:N", scale=alt.Scale(domain=["N", "N-1"], range=[GREEN, GREY]), legend=None),
            tooltip=[
                alt.Tooltip(f"{MONTH}:N", title="Mois"),
                alt.Tooltip(f"{value}:Q", title=title, format=",.0f"),
            ],
        )
        .properties(height=260)
    )
    if before is None:
        return bars
    line = (
        alt.Chart(before.assign(Série="N-1"))
        .mark_line(point=True, strokeDash=[4, 3], invalid="break-paths-show-domains")
        .encode(
            x=_month_x(order),
            y=alt.Y(f"{value}:Q"),
            color=alt.Color(
                "Série:N",
                scale=alt.Scale(domain=["N", "N-1"], range=[GREEN, GREY]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=[
                alt.Tooltip(f"{MONTH}:N", title="Mois (N)"),
                alt.Tooltip(f"{value}:Q", title="Un an avant", format=",.0f"),
            ],
        )
    )
    return alt.layer(bars, line).properties(height=260)


def monthly_lines(
    df: pd.DataFrame,
    value: str,
    series: str,
    title: str,
    labels: dict[str, str],
    month: str = "month",
    period=fmt.month,
) -> alt.Chart:
    """Lines by period (months, or quarters with ``period=fmt.quarter``), one per series."""
    data = _with_month_labels(df[[month, series, value]].copy(), month, period)
    data[month] = pd.to_datetime(data[month])
    data["Série"] = data[series].map(lambda c: labels.get(c, c))
    # A secret month stays in the data as NULL: the line breaks there, never drawn as a zero.
    return (
        alt.Chart(data, title=title)
        .mark_line(point=True, invalid="break-paths-show-domains")
        .encode(
            x=_month_x(_month_order(data, month=month, label=period)),
            y=alt.Y(f"{value}:Q", axis=_value_axis()),
            color=alt.Color("Série:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=[
                "Série:N",
                alt.Tooltip(f"{MONTH}:N", title="Trimestre" if period is fmt.quarter else "Mois"),
                alt.Tooltip(f"{value}:Q", format=",.1f"),
            ],
        )
        .properties(height=280)
    )


def labelled_bars(df: pd.DataFrame, category: str, value: str, title: str) -> alt.Chart:
    """Vertical bars of a few periods named by ``category`` (in the frame's order), for a series
    published at some periods only; a secret period is drawn as empty (never as zero)."""
    return (
        alt.Chart(df[[category, value]].dropna(subset=[value]), title=title)
        .mark_bar(color=GREEN)
        .encode(
            x=alt.X(f"{category}:N", sort=list(df[category]), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{value}:Q", axis=_value_axis()),
            tooltip=[f"{category}:N", alt.Tooltip(f"{value}:Q", title=title, format=",.0f")],
        )
        .properties(height=260)
    )


def horizontal_bars(df: pd.DataFrame, category: str, value: str, title: str) -> alt.Chart:
    return (
        alt.Chart(df.dropna(subset=[value]), title=title)
        .mark_bar(color=GREEN)
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", axis=_value_axis()),
            tooltip=[f"{category}:N", alt.Tooltip(f"{value}:Q", format=",.0f")],
        )
        .properties(height=max(120, 28 * len(df)))
    )


@cache
def _features() -> list[dict]:
    return json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]


def departement_map(df: pd.DataFrame, value: str, title: str) -> dict:
    """Choropleth of the eight départements (a Vega-Lite spec for ``st.vega_lite_chart``);
    a département in secret statistique is grey.

    Written as a plain spec rather than through Altair: validating a spec that embeds the
    départements' outlines costs Altair a quarter of a second at every rerun.
    """
    values = {row["valeur"]: row[value] for _, row in df.iterrows()}
    features = []
    for feature in _features():
        code = feature["properties"]["code"]
        shown = values.get(code)
        missing = shown is None or pd.isna(shown)
        features.append(
            {
                **feature,
                "properties": {
                    **feature["properties"],
                    "valeur": None if missing else float(shown),
                    "texte": fmt.SECRET if missing else fmt.number(shown),
                },
            }
        )
    return {
        "title": title,
        "height": 380,
        "data": {"values": features},
        "projection": {"type": "mercator"},
        "mark": {"type": "geoshape", "stroke": "white", "strokeWidth": 1},
        "encoding": {
            "color": {
                "field": "properties.valeur",
                "type": "quantitative",
                "title": None,
                "scale": {"scheme": "greens"},
            },
            "tooltip": [
                {"field": "properties.nom", "type": "nominal", "title": "Département"},
                {"field": "properties.texte", "type": "nominal", "title": title},
            ],
        },
    }
