"""What every page gets from the router, and the widgets pages share (tables, CSV, tiles)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from dashboards.lib import formatting as fmt
from dashboards.lib.compare import LikeForLike, months_of
from dashboards.lib.filters import Comparison, Filters, comparison
from dashboards.lib.queries import Stamp


@dataclass(frozen=True)
class PageContext:
    stamp: Stamp
    filters: Filters
    publication: dict
    data_day: date  # the data's day, in Paris: the running month is its month

    @property
    def comparison(self) -> Comparison:
        return comparison(self.filters, self.data_day)


def context() -> PageContext:
    """Set by ``streamlit_app.py`` before the page runs."""
    return st.session_state["mgreen_context"]


def download_csv(df: pd.DataFrame, name: str) -> None:
    """The table as shown, for Excel in French (semicolons, decimal commas, UTF-8 with BOM)."""
    data = df.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
    st.download_button("Exporter en CSV", data, file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}")


SECRET_SUFFIX = "_secret"


def flag(column: str) -> str:
    """The flag of a published figure: ``x_secret`` is true where ``x`` is secret (and NULL)."""
    return column + SECRET_SUFFIX


def figures_of(df: pd.DataFrame) -> list[str]:
    """The figures of a mart's rows that carry their secret flag."""
    return [c for c in df.columns if not c.endswith(SECRET_SUFFIX) and flag(c) in df.columns]


def secret_cells(df: pd.DataFrame, figures: list[str] | None = None) -> int:
    """How many cells are secret: one per figure and row whose ``<figure>_secret`` is set."""
    return sum(int(df[flag(c)].astype(bool).sum()) for c in (figures or figures_of(df)) if flag(c) in df.columns)


def secret_share(df: pd.DataFrame, figure: str) -> float | None:
    """The share of ``figure``'s cells in ``df`` that are secret (None for no cell)."""
    if df.empty:
        return None
    return float(df[flag(figure)].astype(bool).mean())


def level_to_show(hidden: dict[str, float | None]) -> str:
    """Of levels from the finest to the coarsest, each with the share of its cells that are
    secret, the one a page opens on: the finest, unless most of it is hidden and a coarser level
    hides less (then the coarser that hides least)."""
    finest, *coarser = hidden
    shown = {level: share for level, share in hidden.items() if share is not None}
    if finest not in shown or shown[finest] <= 0.5:
        return finest
    best = min((level for level in coarser if level in shown), key=shown.get, default=None)
    return best if best is not None and shown[best] < shown[finest] else finest


def choose_level(
    label: str, key: str, hidden: dict[str, float | None], lead: str, why_coarser: str, per: str = ""
) -> str:
    """A choice of levels, from the finest to the coarsest, each with the share of its cells
    that are secret: opened on ``level_to_show``, captioned with each level's share (``lead``,
    then "<share> <per><level in lower case>"), and ``why_coarser`` when it opens on a coarser
    one. Returns the level the reader chose."""
    opened = level_to_show(hidden)
    level = st.radio(label, list(hidden), index=list(hidden).index(opened), horizontal=True, key=key)
    st.caption(
        f"{lead} : "
        + " ; ".join(f"{fmt.percent(share)} {per}{name.lower()}" for name, share in hidden.items() if share is not None)
        + (f". {why_coarser}" if opened != next(iter(hidden)) else ".")
    )
    return level


def with_notes(df: pd.DataFrame, notes: dict[str, str] | None = None) -> pd.DataFrame:
    """The figures with their flags read: a secret cell reads 'secret statistique' (whatever its
    value), a NULL cell without its flag reads its note (``notes[column]``, by default
    ``fmt.NO_VALUE``: a rate or a median over no one); the flag columns are dropped."""
    out = df.copy()
    for column in figures_of(df):
        secret = df[flag(column)].astype(bool)
        missing = df[column].isna() & ~secret
        if secret.any() or missing.any():
            values = df[column].astype(object)
            values[secret] = fmt.SECRET
            values[missing] = (notes or {}).get(column, fmt.NO_VALUE)
            out[column] = values
    return out.drop(columns=[c for c in df.columns if c.endswith(SECRET_SUFFIX)])


