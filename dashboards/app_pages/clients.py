"""Clients: new, active and cumulative totals."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.page import context, monthly_table, secret_note, show_table

MEASURES = {
    "n_new_clients": "Nouveaux clients",
    "n_active_clients": "Clients actifs",
    "n_clients_to_date": "Clients cumulés",
}
# The clients to date are published for December months and the data's last month only.
NOTES = {"n_clients_to_date": fmt.NOT_PUBLISHED}

ctx = context()
f = ctx.filters
st.title("Clients")
st.caption(
    f"{f.describe()} · {fmt.label(fmt.DEPARTEMENTS, f.departement)}. Client : personne ayant au moins une commande "
    "non annulée ; actif : une commande, une installation, un ticket ou une facture dans le mois."
)
data = queries.clients_monthly(ctx.stamp, f.start, f.end, f.departement)
flows = data.melt(
    id_vars="month", value_vars=["n_new_clients", "n_active_clients"], var_name="measure", value_name="n_clients"
)
left, right = st.columns(2)
left.altair_chart(
    charts.monthly_lines(flows, "n_clients", "measure", "Nouveaux clients et clients actifs", MEASURES),
    width="stretch",
)
stock = queries.clients_to_date(ctx.stamp, f.end, f.departement)
right.altair_chart(
    charts.labelled_bars(
        stock.assign(Mois=stock.month.map(fmt.month)), "Mois", "n_clients_to_date", "Clients cumulés en fin de mois"
    ),
    width="stretch",
)
st.caption(
    "Clients cumulés : publiés à fin décembre et pour le dernier mois des données (« non publié » les autres mois) ; "
    "le graphique les montre tous jusqu'à la fin de la période."
)
secret_note(data)
monthly_table(data, "clients_par_mois", {m: (label, fmt.number) for m, label in MEASURES.items()}, NOTES)

st.subheader("Par département, dernier mois de la période")
stock_month = queries.clients_to_date_month(ctx.stamp, f.end)
by_dep = queries.clients_by_departement(ctx.stamp, f.end, stock_month)
stock_label = f"Clients cumulés à fin {fmt.month(stock_month)}" if stock_month else MEASURES["n_clients_to_date"]
st.caption(
    f"Nouveaux clients et clients actifs de {fmt.month_long(f.end)} ; clients cumulés au dernier mois publié "
    f"de la période ({fmt.month_long(stock_month) if stock_month else 'aucun'})."
)
left, right = st.columns([3, 2])
left.vega_lite_chart(
    charts.departement_map(by_dep.rename(columns={"departement": "valeur"}), "n_clients_to_date", stock_label),
    width="stretch",
)
with right:
    labels = MEASURES | {"n_clients_to_date": stock_label}
    table = by_dep.assign(Département=by_dep.departement.map(lambda c: fmt.label(fmt.DEPARTEMENTS, c)))
    table = table.drop(columns=["departement"]).rename(
        columns=labels | {f"{m}_secret": f"{label}_secret" for m, label in labels.items()}
    )
    show_table(
        table[["Département", *labels.values(), *(f"{label}_secret" for label in labels.values())]],
        "clients_par_departement",
        {label: fmt.number for label in labels.values()},
        {stock_label: fmt.NOT_PUBLISHED},
    )
secret_note(by_dep)
