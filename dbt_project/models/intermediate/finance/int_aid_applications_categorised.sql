with

applications as (

    select * from {{ ref('stg_crm__aid_applications') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

categorised as (

    select
        applications.application_id,
        coalesce(contacts.person_key, applications.contact_key) as person_key,
        applications.aid_scheme,
        -- The household's region decides which ceilings apply (Île-de-France or elsewhere).
        coalesce(
            case
                when orders.departement in {{ ile_de_france_departements() }}
                    then applications.mpr_category_if_ile_de_france
                when orders.departement = 'hors_idf'
                    then applications.mpr_category_if_other_region
                when contacts.is_ile_de_france
                    then applications.mpr_category_if_ile_de_france
                else applications.mpr_category_if_other_region
            end,
            'inconnue'
        ) as mpr_income_category,
        applications.household_size_band,
        applications.aid_status,
        applications.submitted_at,
        {{ paris_month('applications.submitted_at') }} as submitted_month,
        applications.decided_at,
        applications.paid_at,
        applications.requested_eur,
        applications.granted_eur,
        applications.aid_status in ('accordee', 'versee') as is_granted,
        applications.aid_status = 'refusee' as is_refused,
        applications.aid_status = 'versee' as is_paid,
        {{ dbt.datediff('applications.submitted_at', 'applications.decided_at', 'day') }} as days_to_decision
    from applications
    left join contacts on contacts.contact_key = applications.contact_key
    left join orders on orders.order_id = applications.order_id

)

select * from categorised
