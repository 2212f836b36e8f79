"""Clients: new and active clients, and the clients gained since the history began."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.page import context, monthly_table, provisional_note, secret_note, show_table

MEASURES = {
    "n_new_clients": "Nouveaux clients",
    "n_active_clients": "Clients actifs",
}
MART = "mart_clients_monthly"

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
gained = queries.clients_gained(ctx.stamp, f.end, f.departement)
if not gained.empty:
    right.altair_chart(
        charts.monthly_lines(
            gained.assign(serie="gained"), "gained", "serie", "Clients gagnés depuis le début", {"gained": "Cumul"}
        ),
        width="stretch",
    )
    first = fmt.month(gained.month.iloc[0])
    left_out = int(gained.months_left_out.iloc[-1])
    st.caption(
        f"Clients gagnés : somme des nouveaux clients publiés depuis {first}, mois clos figés "
        "(une personne effacée depuis reste comptée dans le mois où elle est devenue cliente)"
        + (
            f" ; {left_out} mois en secret statistique ou non publiés n'y sont pas : le cumul est un minimum."
            if left_out
            else "."
        )
    )
secret_note(data)
monthly_table(data, "clients_par_mois", {m: (label, fmt.number) for m, label in MEASURES.items()}, mart=MART)
provisional_note(MART, "ventilation par département")

st.subheader("Par département, dernier mois de la période")
by_dep = queries.clients_by_departement(ctx.stamp, f.end)
st.caption(f"Nouveaux clients et clients actifs de {fmt.month_long(f.end)}.")
if by_dep.empty:
    st.info(
        f"{fmt.month_long(f.end).capitalize()} est provisoire : sa ventilation par département paraîtra à sa clôture."
    )
else:
    left, right = st.columns([3, 2])
    left.vega_lite_chart(
        charts.departement_map(
            by_dep.rename(columns={"departement": "valeur"}), "n_new_clients", MEASURES["n_new_clients"]
        ),
        width="stretch",
    )
    with right:
        table = by_dep.assign(Département=by_dep.departement.map(lambda c: fmt.label(fmt.DEPARTEMENTS, c)))
        table = table.drop(columns=["departement"]).rename(
            columns=MEASURES | {f"{m}_secret": f"{label}_secret" for m, label in MEASURES.items()}
        )
        show_table(
            table[["Département", *MEASURES.values(), *(f"{label}_secret" for label in MEASURES.values())]],
            "clients_par_departement",
            {label: fmt.number for label in MEASURES.values()},
        )
    secret_note(by_dep)
