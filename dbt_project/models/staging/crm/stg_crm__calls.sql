with

source as (

    select * from {{ source('crm', 'calls') }}

),

pseudonymised as (

    -- The caller's number stays in raw.
    select
        call_id,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        tracking_number,
        started_at,
        duration_s,
        {{ normalise_code('outcome', ['repondu', 'manque', 'messagerie']) }} as call_outcome,
        updated_at
    from source

)

select * from pseudonymised
