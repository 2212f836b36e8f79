"""Aides et financement: dossiers by scheme and MaPrimeRénov' category, amounts, delays, acceptance."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.compare import total
from dashboards.lib.page import (
    choose_level,
    context,
    flag,
    income_k,
    paired_rate,
    partial,
    provisional_note,
    secret_note,
    secret_share,
    show_table,
    sums,
    year_before,
)

ctx = context()
f = ctx.filters
k_income = income_k(ctx.publication)
st.title("Aides et financement")
st.caption(
    f"{f.describe()} · dossiers par mois de dépôt. Les ventilations par catégorie de revenus MaPrimeRénov' sont "
    f"publiées par trimestre et ne publient que les cellules d'au moins {k_income} personnes (données fiscales)."
)
aids = queries.aid_dossiers(ctx.stamp, f.start, f.end)
overall = aids[aids.aid_scheme == "Tous"]
cols = st.columns(4)
for col, (label, column) in zip(
    cols, (("Dossiers déposés", "n_dossiers_submitted"), ("Dossiers accordés", "n_dossiers_granted"))
):
    # A total that leaves secret months out says so (by how much is not published).
    left_out = partial(overall, column)
    col.metric(label, fmt.number(total(overall[column])), delta=left_out, delta_color="off", delta_arrow="off")
secret_amounts = int(overall[flag("granted_eur")].astype(bool).sum())
cols[2].metric(
    "Montants accordés",
    fmt.euros(total(overall.granted_eur)),
    delta=f"partiel : {secret_amounts} mois en secret statistique" if secret_amounts else None,
    delta_color="off",
    delta_arrow="off",
)
cols[3].metric(
    "Délai médian de décision",
    fmt.days(overall.median_days_to_decision.median()),
    help="Médiane des délais médians mensuels publiés.",
)
FIGURES = {
    "n_dossiers_submitted": "Déposés",
    "n_dossiers_granted": "Accordés",
    "n_dossiers_refused": "Refusés",
    "n_dossiers_paid": "Versés",
    "requested_eur": "Montant demandé",
    "granted_eur": "Montant accordé",
}


def summary(df, dimension, labels):
    """The period's published cells added up, by one dimension."""
    grouped = sums(df, dimension, list(FIGURES))
    grouped.insert(0, "Libellé", grouped[dimension].map(lambda c: fmt.label(labels, c)))
    return grouped.drop(columns=[dimension]).rename(columns=FIGURES)


formats = {label: (fmt.euros if figure.endswith("_eur") else fmt.number) for figure, label in FIGURES.items()}

# By scheme, at the level that can be shown: where most months are secret, the quarters (the
# quarterly mart's rows of every income category, under the same disclosure control) publish more.
by_month = aids[aids.aid_scheme != "Tous"]
by_quarter = queries.aid_dossiers_quarterly(ctx.stamp, f.start, f.end)
by_quarter = by_quarter[by_quarter.aid_scheme != "Tous"]
level = choose_level(
    "Détail par dispositif",
    "aides_niveau",
    {
        "Mois": secret_share(by_month, "n_dossiers_submitted"),
        "Trimestre": secret_share(by_quarter, "n_dossiers_submitted"),
    },
    "Cellules par dispositif en secret statistique sur la période",
    "La plupart des mois étant en secret, le détail est proposé par trimestre.",
    per="par ",
)
detail, period, named = (by_quarter, "quarter", fmt.quarter) if level == "Trimestre" else (by_month, "month", fmt.month)
st.altair_chart(
    charts.monthly_lines(
        detail, "n_dossiers_submitted", "aid_scheme", "Dossiers déposés par dispositif", fmt.SCHEMES, period, named
    ),
    width="stretch",
)
if level == "Trimestre":
    # every cell of the quarterly mart rests on at least k_income persons (it holds income categories)
    secret_note(detail, figures=list(FIGURES), k=k_income)
else:
    secret_note(aids, figures=list(FIGURES))

st.subheader("Par dispositif")
provisional_note("mart_aid_dossiers_monthly", "ventilation par dispositif")
show_table(summary(detail, "aid_scheme", fmt.SCHEMES), "aides_par_dispositif", formats)
if level == "Trimestre" and not detail.empty:
    st.caption(
        f"Trimestres de dépôt clos qui recouvrent la période : {fmt.quarter(detail.quarter.min())} – "
        f"{fmt.quarter(detail.quarter.max())} (un trimestre commencé avant la période compte en entier)."
    )
st.caption(
    f"Par dispositif : sommes des {'trimestres' if level == 'Trimestre' else 'mois'} clos publiés, hors cellules en "
    "secret statistique (le total réel est donc plus élevé, d'un montant qui n'est pas publié) ; les périodes "
    "provisoires ne sont publiées qu'en total tous dispositifs, d'où l'écart avec les chiffres du haut de page."
)

st.subheader("MaPrimeRénov' par catégorie de revenus, par trimestre")
mpr = queries.aid_dossiers_by_income(ctx.stamp, f.start, f.end, "maprimerenov")
mpr = mpr[mpr.mpr_income_category != "Tous"]
if mpr.empty:
    st.info("Aucun trimestre de dépôt publié pour la période.")
else:
    first, last = mpr.quarter.min(), mpr.quarter.max()
    st.caption(
        f"Trimestres de dépôt qui recouvrent la période : {fmt.quarter(first)} – {fmt.quarter(last)} "
        "(un trimestre commencé avant la période compte en entier)."
    )
    show_table(summary(mpr, "mpr_income_category", fmt.MPR_CATEGORIES), "maprimerenov_par_categorie", formats)
    secret_note(mpr, figures=list(FIGURES), k=k_income)

st.header("Financement")
provisional_note("mart_financing_monthly", "ventilation par partenaire")
financing = queries.financing(ctx.stamp, f.start, f.end)
others = financing[financing.financing_partner != "Tous"]
partners = sums(others, "financing_partner", ["n_requests", "n_accepted", "n_refused", "amount_accepted_eur"])


def acceptance(rows):
    """Accepted / (accepted + refused), over the months where both are published."""
    decided = rows.assign(n_decided=rows.n_accepted + rows.n_refused)
    return paired_rate(decided, "n_accepted", "n_decided", nothing=fmt.NO_VALUE)


partners["Taux d'acceptation"] = [acceptance(others[others.financing_partner == p]) for p in partners.financing_partner]
partners["financing_partner"] = partners.financing_partner.map(lambda c: fmt.label(fmt.FINANCING_PARTNERS, c))
show_table(
    partners.rename(
        columns={
            "financing_partner": "Partenaire",
            "n_requests": "Demandes",
            "n_accepted": "Acceptées",
            "n_refused": "Refusées",
            "amount_accepted_eur": "Montant accepté",
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
before = year_before(queries.financing, ctx.stamp, f.start, f.end)
st.altair_chart(
    charts.monthly_bars(
        all_partners,
        "n_requests",
        "Demandes de financement par mois",
        previous=before[before.financing_partner == "Tous"] if not before.empty else None,
    ),
    width="stretch",
)
secret_note(financing, figures=["n_requests", "n_accepted", "n_refused", "amount_accepted_eur"])
