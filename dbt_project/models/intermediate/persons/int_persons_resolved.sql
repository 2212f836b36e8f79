with

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

ranked as (

    -- The person's first contact decides the cohort and the acquisition channel; a creation
    -- date in the future (a typing error in the CRM) never comes first.
    select
        *,
        row_number() over (
            partition by person_key
            order by is_created_at_in_future, created_at, contact_key
        ) as contact_rank,
        count(*) over (partition by person_key) as contact_count
    from contacts

),

persons as (

    select
        person_key,
        created_at as first_contact_at,
        {{ paris_month('created_at') }} as cohort_month,
        is_created_at_in_future as is_first_contact_in_future,
        coalesce(acquisition_channel, 'inconnu') as acquisition_channel,
        {{ departement_dimension('departement_code') }} as departement,
        is_ile_de_france,
        contact_count
    from ranked
    where contact_rank = 1

)

select * from persons
