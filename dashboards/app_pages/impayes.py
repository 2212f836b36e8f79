"""Impayés: invoices past due and not fully paid at month end; collection cases."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.compare import total
from dashboards.lib.page import context, monthly_table, provisional_note, secret_note, year_before

ctx = context()
f = ctx.filters
st.title("Impayés")
st.caption(
    f"{f.describe()} · {fmt.label(fmt.DEPARTEMENTS, f.departement)}. Factures échues et non entièrement payées "
    "en fin de mois (le mois en cours s'arrête à la date des données)."
)
data = queries.unpaid(ctx.stamp, f.start, f.end, f.departement)
# The last month whose count of unpaid invoices is published (its amount may still be secret).
latest = data.dropna(subset=["n_invoices_unpaid"]).tail(1)
latest_help = f"Fin {fmt.month_long(latest.month.iloc[0])}." if len(latest) else None
cols = st.columns(4)
cols[0].metric(
    "Factures impayées (dernier mois)",
    fmt.number(latest.n_invoices_unpaid.iloc[0]) if len(latest) else fmt.SECRET,
    help=latest_help,
)
cols[1].metric(
    "Montant restant dû", fmt.euros(latest.amount_unpaid_eur.iloc[0]) if len(latest) else fmt.SECRET, help=latest_help
)
cols[2].metric("Dossiers de recouvrement ouverts", fmt.number(total(data.n_collection_cases_opened)))
cols[3].metric("Montant recouvré", fmt.euros(total(data.amount_recovered_eur)))
left, right = st.columns(2)
before = year_before(queries.unpaid, ctx.stamp, f.start, f.end, f.departement)
left.altair_chart(
    charts.monthly_bars(data, "n_invoices_unpaid", "Factures impayées en fin de mois", previous=before), width="stretch"
)
right.altair_chart(
    charts.monthly_bars(data, "amount_unpaid_eur", "Montant restant dû (€)", previous=before), width="stretch"
)
secret_note(data)
monthly_table(
    data,
    "impayes_par_mois",
    {
        "n_invoices_unpaid": ("Factures impayées", fmt.number),
        "amount_unpaid_eur": ("Montant dû", fmt.euros),
        "n_collection_cases_opened": ("Recouvrements ouverts", fmt.number),
        "n_collection_cases_closed": ("Recouvrements clos", fmt.number),
        "amount_recovered_eur": ("Montant recouvré", fmt.euros),
    },
    mart="mart_unpaid_monthly",
)
provisional_note("mart_unpaid_monthly", "ventilation par département")
