{#- Published: the cells of agg_web_funnel_monthly, secret ones NULL with their flag (macros/published_mart.sql). -#}
{{ published_mart(ref('agg_web_funnel_monthly')) }}
