"""Conformité (DPO): the privacy guard's results per run, publications, erasures and purges, k."""

import streamlit as st

from dashboards.lib import formatting as fmt
from dashboards.lib import queries
from dashboards.lib.page import context, show_table

ctx = context()
info = ctx.publication
st.title("Conformité")
runs = queries.guard_runs(ctx.stamp)
cols = st.columns(3)
cols[0].metric("Seuil de secret statistique (k)", f"{info['min_cell_size']} personnes")
cols[1].metric("Seuil pour les catégories de revenus", f"{max(11, int(info['min_cell_size']))} personnes")
last = runs.iloc[0] if len(runs) else None
cols[2].metric(
    "Dernier contrôle",
    "réussi" if last is not None and last.failed == 0 else "en échec",
    help=f"{int(last.checks)} règles vérifiées sur {int(last.tables)} tables" if last is not None else None,
)

st.subheader("Contrôles de confidentialité par exécution")
show_table(
    runs.assign(
        Date=runs.checked_at.map(fmt.day_time),
        Cible=runs.target.map({"warehouse": "Entrepôt (marts)", "published file": "Fichier publié"}),
    )[["Date", "Cible", "tables", "checks", "failed", "excepted"]].rename(
        columns={"tables": "Tables", "checks": "Règles vérifiées", "failed": "Échecs", "excepted": "Exceptions"}
    ),
    "controles_par_execution",
)
st.subheader("Échecs et exceptions")
details = queries.guard_failures_and_exceptions(ctx.stamp)
if details.empty:
    st.success("Aucun échec ni exception enregistrés.")
else:
    show_table(
        details.rename(
            columns={
                "checked_at": "Date",
                "target": "Cible",
                "table_name": "Table",
                "column_name": "Colonne",
                "rule": "Règle",
                "passed": "Réussi",
                "failing": "Valeurs en cause",
                "excepted": "Exception (motif)",
            }
        ),
        "echecs_et_exceptions",
    )

st.subheader("Effacements et purges de conservation")
events = queries.gdpr_events(ctx.stamp)
if events.empty:
    st.info("Aucune ligne effacée ni purgée à ce jour.")
else:
    summary = events.groupby(["kind", "rule"], as_index=False)["rows_removed"].sum()
    cols = st.columns(2)
    cols[0].metric(
        "Lignes effacées (droit à l'effacement)", fmt.number(summary[summary.kind == "erasure"].rows_removed.sum())
    )
    cols[1].metric(
        "Lignes purgées (durées de conservation)", fmt.number(summary[summary.kind == "retention"].rows_removed.sum())
    )
    show_table(
        events.assign(Jour=events.day.map(fmt.day)).rename(
            columns={"kind": "Type", "rule": "Règle", "table_name": "Table", "rows_removed": "Lignes"}
        )[["Jour", "Type", "Règle", "Table", "Lignes"]],
        "effacements_et_purges",
        {"Lignes": fmt.number},
    )

st.subheader("Historique des publications")
history = queries.publication_history(ctx.stamp)
show_table(
    history.assign(Publié=history.published_at.map(fmt.day_time), Données=history.data_as_of.map(fmt.day_time))[
        ["Publié", "Données", "tables", "rows_published", "min_cell_size", "run_id"]
    ].rename(columns={"tables": "Tables", "rows_published": "Lignes", "min_cell_size": "k", "run_id": "Exécution"}),
    "historique_publications",
    {"Lignes": fmt.number},
)
