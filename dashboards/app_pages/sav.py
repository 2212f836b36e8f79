"""SAV et satisfaction: tickets opened and closed, delays, warranty; NPS and response rate."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.page import context, monthly_table, secret_note, total

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
)
st.altair_chart(
    charts.monthly_lines(
        tickets[tickets.ticket_category != "Tous"],
        "n_tickets_opened",
        "ticket_category",
        "Tickets ouverts par catégorie",
        fmt.TICKET_CATEGORIES,
    ),
    width="stretch",
)
secret_note(tickets, "cellules")
monthly_table(
    all_categories,
    "sav_par_mois",
    {
        "n_tickets_opened": ("Ouverts", fmt.number),
        "n_tickets_closed": ("Clos", fmt.number),
        "median_days_to_close": ("Délai médian (j)", fmt.number),
        "share_under_warranty": ("Sous garantie", fmt.percent),
    },
)

st.header("Satisfaction")
survey = queries.satisfaction(ctx.stamp, f.start, f.end)
answered = survey[~survey.is_suppressed]
answers = answered.n_answers.sum()
cols = st.columns(3)
cols[0].metric(
    "NPS de la période",
    fmt.score(100.0 * (answered.n_promoters.sum() - answered.n_detractors.sum()) / answers) if answers else fmt.SECRET,
)
cols[1].metric("Réponses", fmt.number(answers if answers else None))
sent = answered.n_surveys_sent.sum()
cols[2].metric("Taux de réponse", fmt.percent(answered.n_surveys_answered_of_sent.sum() / sent) if sent else fmt.SECRET)
st.altair_chart(charts.monthly_bars(survey, "nps", "NPS par mois"), width="stretch")
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
)
