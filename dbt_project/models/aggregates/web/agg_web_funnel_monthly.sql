{#- The cells of mart_web_funnel_monthly, unprotected: sessions by month, source and device. -#}
{%- set forms = ['simulation', 'devis', 'contact', 'rendez_vous'] -%}
with

sessions as (

    select {{ paris_month('started_at') }} as session_month, utm_source, device, submitted_form
    from {{ ref('stg_web__sessions') }}

),

{%- set last_month = paris_month(run_as_of()) %}
months as (

    -- Every month from the first session to the run's; months retention has cut into (the
    -- 13-month limit) are incomplete, not published.
    select month as session_month
    from ({{ month_spine("coalesce((select min(session_month) from sessions), " ~ last_month ~ ")", last_month) }}) as spine
    where {{ is_retained('month', ['web_sessions.started_at']) }}

),

session_rows as (

    -- The website's sessions are anonymous: a session, not a person, is the unit counted.
    {{ one_way_cells(
        "(select session_month, coalesce(utm_source, 'inconnu') as utm_source, coalesce(device, 'inconnu') as device,"
        ~ " submitted_form from sessions where session_month in (select session_month from months))",
        'session_month', ['utm_source', 'device'], ['submitted_form']) }}

),

counted as (

    select
        session_month,
        utm_source,
        device,
        count(*) as n_sessions,
        count(submitted_form) as n_sessions_with_form,
        count(*) filter (where submitted_form is null) as n_sessions_without_form
        {%- for f in forms %},
        count(*) filter (where submitted_form = '{{ f }}') as n_form_{{ f }}
        {%- endfor %},
        count(*) filter (where submitted_form is not null and submitted_form not in ('{{ forms | join("', '") }}'))
            as n_form_other
    from session_rows
    group by session_month, utm_source, device

),

grid as (

    {{ one_way_grid('months', 'session_month', [
        ['utm_source', var('web_sources') + ['direct', 'inconnu']],
        ['device', var('devices')],
    ]) }}

),

cells as (

    select
        grid.session_month,
        grid.utm_source,
        grid.device,
        {%- for c in ['n_sessions', 'n_sessions_with_form', 'n_sessions_without_form', 'n_form_simulation', 'n_form_devis', 'n_form_contact', 'n_form_rendez_vous', 'n_form_other'] %}
        coalesce(counted.{{ c }}, 0) as {{ c }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from grid
    left join counted
        on counted.session_month = grid.session_month
        and counted.utm_source = grid.utm_source
        and counted.device = grid.device

),

numbered as (

    select *, row_number() over (order by session_month, utm_source, device) as cell_number
    from cells

)

select * from numbered
