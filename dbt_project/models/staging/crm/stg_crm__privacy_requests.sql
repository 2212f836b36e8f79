with

source as (

    select * from {{ source('crm', 'privacy_requests') }}

),

pseudonymised as (

    select
        privacy_request_id,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        {{ normalise_code('kind', ['acces', 'rectification', 'effacement', 'limitation', 'portabilite', 'opposition']) }}
            as request_kind,
        received_at,
        completed_at,
        updated_at
    from source

)

select * from pseudonymised
