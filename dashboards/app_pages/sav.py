"""SAV et satisfaction: tickets opened and closed, delays, warranty; NPS and response rate."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.compare import total
from dashboards.lib.page import (
    choose_level,
    context,
    final_rows,
    monthly_table,
    paired_rate,
    provisional_note,
    secret_note,
    secret_share,
    year_before,
)

ctx = context()
f = ctx.filters
st.title("SAV et satisfaction")
st.caption(f"{f.describe()}.")

tickets = queries.after_sales(ctx.stamp, f.start, f.end)
all_categories = tickets[tickets.ticket_category == "Tous"]
cols = st.columns(3)
cols[0].metric("Tickets ouverts", fmt.number(total(all_categories.n_tickets_opened)))
cols[1].metric("Tickets clos", fmt.number(total(all_categories.n_tickets_closed)))
cols[2].metric(
    "Délai médian de clôture",
    fmt.days(all_categories.median_days_to_close.median()),
    help="Médiane des délais médians mensuels publiés.",
)
# By category where it can be shown: where most category months are secret, the page opens on
# every category together (fewer breakdowns), which the same mart publishes.
by_category = final_rows(tickets[tickets.ticket_category != "Tous"], "mart_after_sales_monthly")
level = choose_level(
    "Détail des tickets ouverts",
    "sav_niveau",
    {
        "Par catégorie": secret_share(by_category, "n_tickets_opened"),
        "Toutes catégories": secret_share(final_rows(all_categories, "mart_after_sales_monthly"), "n_tickets_opened"),
    },
    "Mois clos en secret statistique",
    "La plupart des mois par catégorie étant en secret, toutes les catégories sont montrées ensemble.",
)
st.altair_chart(
    charts.monthly_lines(
        tickets[tickets.ticket_category != "Tous"] if level == "Par catégorie" else all_categories,
        "n_tickets_opened",
        "ticket_category",
        "Tickets ouverts par catégorie" if level == "Par catégorie" else "Tickets ouverts, toutes catégories",
        fmt.TICKET_CATEGORIES,
    ),
    width="stretch",
)
secret_note(tickets)
monthly_table(
    all_categories,
    "sav_par_mois",
    {
        "n_tickets_opened": ("Ouverts", fmt.number),
        "n_tickets_closed": ("Clos", fmt.number),
        "median_days_to_close": ("Délai médian (j)", fmt.number),
        "share_under_warranty": ("Sous garantie", fmt.percent),
    },
    mart="mart_after_sales_monthly",
)
provisional_note("mart_after_sales_monthly", "ventilation par catégorie")
st.caption(
    "Sous garantie : part des tickets sous garantie parmi ceux dont la garantie est connue. « – » : aucun ticket "
    "à mesurer ce mois-là."
)

st.header("Satisfaction")
survey = queries.satisfaction(ctx.stamp, f.start, f.end)
# The NPS of the period over the closed months whose promoters, detractors and answers are all
# published, and so the response rate: a provisional month's rounded totals make no rate.
closed = final_rows(survey, "mart_satisfaction_monthly")
answered = closed.dropna(subset=["n_promoters", "n_detractors", "n_answers"])
answers = float(answered.n_answers.sum())
cols = st.columns(3)
cols[0].metric(
    "NPS de la période",
    fmt.score(100.0 * float(answered.n_promoters.sum() - answered.n_detractors.sum()) / answers)
    if answers
    else (fmt.NOT_PUBLISHED if closed.empty and not survey.empty else fmt.SECRET),
)
cols[1].metric("Réponses", fmt.number(total(survey.n_answers)))
cols[2].metric(
    "Taux de réponse",
    fmt.NOT_PUBLISHED
    if closed.empty and not survey.empty
    else fmt.percent(paired_rate(closed, "n_surveys_answered_of_sent", "n_surveys_sent")),
)
st.altair_chart(
    charts.monthly_bars(
        survey, "nps", "NPS par mois", previous=year_before(queries.satisfaction, ctx.stamp, f.start, f.end)
    ),
    width="stretch",
)
secret_note(survey)
monthly_table(
    survey,
    "satisfaction_par_mois",
    {
        "n_surveys_sent": ("Enquêtes envoyées", fmt.number),
        "n_answers": ("Réponses", fmt.number),
        "response_rate": ("Taux de réponse", fmt.percent),
        "nps": ("NPS", fmt.score),
    },
    mart="mart_satisfaction_monthly",
)
provisional_note("mart_satisfaction_monthly", "ventilation")
st.caption(
    "NPS et taux de réponse de la période : sur les mois où leurs composantes sont toutes publiées. "
    "« – » : aucune réponse ce mois-là."
)