def show_table(
    df: pd.DataFrame, name: str, formats: dict[str, callable] | None = None, notes: dict[str, str] | None = None
) -> None:
    """A table with French formats and its CSV. A column ``x`` with its flag ``x_secret`` in
    ``df`` reads 'secret statistique' where the flag is set and its note where it is NULL
    without the flag (``with_notes``); a column without a flag (a sum over a period, made by
    the page) reads 'secret statistique' where it is NULL: every cell it adds up was secret."""
    shown = with_notes(df, notes)
    for column, formatter in (formats or {}).items():
        if column in shown.columns:
            shown[column] = shown[column].map(formatter).astype(str)
    st.dataframe(shown, hide_index=True, width="stretch")
    download_csv(shown, name)


# The mart broken down by income category, whose threshold is income_k.
INCOME_MART = "mart_aid_dossiers_quarterly"


def provisional(mart: str) -> pd.DataFrame:
    """The mart's provisional periods (period, closes_on) in the current publication."""
    from dashboards.lib.queries import provisional_periods

    return provisional_periods(context().stamp, mart)


def final_rows(df: pd.DataFrame, mart: str, month: str = "month") -> pd.DataFrame:
    """The rows of ``df`` whose period has closed: a provisional period publishes rounded totals,
    which make no rate (two counts rounded to 0 would give an NPS of 0, say)."""
    periods = provisional(mart)
    if periods.empty or df.empty:
        return df
    still_open = set(months_of(periods, "period"))
    return df[[m not in still_open for m in months_of(df, month)]]


def provisional_note(mart: str, what: str = "ventilations") -> None:
    """Which periods shown are provisional, what they publish, and when they become final."""
    periods = provisional(mart)
    if periods.empty:
        return
    listed = ", ".join(fmt.month(p) for p in periods.period)
    first = periods.iloc[0]
    k = int(context().publication["min_cell_size"])
    step = 2 * (income_k(context().publication) if mart == INCOME_MART else k)
    st.caption(
        f"Provisoire : {listed}. Tant qu'une période n'est pas close, seul son total est publié (sans {what}), "
        f"les nombres arrondis à {step} près et les montants à 10 000 € près, sans taux ni médiane ; "
        f"il devient définitif à sa clôture ({fmt.month(first.period)} le {fmt.day(first.closes_on)}) "
        "et ne change plus ensuite."
    )


def monthly_table(
    df: pd.DataFrame,
    name: str,
    columns: dict[str, tuple[str, callable]],
    notes: dict[str, str] | None = None,
    month: str = "month",
    mart: str | None = None,
) -> None:
    """``show_table`` of a monthly mart: 'Mois', then each column under its French label and
    with its formatter (``{column: (label, formatter)}``, in display order); flags and notes
    follow their column. With ``mart``, its provisional months read "(provisoire)" and a figure
    they do not publish reads "non publié"."""
    labels = {column: label for column, (label, _) in columns.items()}
    flags = [flag(c) for c in columns if flag(c) in df.columns]
    months = df[month].map(fmt.month)
    if mart is not None:
        open_ = set(pd.to_datetime(provisional(mart).period).dt.date)
        is_open = pd.to_datetime(df[month]).dt.date.isin(open_)
        months = months.where(~is_open, months + f" ({fmt.PROVISIONAL})")
        df = df.copy()
        for column in columns:
            if column in df.columns and flag(column) in df.columns:
                hidden = is_open & df[column].isna() & ~df[flag(column)].astype(bool)
                if hidden.any():
                    df[column] = df[column].astype(object).where(~hidden, fmt.NOT_PUBLISHED)
    table = df.assign(Mois=months)[["Mois", *columns, *flags]]
    table = table.rename(columns=labels | {flag(c): flag(label) for c, label in labels.items()})
    show_table(
        table,
        name,
        {label: formatter for label, formatter in columns.values()},
        {labels[c]: note for c, note in (notes or {}).items() if c in labels},
    )


def sums(df: pd.DataFrame, by: str, figures: list[str], secret: str | None = "Cellules en secret") -> pd.DataFrame:
    """Totals over a period by one dimension: each figure's published cells added up (NULL where
    every cell is secret), and, as ``secret``, how many of the cells added up were secret."""
    flags = [flag(c) for c in figures if flag(c) in df.columns]
    data = df.assign(_secret=df[flags].astype(int).sum(axis=1) if flags else 0)
    out = data.groupby(by, as_index=False, sort=False)[[*figures, "_secret"]].sum(min_count=1)
    return out.rename(columns={"_secret": secret}) if secret else out.drop(columns=["_secret"])


def paired_rate(df: pd.DataFrame, part: str, whole: str, nothing: float | str | None = None):
    """``part / whole`` added up over the rows where both are published (never a part without its
    whole); None where no row has both (all secret), ``nothing`` where the wholes add up to 0
    (a note such as ``fmt.NO_VALUE`` in a table)."""
    rows = df[df[part].notna() & df[whole].notna()]
    if rows.empty:
        return None
    denominator = float(rows[whole].sum())
    return nothing if denominator == 0 else float(rows[part].sum()) / denominator


