{#- The cells of mart_financing_monthly, unprotected: financing requests by partner and month. -#}
with

financing as (

    select * from {{ ref('stg_crm__financing_requests') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

{%- set partners = var('financing_partners') %}
requests as (

    select
        coalesce(contacts.person_key, financing.contact_key) as person_key,
        {{ paris_month('financing.requested_at') }} as requested_month,
        -- The partner is CRM free text: only the documented partners are published by name.
        case
            when financing.financing_partner is null then 'inconnu'
            {%- for p in partners %}
            when financing.financing_partner = '{{ p }}' then '{{ p }}'
            {%- endfor %}
            else 'autre'
        end as financing_partner,
        financing.financing_status,
        financing.amount_eur
    from financing
    left join contacts on contacts.contact_key = financing.contact_key

),

{%- set last_month = paris_month(run_as_of()) %}
months as (

    select month as requested_month
    from ({{ month_spine("coalesce((select min(requested_month) from requests), " ~ last_month ~ ")", last_month) }}) as spine
    where {{ is_retained('month', ['financing_requests.requested_at']) }}

),

request_rows as (

    {{ one_way_cells('(select * from requests where requested_month in (select requested_month from months))',
                     'requested_month', ['financing_partner'], ['person_key', 'financing_status', 'amount_eur']) }}

),

counted as (

    select
        requested_month,
        financing_partner,
        count(*) as n_requests,
        count(distinct person_key) as n_requests__persons,
        count(*) filter (where financing_status = 'acceptee') as n_accepted,
        count(distinct person_key) filter (where financing_status = 'acceptee') as n_accepted__persons,
        count(*) filter (where financing_status = 'refusee') as n_refused,
        count(distinct person_key) filter (where financing_status = 'refusee') as n_refused__persons,
        count(*) filter (where financing_status is distinct from 'acceptee' and financing_status is distinct from 'refusee')
            as n_undecided,
        count(distinct person_key) filter (
            where financing_status is distinct from 'acceptee' and financing_status is distinct from 'refusee'
        ) as n_undecided__persons
    from request_rows
    group by requested_month, financing_partner

),

requested_amounts as (

    {{ top_contributions('request_rows', ['requested_month', 'financing_partner'], 'amount_eur', 'amount_requested_eur') }}

),

accepted_amounts as (

    {{ top_contributions('request_rows', ['requested_month', 'financing_partner'], 'amount_eur', 'amount_accepted_eur',
                         where="financing_status = 'acceptee'") }}

),

grid as (

    {{ one_way_grid('months', 'requested_month', [['financing_partner', partners + ['autre', 'inconnu']]]) }}

),

cells as (

    select
        grid.requested_month,
        grid.financing_partner,
        {%- for c in ['n_requests', 'n_accepted', 'n_refused', 'n_undecided'] %}
        coalesce(counted.{{ c }}, 0) as {{ c }},
        coalesce(counted.{{ c }}__persons, 0) as {{ c }}__persons,
        {%- endfor %}
        {%- for relation, amount in [('requested_amounts', 'amount_requested_eur'), ('accepted_amounts', 'amount_accepted_eur')] %}
        coalesce({{ relation }}.{{ amount }}, 0) as {{ amount }},
        coalesce({{ relation }}.{{ amount }}__persons, 0) as {{ amount }}__persons,
        coalesce({{ relation }}.{{ amount }}__top1, 0) as {{ amount }}__top1,
        coalesce({{ relation }}.{{ amount }}__top2, 0) as {{ amount }}__top2,
        {%- endfor %}
        cast(counted.n_accepted as double) / nullif(counted.n_accepted + counted.n_refused, 0) as acceptance_rate
    from grid
    {%- for relation in ['counted', 'requested_amounts', 'accepted_amounts'] %}
    left join {{ relation }}
        on {{ relation }}.requested_month = grid.requested_month
        and {{ relation }}.financing_partner = grid.financing_partner
    {%- endfor %}

),

numbered as (

    select *, row_number() over (order by requested_month, financing_partner) as cell_number
    from cells

)

select * from numbered
