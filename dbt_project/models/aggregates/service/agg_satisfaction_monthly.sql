{#- The cells of mart_satisfaction_monthly, unprotected: surveys sent and answered, NPS counts. -#}
with

surveys as (

    select * from {{ ref('stg_crm__survey_responses') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

survey_events as (

    -- Response rate by month of sending; NPS over the answers given in the month.
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

{%- set last_month = paris_month(run_as_of()) %}
months as (

    select month
    from ({{ month_spine("coalesce((select min(month) from survey_events), " ~ last_month ~ ")", last_month) }}) as spine
    where {{ is_retained('month', ['survey_responses.sent_at', 'survey_responses.answered_at']) }}

),

{%- set measures = {
    'n_surveys_sent': "event = 'sent'",
    'n_surveys_answered_of_sent': "event = 'sent' and is_answered",
    'n_surveys_unanswered': "event = 'sent' and not is_answered",
    'n_answers': "event = 'answered'",
    'n_promoters': "event = 'answered' and nps_score >= 9",
    'n_detractors': "event = 'answered' and nps_score <= 6",
    'n_passives': "event = 'answered' and nps_score between 7 and 8",
} %}
counted as (

    select
        month
        {%- for name, condition in measures.items() %},
        count(*) filter (where {{ condition }}) as {{ name }},
        count(distinct person_key) filter (where {{ condition }}) as {{ name }}__persons
        {%- endfor %}
    from survey_events
    group by month

),

cells as (

    select
        months.month
        {%- for name in measures %},
        coalesce(counted.{{ name }}, 0) as {{ name }},
        coalesce(counted.{{ name }}__persons, 0) as {{ name }}__persons
        {%- endfor %},
        cast(counted.n_surveys_answered_of_sent as double) / nullif(counted.n_surveys_sent, 0) as response_rate,
        100.0 * (counted.n_promoters - counted.n_detractors) / nullif(counted.n_answers, 0) as nps
    from months
    left join counted on counted.month = months.month

),

numbered as (

    select *, row_number() over (order by month) as cell_number
    from cells

)

select * from numbered
