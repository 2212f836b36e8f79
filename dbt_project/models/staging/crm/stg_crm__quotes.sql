with

source as (

    select * from {{ source('crm', 'quotes') }}

),

pseudonymised as (

    select
        quote_id,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        sales_rep_id,
        created_at,
        sent_at,
        signed_at,
        {{ normalise_code('status', ['brouillon', 'envoye', 'signe', 'refuse', 'expire']) }} as quote_status,
        {{ is_known_code('status', ['brouillon', 'envoye', 'signe', 'refuse', 'expire']) }} as is_status_known,
        {{ departement_code('site_postcode') }} as site_departement_code,
        case when total_excl_tax_eur >= 0 then total_excl_tax_eur end as total_excl_tax_eur,
        case when total_incl_tax_eur >= 0 then total_incl_tax_eur end as total_incl_tax_eur,
        total_excl_tax_eur is null as is_amount_missing,
        coalesce(total_excl_tax_eur < 0, false) as is_amount_negative,
        updated_at
    from source

)

select * from pseudonymised
