"""Aides et financement: dossiers by scheme and MaPrimeRénov' category, amounts, delays, acceptance."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.page import context, secret_note, show_table, total

ctx = context()
f = ctx.filters
st.title("Aides et financement")
st.caption(
    f"{f.describe()} · dossiers par mois de dépôt. Les ventilations par catégorie de revenus MaPrimeRénov' "
    "ne publient que les cellules d'au moins 11 personnes (données fiscales)."
)
aids = queries.aid_dossiers(ctx.stamp, f.start, f.end)
by_scheme = aids[aids.mpr_income_category == "Tous"]
overall = by_scheme[by_scheme.aid_scheme == "Tous"]
cols = st.columns(4)
cols[0].metric("Dossiers déposés", fmt.number(total(overall.n_dossiers_submitted)))
cols[1].metric("Dossiers accordés", fmt.number(total(overall.n_dossiers_granted)))
cols[2].metric("Montants accordés", fmt.euros(total(overall.granted_eur)))
cols[3].metric(
    "Délai médian de décision",
    fmt.days(overall.median_days_to_decision.median()),
)
st.altair_chart(
    charts.monthly_lines(
        by_scheme[by_scheme.aid_scheme != "Tous"],
        "n_dossiers_submitted",
        "aid_scheme",
        "Dossiers déposés par dispositif",
        fmt.SCHEMES,
    ),
    width="stretch",
)
secret_note(aids, "cellules")


def summary(df, dimension, labels):
    grouped = df.groupby(dimension, as_index=False).agg(
        deposes=("n_dossiers_submitted", "sum"),
        accordes=("n_dossiers_granted", "sum"),
        refuses=("n_dossiers_refused", "sum"),
        verses=("n_dossiers_paid", "sum"),
        demande=("requested_eur", "sum"),
        accorde=("granted_eur", "sum"),
        secret=("is_suppressed", "sum"),
    )
    grouped.insert(0, "Libellé", grouped[dimension].map(lambda c: fmt.label(labels, c)))
    return grouped.drop(columns=[dimension]).rename(
        columns={
            "deposes": "Déposés",
            "accordes": "Accordés",
            "refuses": "Refusés",
            "verses": "Versés",
            "demande": "Montant demandé",
            "accorde": "Montant accordé",
            "secret": "Mois en secret",
        }
    )


money = {"Montant demandé": fmt.euros, "Montant accordé": fmt.euros}
counts = {c: fmt.number for c in ("Déposés", "Accordés", "Refusés", "Versés")}
st.subheader("Par dispositif")
show_table(
    summary(by_scheme[by_scheme.aid_scheme != "Tous"], "aid_scheme", fmt.SCHEMES),
    "aides_par_dispositif",
    counts | money,
)
st.subheader("MaPrimeRénov' par catégorie de revenus")
mpr = aids[(aids.aid_scheme == "maprimerenov") & (aids.mpr_income_category != "Tous")]
show_table(summary(mpr, "mpr_income_category", fmt.MPR_CATEGORIES), "maprimerenov_par_categorie", counts | money)

st.header("Financement")
financing = queries.financing(ctx.stamp, f.start, f.end)
partners = (
    financing[financing.financing_partner != "Tous"]
    .groupby("financing_partner", as_index=False)
    .agg(
        demandes=("n_requests", "sum"),
        acceptees=("n_accepted", "sum"),
        refusees=("n_refused", "sum"),
        montant=("amount_accepted_eur", "sum"),
        secret=("is_suppressed", "sum"),
    )
)
partners["Taux d'acceptation"] = partners.acceptees / (partners.acceptees + partners.refusees).where(lambda s: s > 0)
show_table(
    partners.rename(
        columns={
            "financing_partner": "Partenaire",
            "demandes": "Demandes",
            "acceptees": "Acceptées",
            "refusees": "Refusées",
            "montant": "Montant accepté",
            "secret": "Mois en secret",
        }
    ),
    "financement_par_partenaire",
    {
        "Demandes": fmt.number,
        "Acceptées": fmt.number,
        "Refusées": fmt.number,
        "Montant accepté": fmt.euros,
        "Taux d'acceptation": fmt.percent,
    },
)
all_partners = financing[financing.financing_partner == "Tous"]
st.altair_chart(charts.monthly_bars(all_partners, "n_requests", "Demandes de financement par mois"), width="stretch")
secret_note(financing, "cellules")
