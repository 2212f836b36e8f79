"""Vue d'ensemble: the period's complete months against the same months a year before (N-1),
the running month apart."""

import streamlit as st

from dashboards.lib import formatting as fmt
from dashboards.lib import queries
from dashboards.lib.compare import LikeForLike, like_for_like, months_between, same_months, total
from dashboards.lib.page import context, final_rows, orders_dimensions, secret_note, tile

ctx = context()
f = ctx.filters
compared = ctx.comparison

st.title("Vue d'ensemble")
st.caption(f"Période : {f.describe()}.")
departement, category, channel = orders_dimensions(f)


def conversion(df, suffix=""):
    """Signed quotes / prospects over the rows given (their sums)."""
    prospects = df["n_prospects" + suffix].sum()
    return None if prospects == 0 else float(df["n_devis_signe" + suffix].sum()) / float(prospects)


def net_promoter(df, suffix=""):
    """The NPS over the rows given: (promoters - detractors) / answers."""
    answers = df["n_answers" + suffix].sum()
    if answers == 0:
        return None
    return 100.0 * float(df["n_promoters" + suffix].sum() - df["n_detractors" + suffix].sum()) / float(answers)


def rate_like_for_like(now, before, columns, month, rate, months) -> LikeForLike:
    """A rate over the months where its parts are published (the period's value), and over the
    months where they are published both years (the comparison)."""
    published = now.dropna(subset=columns)
    paired = same_months(now, before, columns, month)
    # Every month of the period still provisional (final_rows left none): not published, not secret.
    value = rate(published) if not published.empty else (fmt.NOT_PUBLISHED if now.empty else None)
    if paired.empty:
        return LikeForLike(value, None, None, 0, months)
    return LikeForLike(value, rate(paired, "_n"), rate(paired, "_n1"), len(paired), months)


def last_like_for_like(now, before, column, month, months) -> LikeForLike:
    """A stock at the end of the period: its last published month, against the same month a year before."""
    published = now.dropna(subset=[column])
    if published.empty:
        return LikeForLike(None, None, None, 0, 1)
    last = published.iloc[[-1]]
    value = float(last[column].iloc[0])
    # The change compares that same month with a year before, never an earlier month.
    paired = same_months(last, before, [column], month)
    if paired.empty:
        return LikeForLike(value, None, None, 0, 1)
    return LikeForLike(value, value, float(paired[column + "_n1"].iloc[0]), 1, 1)


if compared.start is None:
    st.info(
        "La période ne contient aucun mois complet : il n'y a rien à comparer d'égal à égal. "
        "Le mois en cours est présenté à part ci-dessous."
    )
else:
    st.caption(f"Chiffres sur {compared.describe()} (N-1). Le mois en cours, partiel, n'entre pas dans la comparaison.")
    start, end = compared.start, compared.end
    b_start, b_end = compared.before
    n_months = months_between(start, end)
    orders = queries.orders_monthly(ctx.stamp, start, end, departement, category, channel)
    orders_before = queries.orders_monthly(ctx.stamp, b_start, b_end, departement, category, channel)
    clients = queries.clients_monthly(ctx.stamp, start, end, f.departement)
    clients_before = queries.clients_monthly(ctx.stamp, b_start, b_end, f.departement)
    # Rates over closed periods only: a provisional period's rounded totals make no rate.
    funnel = final_rows(queries.funnel_cohorts(ctx.stamp, start, end, f.channel), "mart_funnel_cohorts", "cohort_month")
    funnel_before = queries.funnel_cohorts(ctx.stamp, b_start, b_end, f.channel)
    nps = final_rows(queries.satisfaction(ctx.stamp, start, end), "mart_satisfaction_monthly")
    nps_before = queries.satisfaction(ctx.stamp, b_start, b_end)
    unpaid = queries.unpaid(ctx.stamp, start, end, f.departement)
    unpaid_before = queries.unpaid(ctx.stamp, b_start, b_end, f.departement)

    row1 = st.columns(3)
    tile(
        row1[0],
        "Commandes",
        like_for_like(orders, orders_before, "n_orders", "month", n_months),
        fmt.number,
        list(orders.n_orders),
    )
    tile(
        row1[1],
        "Chiffre d'affaires HT",
        like_for_like(orders, orders_before, "revenue_excl_tax_eur", "month", n_months),
        fmt.euros,
        list(orders.revenue_excl_tax_eur),
    )
    tile(
        row1[2],
        "Nouveaux clients",
        like_for_like(clients, clients_before, "n_new_clients", "month", n_months),
        fmt.number,
        list(clients.n_new_clients),
    )
    row2 = st.columns(3)
    tile(
        row2[0],
        "Taux de conversion (devis signé / prospects)",
        rate_like_for_like(
            funnel, funnel_before, ["n_devis_signe", "n_prospects"], "cohort_month", conversion, n_months
        ),
        fmt.percent,
    )
    tile(
        row2[1],
        "NPS",
        rate_like_for_like(
            nps, nps_before, ["n_promoters", "n_detractors", "n_answers"], "month", net_promoter, n_months
        ),
        fmt.score,
        list(nps.nps),
    )
    tile(
        row2[2],
        "Impayés en fin de mois (montant)",
        last_like_for_like(unpaid, unpaid_before, "amount_unpaid_eur", "month", n_months),
        fmt.euros,
        list(unpaid.amount_unpaid_eur),
        inverse=True,
    )
    secret_note(orders, figures=["n_orders", "revenue_excl_tax_eur"])
    st.caption(
        "Chaque variation compare les mêmes mois complets, publiés les deux années (le détail au survol du « ? »). "
        "Commandes et CA : mois de commande, hors commandes annulées ; sommes des cellules publiées. "
        "Nouveaux clients : première commande non annulée dans le mois. Conversion : cohortes de premier contact "
        "closes dont prospects et devis signés sont publiés. NPS : mois clos dont promoteurs, détracteurs et réponses sont "
        "publiés. Impayés : dernier mois publié, contre le même mois un an avant. Un mois clos depuis peu "
        "(provisoire) n'est publié qu'en total arrondi : avec un filtre, il sort de la comparaison."
    )

if compared.running is not None:
    month = compared.running
    st.subheader(f"Mois en cours : {fmt.month_long(month)} (provisoire)")
    # A provisional month publishes its totals only: no département, category or channel.
    orders_now = queries.orders_monthly(ctx.stamp, month, month, "Tous", "Tous", "Tous")
    clients_now = queries.clients_monthly(ctx.stamp, month, month, "Tous")
    if (f.departement, f.category, f.channel) != ("Tous", "Tous", "Tous"):
        st.caption("Tous départements, catégories et canaux : un mois provisoire n'est publié qu'en total.")
    row3 = st.columns(3)
    row3[0].metric("Commandes du mois en cours", fmt.number(total(orders_now.n_orders)), border=True)
    row3[1].metric(
        "Chiffre d'affaires HT du mois en cours", fmt.euros(total(orders_now.revenue_excl_tax_eur)), border=True
    )
    row3[2].metric("Nouveaux clients du mois en cours", fmt.number(total(clients_now.n_new_clients)), border=True)
    step = 2 * int(ctx.publication["min_cell_size"])
    st.caption(
        f"Du 1er au {compared.day} {fmt.month_long(month).split()[0]} : un mois partiel, qui ne se compare ni aux mois "
        f"complets ni à un mois entier de l'an passé. Totaux provisoires, arrondis à {step} près (montants à "
        "10 000 € près), sans ventilation ; ils deviennent définitifs à la clôture du mois."
    )
