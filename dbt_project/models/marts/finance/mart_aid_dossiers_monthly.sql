{#- Published: the cells of agg_aid_dossiers_monthly, secret ones NULL with their flag (macros/published_mart.sql). -#}
{{ published_mart(ref('agg_aid_dossiers_monthly')) }}
