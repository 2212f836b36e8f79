with

surveys as (

    select * from {{ ref('stg_crm__survey_responses') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

survey_events as (

    -- Response rate by month of sending; NPS over the answers given in the month (METRICS.md).
    select
        coalesce(contacts.person_key, surveys.contact_key) as person_key,
        {{ paris_month('surveys.sent_at') }} as month,
        'sent' as event,
        surveys.answered_at is not null as is_answered,
        cast(null as integer) as nps_score
    from surveys
    left join contacts on contacts.contact_key = surveys.contact_key

    union all

    select
        coalesce(contacts.person_key, surveys.contact_key),
        {{ paris_month('surveys.answered_at') }},
        'answered',
        true,
        surveys.nps_score
    from surveys
    left join contacts on contacts.contact_key = surveys.contact_key
    where surveys.answered_at is not null and surveys.nps_score is not null

),

aggregated as (

    select
        month,
        count(distinct person_key) as n_persons,
        count(case when event = 'sent' then 1 end) as n_surveys_sent,
        count(case when event = 'sent' and is_answered then 1 end) as n_surveys_answered_of_sent,
        count(case when event = 'answered' then 1 end) as n_answers,
        count(case when event = 'answered' and nps_score >= 9 then 1 end) as n_promoters,
        count(case when event = 'answered' and nps_score <= 6 then 1 end) as n_detractors
    from survey_events
    where month <= {{ paris_month(run_as_of()) }}
        and {{ is_retained('month', ['survey_responses.sent_at', 'survey_responses.answered_at']) }}
    group by month

),

with_scores as (

    select
        *,
        cast(n_surveys_answered_of_sent as double) / nullif(n_surveys_sent, 0) as response_rate,
        100.0 * (n_promoters - n_detractors) / nullif(n_answers, 0) as nps
    from aggregated

),

published as (

    {{ suppress_small_cells(
        'with_scores',
        population='n_persons',
        measures=['n_surveys_sent', 'n_surveys_answered_of_sent', 'n_answers', 'n_promoters', 'n_detractors',
                  'response_rate', 'nps'],
        total_dims=[],
        fixed_dims=['month'],
    ) }}

)

select * from published
