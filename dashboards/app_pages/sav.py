"""SAV et satisfaction: tickets opened and closed, delays, warranty; NPS and response rate."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.page import context, secret_note, show_table, total

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
    f"{fmt.number(all_categories.median_days_to_close.median())} jours"
    if all_categories.median_days_to_close.notna().any()
    else fmt.SECRET,
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
table = all_categories.assign(Mois=all_categories.month.map(fmt.month))[
    ["Mois", "n_tickets_opened", "n_tickets_closed", "median_days_to_close", "share_under_warranty"]
].rename(
    columns={
        "n_tickets_opened": "Ouverts",
        "n_tickets_closed": "Clos",
        "median_days_to_close": "Délai médian (j)",
        "share_under_warranty": "Sous garantie",
    }
)
show_table(
    table,
    "sav_par_mois",
    {"Ouverts": fmt.number, "Clos": fmt.number, "Délai médian (j)": fmt.number, "Sous garantie": fmt.percent},
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
show_table(
    survey.assign(Mois=survey.month.map(fmt.month))[
        ["Mois", "n_surveys_sent", "n_answers", "response_rate", "nps"]
    ].rename(
        columns={
            "n_surveys_sent": "Enquêtes envoyées",
            "n_answers": "Réponses",
            "response_rate": "Taux de réponse",
            "nps": "NPS",
        }
    ),
    "satisfaction_par_mois",
    {"Enquêtes envoyées": fmt.number, "Réponses": fmt.number, "Taux de réponse": fmt.percent, "NPS": fmt.score},
)
