{#- Published: the cells of agg_funnel_cohorts, secret ones NULL with their flag (macros/published_mart.sql). -#}
{{ published_mart(ref('agg_funnel_cohorts')) }}