def income_k(publication: dict) -> int:
    """The threshold of the breakdowns by income category (fiscal data): at least 11."""
    return max(11, int(publication["min_cell_size"]))


def partial(df: pd.DataFrame, column: str) -> str | None:
    """What a total over ``df`` leaves out: None when no cell is secret, otherwise how many
    months are left out. No bound is given: a cell hidden to protect another (secondary
    suppression) may hold any value, and a count of dossiers rests on persons, not dossiers."""
    n = int(df[flag(column)].astype(bool).sum()) if flag(column) in df.columns else 0
    return f"partiel : {n} mois en secret statistique non comptés" if n else None


def secret_note(
    df: pd.DataFrame,
    what: str = "cellules",
    counted: str = "personnes",
    figures: list[str] | None = None,
    k: int | None = None,
) -> None:
    """How many cells are secret (one per figure, from the ``<figure>_secret`` flags), and why;
    web marts count sessions, the others persons; ``k`` is the publication's unless given."""
    n = secret_cells(df, figures)
    if n:
        k = k or context().publication["min_cell_size"]
        st.caption(
            f"{n} {what} en secret statistique (moins de {k} {counted}) : "
            "les totaux n'incluent que les cellules publiées."
        )


def orders_dimensions(filters: Filters) -> tuple[str, str, str]:
    """(département, catégorie, canal) as mart_orders_monthly can serve them: it publishes one
    dimension at a time (the two others 'Tous'). When several are filtered, the first of
    département, catégorie, canal is kept, the others read 'Tous', and a warning says so."""
    chosen = {
        "département": (filters.departement, fmt.label(fmt.DEPARTEMENTS, filters.departement)),
        "catégorie": (filters.category, fmt.label(fmt.CATEGORIES, filters.category)),
        "canal": (filters.channel, fmt.label(fmt.CHANNELS, filters.channel)),
    }
    filtered = [name for name, (code, _) in chosen.items() if code != "Tous"]
    if len(filtered) <= 1:
        return filters.departement, filters.category, filters.channel
    kept = filtered[0]
    st.warning(
        "Les commandes ne sont publiées que par une dimension à la fois (département, catégorie ou canal) : "
        f"seul le filtre {kept} ({chosen[kept][1]}) s'applique aux commandes, "
        f"pas {' ni '.join(f'le filtre {name}' for name in filtered[1:])}."
    )
    values = {name: (code if name == kept else "Tous") for name, (code, _) in chosen.items()}
    return values["département"], values["catégorie"], values["canal"]


def tile(
    column,
    label: str,
    figure: LikeForLike,
    formatter,
    trend: list | None = None,
    inverse: bool = False,
    value: float | None = None,
) -> None:
    """A KPI over the period's complete months (``value`` overrides the figure's own), its change
    against the same months a year before (N-1), and a small trend."""
    change = figure.change
    delta = None if change is None else f"{fmt.percent(change)} vs N-1"
    if change is None:
        help_text = "Pas de comparaison : aucun mois publié les deux années."
    else:
        help_text = f"Variation sur {figure.months} mois publiés les deux années : {formatter(figure.now)} contre {formatter(figure.before)} un an avant (N-1)."
        if figure.months < figure.of:
            help_text += f" {figure.of - figure.months} mois de la période sont laissés hors de la comparaison (secret ou non publié)."
    column.metric(
        label,
        formatter(figure.value if value is None else value),
        delta=delta,
        delta_color="inverse" if inverse else "normal",
        help=help_text,
        chart_data=[v for v in (trend or []) if v is not None and not pd.isna(v)] or None,
        chart_type="area",
        border=True,
    )


def year_before(query, stamp, start, end, *args, month: str = "month") -> pd.DataFrame:
    """``query(stamp, start, end, *args)`` over the same months a year before, moved onto this
    year's (the N-1 series of a chart). A month not published then (before the history began,
    or secret) is NULL or absent: the line breaks there, it is never drawn as zero."""
    back = pd.DateOffset(years=1)
    data = query(stamp, (pd.Timestamp(start) - back).date(), (pd.Timestamp(end) - back).date(), *args)
    if data.empty:
        return data
    moved = pd.to_datetime(data[month]) + pd.DateOffset(years=1)
    return data.assign(**{month: moved.dt.date})
