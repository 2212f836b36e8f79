"""Entonnoir: the six-stage cohort funnel, its delays, and the web funnel."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.compare import total
from dashboards.lib.page import (
    context,
    final_rows,
    flag,
    paired_rate,
    provisional_note,
    secret_note,
    show_table,
    sums,
    year_before,
)

ctx = context()
f = ctx.filters
st.title("Entonnoir d'acquisition")
st.caption(
    f"Cohortes de premier contact : {f.describe()} · canal {fmt.label(fmt.CHANNELS, f.channel)}. "
    "Chaque étape compte les personnes de la cohorte qui l'ont atteinte au moins une fois."
)

cohorts = queries.funnel_cohorts(ctx.stamp, f.start, f.end, f.channel)
# Rates over closed cohorts only: a provisional cohort's rounded totals make no rate.
closed = final_rows(cohorts, "mart_funnel_cohorts", "cohort_month")
counts = list(queries.STAGE_FIGURES.values())
# Each stage: its published cells added up; its rate, over the cohorts where both the stage and
# the prospects are published (a rate never mixes a stage and a base of different cohorts).
stages = pd.DataFrame(
    {
        "stage": list(queries.STAGE_FIGURES),
        "n_persons": [total(cohorts[c]) for c in counts],
        "Taux": [paired_rate(closed, c, "n_prospects") for c in counts],
    }
)
if stages.n_persons.notna().any():
    stages["Étape"] = stages.stage.map(fmt.STAGES)
    chart = (
        alt.Chart(stages.dropna(subset=["n_persons"]), title="Personnes par étape")
        .mark_bar(color=charts.GREEN)
        .encode(
            y=alt.Y("Étape:N", sort=list(fmt.STAGES.values()), title=None),
            x=alt.X("n_persons:Q", title=None),
            tooltip=["Étape:N", alt.Tooltip("n_persons:Q", format=",.0f"), alt.Tooltip("Taux:Q", format=".1%")],
        )
        .properties(height=260)
    )
    st.altair_chart(chart, width="stretch")
    show_table(
        stages[["Étape", "n_persons", "Taux"]].rename(columns={"n_persons": "Personnes"}),
        "entonnoir_etapes",
        {"Personnes": fmt.number, "Taux": fmt.percent},
    )
    st.caption(
        "Personnes : somme des cohortes publiées. Taux : personnes de l'étape / prospects, sur les cohortes où "
        "les deux sont publiés."
    )
else:
    st.info("Toutes les cohortes de la période sont en secret statistique.")
secret_note(cohorts, figures=counts)

st.subheader("Conversion par cohorte")
provisional_note("mart_funnel_cohorts", "ventilation par canal")
rates = pd.DataFrame({"Cohorte": cohorts.cohort_month.map(fmt.month), "Prospects": cohorts.n_prospects})
rates["Prospects_secret"] = cohorts[flag("n_prospects")]
no_prospect = cohorts.n_prospects.fillna(-1).eq(0).to_numpy(dtype=bool)
# A provisional cohort publishes rounded totals, which make no rate: it reads "non publié".
open_cohort = ~cohorts.index.isin(closed.index)
for stage, column in list(queries.STAGE_FIGURES.items())[1:]:
    # A rate where the stage and the prospects are both published; '–' for a cohort of no one.
    both = (cohorts[column].notna() & cohorts.n_prospects.notna()).to_numpy(dtype=bool)
    rate = cohorts[column].astype("Float64") / cohorts.n_prospects.astype("Float64")
    values = rate.astype(object)
    values[~both] = fmt.SECRET
    values[both & no_prospect] = fmt.NO_VALUE
    values[open_cohort] = fmt.NOT_PUBLISHED
    rates[fmt.STAGES[stage]] = values
stage_labels = [fmt.STAGES[s] for s in list(queries.STAGE_FIGURES)[1:]]
show_table(
    rates,
    "conversion_par_cohorte",
    {"Prospects": fmt.number} | {label: fmt.percent for label in stage_labels},
)

signature = cohorts.median_days_to_signature.median()
installation = cohorts.median_days_signature_to_installation.median()
left, right = st.columns(2)
left.metric("Délai médian premier contact → signature", fmt.days(signature))
right.metric("Délai médian signature → installation", fmt.days(installation))
st.caption("Médiane des médianes mensuelles des cohortes publiées.")

st.header("Entonnoir web")
provisional_note("mart_web_funnel_monthly", "ventilation par source ou appareil")
daily = queries.web_funnel_daily(ctx.stamp, f.start, f.end)
left, right = st.columns(2)
left.altair_chart(charts.monthly_bars(daily, "n_sessions", "Sessions par jour", month="session_date"), width="stretch")
right.altair_chart(
    charts.monthly_bars(daily, "n_sessions_with_form", "Sessions avec formulaire", month="session_date"),
    width="stretch",
)
secret_note(daily, counted="sessions")
monthly = queries.web_sessions_monthly(ctx.stamp, f.start, f.end)
st.altair_chart(
    charts.monthly_bars(
        monthly,
        "n_sessions",
        "Sessions par mois, et un an avant",
        previous=year_before(queries.web_sessions_monthly, ctx.stamp, f.start, f.end),
    ),
    width="stretch",
)
st.caption(
    "Un an avant (N-1) : les mois clos sont figés et restent publiés après la purge des journaux de navigation "
    "(13 mois) ; la courbe commence au premier mois publié."
)
for dimension, title, names in (("source", "Par source", fmt.WEB_SOURCES), ("appareil", "Par appareil", fmt.DEVICES)):
    st.subheader(title)
    data = queries.web_funnel_by(ctx.stamp, f.start, f.end, dimension)
    figures = list(fmt.WEB_FIGURES)
    wide = sums(data, "valeur", figures, secret=None)
    wide["valeur"] = [fmt.label(names, code) for code in wide.valeur]
    label = dimension.capitalize()
    show_table(
        wide.rename(columns={"valeur": label, **fmt.WEB_FIGURES})[[label, *fmt.WEB_FIGURES.values()]],
        f"web_par_{dimension}",
        {c: fmt.number for c in fmt.WEB_FIGURES.values()},
    )
    secret_note(data, counted="sessions")
    if dimension == "source":
        st.caption(
            "Simulation, Devis, Contact, Rendez-vous : sessions dont le formulaire envoyé est de ce type. Autre "
            "source : lien dont la source de campagne (utm_source) n'est pas une des sources déclarées ; elle est "
            "comptée, jamais publiée telle quelle."
        )
