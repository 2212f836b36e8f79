with

source as (

    select * from {{ source('crm', 'financing_requests') }}

),

pseudonymised as (

    select
        financing_id,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        quote_id,
        partner as financing_partner,
        amount_eur,
        {{ normalise_code('status', ['demandee', 'acceptee', 'refusee']) }} as financing_status,
        requested_at,
        decided_at,
        updated_at
    from source

)

select * from pseudonymised
