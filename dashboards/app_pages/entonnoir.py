"""Entonnoir: the six-stage cohort funnel, its delays, and the web funnel."""

import altair as alt
import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.page import context, secret_note, show_table

ctx = context()
f = ctx.filters
st.title("Entonnoir d'acquisition")
st.caption(
    f"Cohortes de premier contact : {f.describe()} · canal {fmt.label(fmt.CHANNELS, f.channel)}. "
    "Chaque étape compte les personnes de la cohorte qui l'ont atteinte au moins une fois."
)

cohorts = queries.funnel_cohorts(ctx.stamp, f.start, f.end, f.channel)
published = cohorts[~cohorts.is_suppressed]
# Aggregate over the cohorts whose prospects are published, so that every stage shares a base.
base = published[published.stage == "prospect"].cohort_month
stages = (
    published[published.cohort_month.isin(base)]
    .groupby(["stage_position", "stage"], as_index=False)["n_persons"]
    .sum()
    .sort_values("stage_position")
)
if not stages.empty:
    prospects = float(stages.iloc[0].n_persons)
    stages["Étape"] = stages.stage.map(fmt.STAGES)
    stages["Taux"] = stages.n_persons / prospects
    chart = (
        alt.Chart(stages, title="Personnes par étape")
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
else:
    st.info("Toutes les cohortes de la période sont en secret statistique.")
secret_note(cohorts, "cellules")

st.subheader("Conversion par cohorte")
rates = cohorts.pivot_table(
    index="cohort_month", columns="stage", values="conversion_rate", aggfunc="first", dropna=False
).reset_index()
rates["Cohorte"] = rates.cohort_month.map(fmt.month)
order = [s for s in fmt.STAGES if s in rates.columns]
show_table(
    rates[["Cohorte"] + order].rename(columns=fmt.STAGES),
    "conversion_par_cohorte",
    {fmt.STAGES[s]: fmt.percent for s in order},
)

delays = cohorts[cohorts.stage.isin(["devis_signe", "installe"])]
signature = delays[delays.stage == "devis_signe"].median_days_since_first_contact.median()
installation = delays[delays.stage == "installe"].median_days_since_signature.median()
left, right = st.columns(2)
left.metric("Délai médian premier contact → signature", fmt.days(signature))
right.metric("Délai médian signature → installation", fmt.days(installation))
st.caption("Médiane des médianes mensuelles des cohortes publiées.")

st.header("Entonnoir web")
daily = queries.web_funnel_daily(ctx.stamp, f.start, f.end)
sessions = daily[daily.step == "sessions"]
forms = daily[daily.step == "avec_formulaire"]
left, right = st.columns(2)
left.altair_chart(
    charts.monthly_bars(sessions, "n_sessions", "Sessions par jour", month="session_date"), width="stretch"
)
right.altair_chart(
    charts.monthly_bars(forms, "n_sessions", "Sessions avec formulaire", month="session_date"), width="stretch"
)
secret_note(daily, "cellules", counted="sessions")
for dimension, title, names in (("source", "Par source", fmt.WEB_SOURCES), ("appareil", "Par appareil", fmt.DEVICES)):
    st.subheader(title)
    data = queries.web_funnel_by_source(ctx.stamp, f.start, f.end, dimension)
    wide = data.pivot_table(index="valeur", columns="step", values="n_sessions", aggfunc="first").reset_index()
    wide["valeur"] = [fmt.label(names, code) for code in wide.valeur]
    steps = [fmt.WEB_STEPS[c] for c in fmt.WEB_STEPS if c in wide.columns]
    show_table(
        wide.rename(columns={"valeur": dimension.capitalize(), **fmt.WEB_STEPS})[[dimension.capitalize(), *steps]],
        f"web_par_{dimension}",
        {c: fmt.number for c in steps},
    )
    if dimension == "source":
        st.caption(
            "Autre source : lien dont la source de campagne (utm_source) n'est pas une des sources déclarées ; "
            "elle est comptée, jamais publiée telle quelle."
        )
