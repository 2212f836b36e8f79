with

source as (

    select * from {{ source('crm', 'service_tickets') }}

),

pseudonymised as (

    -- The free-text description stays in raw.
    select
        ticket_id,
        order_id,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        opened_at,
        {{ normalise_code('category', ['panne', 'entretien', 'reclamation', 'garantie']) }} as ticket_category,
        under_warranty as is_under_warranty,
        closed_at,
        updated_at
    from source

)

select * from pseudonymised
