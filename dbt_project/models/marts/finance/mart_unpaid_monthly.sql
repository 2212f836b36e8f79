{#- Published: the cells of agg_unpaid_monthly, secret ones NULL with their flag (macros/published_mart.sql). -#}
{{ published_mart(ref('agg_unpaid_monthly')) }}
