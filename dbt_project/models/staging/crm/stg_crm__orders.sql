with

source as (

    select * from {{ source('crm', 'orders') }}

),

pseudonymised as (

    -- The site's street address and city stay in raw; the département is kept.
    select
        order_id,
        quote_id,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        ordered_at,
        {{ normalise_code('status', ['a_planifier', 'planifiee', 'installee', 'annulee']) }} as order_status,
        {{ is_known_code('status', ['a_planifier', 'planifiee', 'installee', 'annulee']) }} as is_status_known,
        {{ departement_code('site_postcode') }} as site_departement_code,
        cancelled_at,
        -- No status and no cancellation time is not a cancellation (never NULL: the marts would
        -- count the order as neither cancelled nor not).
        (
            cancelled_at is not null
            or coalesce({{ normalise_code('status', ['a_planifier', 'planifiee', 'installee', 'annulee']) }} = 'annulee', false)
        ) as is_cancelled,
        updated_at
    from source

)

select * from pseudonymised
