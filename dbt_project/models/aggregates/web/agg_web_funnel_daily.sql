{#- The cells of mart_web_funnel_daily, unprotected: sessions per Paris day. -#}
with

sessions as (

    select {{ paris_date('started_at') }} as session_date, submitted_form
    from {{ ref('stg_web__sessions') }}

),

days as (

    -- Every day from the first session to the run's day (a day without sessions is a row of
    -- zeros: which days exist tells nothing); days retention has cut into (the 13-month limit)
    -- are incomplete, not published.
    select day as session_date
    from (
        select cast(unnest(generate_series(
            cast(coalesce((select min(session_date) from sessions), {{ paris_date(run_as_of()) }}) as timestamp),
            cast({{ paris_date(run_as_of()) }} as timestamp),
            interval 1 day
        )) as date) as day
    ) as spine
    where {{ is_retained('day', ['web_sessions.started_at'], grain='day') }}

),

cells as (

    select
        days.session_date,
        count(sessions.session_date) as n_sessions,
        count(sessions.submitted_form) as n_sessions_with_form,
        count(sessions.session_date) - count(sessions.submitted_form) as n_sessions_without_form
    from days
    left join sessions on sessions.session_date = days.session_date
    group by days.session_date

),

numbered as (

    select *, row_number() over (order by session_date) as cell_number
    from cells

)

select * from numbered
