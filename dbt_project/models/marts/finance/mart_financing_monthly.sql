with

financing as (

    select * from {{ ref('stg_crm__financing_requests') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

requests as (

    select
        coalesce(contacts.person_key, financing.contact_key) as person_key,
        {{ paris_month('financing.requested_at') }} as requested_month,
        coalesce(financing.financing_partner, 'inconnu') as financing_partner,
        financing.financing_status,
        financing.amount_eur
    from financing
    left join contacts on contacts.contact_key = financing.contact_key

),

aggregated as (

    -- METRICS.md, financing: requests, acceptance rate and amounts by partner and month.
    select
        requested_month,
        case when grouping(financing_partner) = 1 then 'Tous' else financing_partner end as financing_partner,
        count(distinct person_key) as n_persons,
        count(*) as n_requests,
        count(case when financing_status = 'acceptee' then 1 end) as n_accepted,
        count(case when financing_status = 'refusee' then 1 end) as n_refused,
        sum(amount_eur) as amount_requested_eur,
        sum(case when financing_status = 'acceptee' then amount_eur end) as amount_accepted_eur
    from requests
    where requested_month <= {{ paris_month(run_as_of()) }}
        and {{ is_retained('requested_month', ['financing_requests.requested_at']) }}
    group by requested_month, grouping sets ((financing_partner), ())

),

with_rates as (

    select
        *,
        cast(n_accepted as double) / nullif(n_accepted + n_refused, 0) as acceptance_rate
    from aggregated

),

published as (

    {{ suppress_small_cells(
        'with_rates',
        population='n_persons',
        measures=['n_requests', 'n_accepted', 'n_refused', 'amount_requested_eur', 'amount_accepted_eur',
                  'acceptance_rate'],
        total_dims=['financing_partner'],
        fixed_dims=['requested_month'],
    ) }}

)

select * from published
