"""Clients: new, active and cumulative totals."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.page import context, secret_note, show_table

MEASURES = {
    "nouveaux_clients": "Nouveaux clients",
    "clients_actifs": "Clients actifs",
    "clients_cumules": "Clients cumulés",
}

ctx = context()
f = ctx.filters
st.title("Clients")
st.caption(
    f"{f.describe()} · {fmt.label(fmt.DEPARTEMENTS, f.departement)}. Client : personne ayant au moins une commande "
    "non annulée ; actif : une commande, une installation, un ticket ou une facture dans le mois."
)
data = queries.clients_monthly(ctx.stamp, f.start, f.end, f.departement)
left, right = st.columns(2)
left.altair_chart(
    charts.monthly_lines(
        data[data.measure != "clients_cumules"], "n_persons", "measure", "Nouveaux clients et clients actifs", MEASURES
    ),
    width="stretch",
)
right.altair_chart(
    charts.monthly_bars(data[data.measure == "clients_cumules"], "n_persons", "Clients cumulés"), width="stretch"
)
secret_note(data, "cellules")

wide = data.pivot_table(
    index="month", columns="measure", values="n_persons", aggfunc="first", dropna=False
).reset_index()
wide["Mois"] = wide.month.map(fmt.month)
columns = ["Mois"] + [m for m in MEASURES if m in wide.columns]
show_table(wide[columns].rename(columns=MEASURES), "clients_par_mois", {v: fmt.number for v in MEASURES.values()})

st.subheader("Par département, dernier mois de la période")
by_dep = queries.clients_by_departement(ctx.stamp, f.end)
cumul = by_dep[by_dep.measure == "clients_cumules"].rename(columns={"departement": "valeur"})
left, right = st.columns([3, 2])
left.vega_lite_chart(charts.departement_map(cumul, "n_persons", "Clients cumulés"), width="stretch")
with right:
    table = by_dep.pivot_table(
        index="departement", columns="measure", values="n_persons", aggfunc="first", dropna=False
    ).reset_index()
    table["Département"] = table.departement.map(lambda c: fmt.label(fmt.DEPARTEMENTS, c))
    show_table(
        table[["Département"] + [m for m in MEASURES if m in table.columns]].rename(columns=MEASURES),
        "clients_par_departement",
        {v: fmt.number for v in MEASURES.values()},
    )
