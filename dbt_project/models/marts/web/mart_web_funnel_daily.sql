with

sessions as (

    select *
    from (
        select {{ paris_date('started_at') }} as session_date, submitted_form
        from {{ ref('stg_web__sessions') }}
    ) as dated
    -- Days retention has cut into (the 13-month limit) are incomplete: not published.
    where {{ is_retained('session_date', ['web_sessions.started_at'], grain='day') }}

),

session_steps as (

    -- METRICS.md, web funnel: sessions, sessions with a submitted form, then by form. One row
    -- per session and step (session_key is unique in staging, a blocking test that dbt build
    -- runs first), so counting rows counts sessions.
    select session_date, 'sessions' as step, 1 as step_position
    from sessions
    union all
    select session_date, 'avec_formulaire', 2
    from sessions where submitted_form is not null
    union all
    select session_date, submitted_form, 3
    from sessions where submitted_form is not null

),

aggregated as (

    select
        session_date,
        step,
        step_position,
        count(*) as n_sessions
    from session_steps
    group by session_date, step, step_position

),

with_rates as (

    select
        aggregated.*,
        all_sessions.n_sessions as n_sessions_total,
        cast(aggregated.n_sessions as double) / all_sessions.n_sessions as share_of_sessions
    from aggregated
    inner join aggregated as all_sessions
        on all_sessions.session_date = aggregated.session_date and all_sessions.step = 'sessions'

),

published as (

    {{ suppress_small_cells(
        'with_rates',
        population='n_sessions',
        measures=['n_sessions_total', 'share_of_sessions'],
        total_dims=[],
        fixed_dims=['session_date', 'step', 'step_position'],
        denominators=['n_sessions_total'],
        denominator_row="step = 'sessions'",
        denominator_group=['session_date'],
    ) }}

)

select * from published
