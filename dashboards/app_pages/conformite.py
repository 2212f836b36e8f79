"""Conformité (DPO): the privacy guard's results per run, publications, erasures and purges by month, k."""

import pandas as pd
import streamlit as st

from dashboards.lib import formatting as fmt
from dashboards.lib import queries
from dashboards.lib.compare import total
from dashboards.lib.page import context, income_k, secret_note, show_table

ctx = context()
info = ctx.publication
st.title("Conformité")
runs = queries.guard_runs(ctx.stamp)
cols = st.columns(3)
cols[0].metric("Seuil de secret statistique (k)", f"{info['min_cell_size']} personnes")
cols[1].metric("Seuil pour les catégories de revenus", f"{income_k(info)} personnes")
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
        Cible=runs.target.map(lambda t: fmt.label(fmt.GUARD_TARGETS, t)),
    )[["Date", "Cible", "tables", "checks", "failed", "excepted"]].rename(
        columns={"tables": "Tables", "checks": "Règles vérifiées", "failed": "Échecs", "excepted": "Exceptions"}
    ),
    "controles_par_execution",
)
audit = queries.audit_summary(ctx.stamp)
if not audit.empty:
    row = audit.iloc[0]
    st.caption(
        f"Audit de l'attaquant (publication en cours) : {int(row.figures)} chiffres de {int(row.tables)} tableaux "
        "vérifiés par programmation linéaire ; "
        + (
            "aucune cellule secrète n'est recalculable plus précisément que sa protection."
            if int(row.pinned) == 0
            else f"{int(row.pinned)} cellules secrètes recalculables : la publication a été refusée."
        )
    )
st.subheader("Échecs et exceptions")
details = queries.guard_failures_and_exceptions(ctx.stamp)
if details.empty:
    st.success("Aucun échec ni exception enregistrés.")
else:
    show_table(
        details.assign(
            Date=details.checked_at.map(fmt.day_time),
            Cible=details.target.map(lambda t: fmt.label(fmt.GUARD_TARGETS, t)),
            Tableau=details.table_name.map(lambda t: fmt.label(fmt.TABLES, t)),
            Règle=details.rule.map(lambda r: fmt.label(fmt.GUARD_RULES, r)),
            Résultat=[
                "exception" if isinstance(e, str) else ("réussi" if ok else "échec")
                for ok, e in zip(details.passed, details.excepted)
            ],
        )[["Date", "Cible", "Tableau", "column_name", "Règle", "Résultat", "failing", "excepted"]].rename(
            columns={"column_name": "Colonne", "failing": "Valeurs en cause", "excepted": "Motif de l'exception"}
        ),
        "echecs_et_exceptions",
        {"Valeurs en cause": fmt.number},
    )

st.subheader("Effacements et purges de conservation")
k = int(info["min_cell_size"])
removed = queries.compliance_monthly(ctx.stamp)
erasures = removed[removed.rule == "effacement"]
purges = removed[removed.rule != "effacement"]


def left_out(cells) -> str:
    """What a tile's total leaves out: its secret cells, each from 1 to k - 1."""
    n = int(cells.n_removed_secret.sum())
    return (
        f"{n} mois en secret statistique (de 1 à {k - 1} chacun) n'y sont pas comptés." if n else "Aucun mois secret."
    )


cols = st.columns(2)
cols[0].metric(
    "Personnes effacées (mois publiés)",
    fmt.number(total(erasures.n_removed)),
    help="Droit à l'effacement : personnes dont le CRM a exécuté la demande. " + left_out(erasures),
)
cols[1].metric(
    "Lignes purgées (mois publiés)",
    fmt.number(total(purges.n_removed)),
    help="Durées de conservation : lignes supprimées par les règles de conservation. " + left_out(purges),
)
secret_note(removed, counted="personnes ou lignes")
active = removed[(removed.n_removed.fillna(0) > 0) | removed.n_removed_secret]
if active.empty:
    st.info("Aucune personne effacée ni ligne purgée à ce jour.")
else:
    # One row a month where something was removed, one column a rule; a secret count reads "< k".
    cells = removed[removed.month.isin(set(active.month))]
    cells = cells.assign(
        shown=[fmt.below(k) if secret else fmt.number(n) for n, secret in zip(cells.n_removed, cells.n_removed_secret)]
    )
    table = cells.pivot(index="month", columns="rule", values="shown").sort_index(ascending=False)
    rules = [r for r in fmt.COMPLIANCE_RULES if r in table.columns]
    table = table[rules + sorted(set(table.columns) - set(rules))].rename_axis(columns=None).reset_index()
    table.insert(0, "Mois", table.pop("month").map(fmt.month))
    show_table(table.rename(columns=fmt.COMPLIANCE_RULES), "effacements_et_purges")
    st.caption(
        "Mois où une personne a été effacée ou une ligne purgée. Effacements : personnes dont le CRM a exécuté la "
        "demande d'effacement ; autres colonnes : lignes supprimées par chaque règle de conservation, le mois de la "
        f"purge. « {fmt.below(k)} » : de 1 à {k - 1}, en secret statistique."
    )

st.subheader("Durées de conservation : la donnée la plus ancienne conservée")
status = queries.retention_status(ctx.stamp)
st.caption(
    "Après la purge de la nuit, chaque règle de conservation est vérifiée à nouveau sur ce que l'entrepôt garde : "
    "le mois de la donnée la plus ancienne qu'elle conserve, comparé à sa limite. Une donnée au-delà de sa limite "
    "fait échouer la nuit."
)
if status.empty:
    st.info("Aucune vérification des durées de conservation dans cette publication.")
else:
    show_table(
        status.assign(
            Règle=status.rule.map(lambda r: fmt.label(fmt.RETENTION_CLOCKS, r)),
            Durée=status.months.map(fmt.duration),
            Limite=status.cutoff.map(fmt.day),
            Ancienne=status.oldest_kept_month.map(lambda m: fmt.NO_VALUE if pd.isna(m) else fmt.month_long(m)),
            État=["dans la limite" if n == 0 else f"{fmt.number(n)} au-delà de la limite" for n in status.past_limit],
        )[["Règle", "Durée", "Limite", "Ancienne", "État"]].rename(
            columns={"Limite": "Supprimé si antérieur au", "Ancienne": "Plus ancienne donnée conservée"}
        ),
        "durees_de_conservation",
    )

st.subheader("Révisions des périodes figées")
revised = queries.revisions(ctx.stamp)
st.caption(
    "Un mois clos est figé : ses chiffres ne changent plus, ni par un effacement ni par une purge. "
    "Seule une révision demandée par l'exploitant (mgreen revise) le recalcule, avec les mêmes règles."
)
if revised.empty:
    st.info("Aucune révision demandée.")
else:
    show_table(
        revised.assign(
            Tableau=revised.mart.map(lambda m: fmt.label(fmt.MARTS, m)),
            Période=revised.period.map(fmt.month),
            Demandée=revised.requested_at.map(fmt.day_time),
            Faite=revised.done_at.map(lambda d: "en attente" if d is None or pd.isna(d) else fmt.day_time(d)),
            Résultat=revised.outcome.map(lambda o: fmt.label(fmt.REVISION_OUTCOMES, o) if isinstance(o, str) else ""),
        )[["Période", "Tableau", "reason", "Demandée", "Faite", "Résultat", "rows_changed"]].rename(
            columns={"reason": "Motif", "rows_changed": "Lignes modifiées"}
        ),
        "revisions",
        {"Lignes modifiées": fmt.number},
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
