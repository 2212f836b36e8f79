with

source as (

    select * from {{ source('crm', 'survey_responses') }}

),

pseudonymised as (

    -- The free-text comment stays in raw.
    select
        response_id,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        order_id,
        sent_at,
        answered_at,
        case when nps_score between 0 and 10 then nps_score end as nps_score,
        nps_score is not null and nps_score not between 0 and 10 as is_score_invalid,
        updated_at
    from source

)

select * from pseudonymised
