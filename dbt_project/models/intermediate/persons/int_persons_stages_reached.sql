with

persons as (

    select * from {{ ref('int_persons_resolved') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

requests as (

    select * from {{ ref('stg_crm__requests') }}

),

quotes as (

    select * from {{ ref('stg_crm__quotes') }}

),

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

installations as (

    select * from {{ ref('stg_crm__installations') }}

),

invoices as (

    select * from {{ ref('int_invoices_settled') }}

),

demand as (

    select contacts.person_key, min(requests.created_at) as reached_at
    from requests
    inner join contacts on contacts.contact_key = requests.contact_key
    where requests.request_kind in ('devis', 'rendez_vous')
    group by contacts.person_key

),

quotes_sent as (

    select contacts.person_key, min(quotes.sent_at) as reached_at
    from quotes
    inner join contacts on contacts.contact_key = quotes.contact_key
    where quotes.sent_at is not null
    group by contacts.person_key

),

quotes_signed as (

    select contacts.person_key, min(quotes.signed_at) as reached_at
    from quotes
    inner join contacts on contacts.contact_key = quotes.contact_key
    where quotes.signed_at is not null
    group by contacts.person_key

),

installed as (

    select contacts.person_key, min(installations.completed_at) as reached_at
    from installations
    inner join orders on orders.order_id = installations.order_id
    inner join contacts on contacts.contact_key = orders.contact_key
    where installations.completed_at is not null
    group by contacts.person_key

),

paid as (

    select person_key, min(paid_at) as reached_at
    from invoices
    where invoice_status = 'payee'
    group by person_key

),

stages as (

    -- docs/glossary.md, acquisition funnel: when each person first reached each stage.
    select
        persons.person_key,
        persons.cohort_month,
        persons.acquisition_channel,
        persons.is_first_contact_in_future,
        persons.first_contact_at,
        demand.reached_at as demande_at,
        quotes_sent.reached_at as devis_envoye_at,
        quotes_signed.reached_at as devis_signe_at,
        installed.reached_at as installe_at,
        paid.reached_at as paye_at
    from persons
    left join demand on demand.person_key = persons.person_key
    left join quotes_sent on quotes_sent.person_key = persons.person_key
    left join quotes_signed on quotes_signed.person_key = persons.person_key
    left join installed on installed.person_key = persons.person_key
    left join paid on paid.person_key = persons.person_key

)

select * from stages
