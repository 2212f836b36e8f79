with

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

quotes as (

    select * from {{ ref('stg_crm__quotes') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

persons as (

    select * from {{ ref('int_persons_resolved') }}

),

joined as (

    select
        orders.order_id,
        orders.quote_id,
        -- An order whose contact is unknown to the CRM (an orphan) is its own person.
        coalesce(contacts.person_key, orders.contact_key) as person_key,
        orders.ordered_at,
        {{ paris_month('orders.ordered_at') }} as order_month,
        {{ departement_dimension('coalesce(orders.site_departement_code, quotes.site_departement_code, contacts.departement_code)') }}
            as departement,
        coalesce(persons.acquisition_channel, 'inconnu') as acquisition_channel,
        orders.order_status,
        orders.is_cancelled,
        orders.cancelled_at,
        -- docs/glossary.md, orders and revenue: the signed quote's amount excluding tax.
        quotes.total_excl_tax_eur as revenue_excl_tax_eur,
        quotes.total_excl_tax_eur is null as is_revenue_unknown,
        quotes.signed_at
    from orders
    left join quotes
        on quotes.quote_id = orders.quote_id
    left join contacts
        on contacts.contact_key = orders.contact_key
    left join persons
        on persons.person_key = contacts.person_key

)

select * from joined
