with

sessions as (

    select *
    from (
        select {{ paris_month('started_at') }} as session_month, utm_source, device, submitted_form
        from {{ ref('stg_web__sessions') }}
    ) as dated
    -- Months retention has cut into (the 13-month limit) are incomplete: not published.
    where {{ is_retained('session_month', ['web_sessions.started_at']) }}

),

session_steps as (

    -- One row per session and step: session_key is unique in staging (a blocking test that
    -- dbt build runs before this model), so counting rows counts sessions, without the cost
    -- of a distinct count per grouping set.
    select session_month, utm_source, device, 'sessions' as step, 1 as step_position
    from sessions
    union all
    select session_month, utm_source, device, 'avec_formulaire', 2
    from sessions where submitted_form is not null
    union all
    select session_month, utm_source, device, submitted_form, 3
    from sessions where submitted_form is not null

),

aggregated as (

    select
        session_month,
        step,
        step_position,
        case when grouping(utm_source) = 1 then 'Tous' else coalesce(utm_source, 'inconnu') end as utm_source,
        case when grouping(device) = 1 then 'Tous' else coalesce(device, 'inconnu') end as device,
        count(*) as n_sessions
    from session_steps
    group by session_month, step, step_position, grouping sets ((utm_source, device), (utm_source), (device), ())

),

with_rates as (

    select
        aggregated.*,
        all_sessions.n_sessions as n_sessions_total,
        cast(aggregated.n_sessions as double) / all_sessions.n_sessions as share_of_sessions
    from aggregated
    inner join aggregated as all_sessions
        on all_sessions.session_month = aggregated.session_month
        and all_sessions.utm_source = aggregated.utm_source
        and all_sessions.device = aggregated.device
        and all_sessions.step = 'sessions'

),

published as (

    {{ suppress_small_cells(
        'with_rates',
        population='n_sessions',
        measures=['n_sessions_total', 'share_of_sessions'],
        total_dims=['utm_source', 'device'],
        fixed_dims=['session_month', 'step', 'step_position'],
        denominators=['n_sessions_total'],
        denominator_row="step = 'sessions'",
        denominator_group=['session_month', 'utm_source', 'device'],
    ) }}

)

select * from published
