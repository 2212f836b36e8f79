with

source as (

    select * from {{ source('crm', 'requests') }}

),

pseudonymised as (

    -- The free-text message stays in raw: people write their phone numbers in it.
    select
        request_id,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        {{ normalise_code('kind', ['contact', 'devis', 'rendez_vous']) }} as request_kind,
        {{ normalise_code('channel', ['web', 'telephone', 'email']) }} as request_channel,
        {{ normalise_code('product_interest', var('product_categories')) }} as product_interest,
        created_at,
        updated_at
    from source

)

select * from pseudonymised
