{#- The cells of mart_unpaid_monthly, unprotected: unpaid invoices at month end, collection cases. -#}
with

invoices as (

    -- Paris times computed once per invoice, not once per (invoice, month) pair of the join below.
    select
        *,
        {{ to_paris_time('issued_at') }} as issued_at_paris,
        {{ to_paris_time('paid_at') }} as paid_at_paris
    from {{ ref('int_invoices_settled') }}

),

payments as (

    select * from {{ ref('stg_crm__payments') }}

),

cases as (

    select * from {{ ref('stg_crm__collection_cases') }}

),

{%- set last_month = paris_month(run_as_of()) %}
{%- set first_month = "coalesce((select min(" ~ paris_month('issued_at') ~ ") from " ~ ref('int_invoices_settled') ~ "), " ~ last_month ~ ")" %}
months as (

    {{ month_spine(first_month, last_month) }}

),

month_ends as (

    -- The end of each month in Paris time; the current month ends at the run: an invoice due
    -- later this month is not past due yet, one issued or paid after the run not yet either.
    -- An invoice is past due once its due day has ended, so it counts when due_on < ends_on.
    select
        month,
        ends_at,
        cast(ends_at as date) as ends_on
    from (
        select
            month,
            least(
                cast({{ dbt.dateadd('month', 1, 'month') }} as timestamp),
                {{ to_paris_time(run_as_of()) }}
            ) as ends_at
        from months
    ) as ends

),

unpaid_at_month_end as (

    -- Unpaid (impayés): past due_on and not fully paid at month end.
    select
        month_ends.month,
        invoices.invoice_id,
        invoices.person_key,
        invoices.departement,
        invoices.amount_incl_tax_eur,
        month_ends.ends_at
    from invoices
    inner join month_ends
        on invoices.due_on < month_ends.ends_on
        and invoices.issued_at_paris < month_ends.ends_at
        and (invoices.paid_at_paris is null or invoices.paid_at_paris >= month_ends.ends_at)
    where not invoices.is_cancelled and invoices.amount_incl_tax_eur is not null

),

outstanding as (

    select
        unpaid.month,
        unpaid.invoice_id,
        unpaid.person_key,
        unpaid.departement,
        unpaid.amount_incl_tax_eur - coalesce(sum(payments.amount_eur), 0) as outstanding_eur
    from unpaid_at_month_end as unpaid
    left join payments
        on payments.invoice_id = unpaid.invoice_id
        and {{ to_paris_time('payments.paid_at') }} < unpaid.ends_at
    group by unpaid.month, unpaid.invoice_id, unpaid.person_key, unpaid.departement, unpaid.amount_incl_tax_eur

),

case_events as (

    select
        invoices.person_key,
        invoices.departement,
        {{ paris_month('cases.opened_at') }} as month,
        'opened' as event,
        cast(null as decimal(18, 2)) as recovered_eur
    from cases
    inner join invoices on invoices.invoice_id = cases.invoice_id

    union all

    select
        invoices.person_key,
        invoices.departement,
        {{ paris_month('cases.closed_at') }},
        'closed',
        cases.recovered_eur
    from cases
    inner join invoices on invoices.invoice_id = cases.invoice_id
    where cases.closed_at is not null

),

events as (

    select month, person_key, departement, 'unpaid' as event, outstanding_eur as amount_eur from outstanding
    union all
    select month, person_key, departement, event, recovered_eur from case_events

),

event_rows as (

    {{ one_way_cells('(select events.* from events inner join months on months.month = events.month)', 'month',
                     ['departement'], ['person_key', 'event', 'amount_eur']) }}

),

counted as (

    select
        month,
        departement,
        count(*) filter (where event = 'unpaid') as n_invoices_unpaid,
        count(distinct person_key) filter (where event = 'unpaid') as n_invoices_unpaid__persons,
        count(*) filter (where event = 'opened') as n_collection_cases_opened,
        count(distinct person_key) filter (where event = 'opened') as n_collection_cases_opened__persons,
        count(*) filter (where event = 'closed') as n_collection_cases_closed,
        count(distinct person_key) filter (where event = 'closed') as n_collection_cases_closed__persons
    from event_rows
    group by month, departement

),

unpaid_amounts as (

    {{ top_contributions('event_rows', ['month', 'departement'], 'amount_eur', 'amount_unpaid_eur', where="event = 'unpaid'") }}

),

recovered_amounts as (

    {{ top_contributions('event_rows', ['month', 'departement'], 'amount_eur', 'amount_recovered_eur', where="event = 'closed'") }}

),

grid as (

    {{ one_way_grid('months', 'month', [['departement', var('departements')]]) }}

),

cells as (

    select
        grid.month,
        grid.departement,
        {%- for c in ['n_invoices_unpaid', 'n_collection_cases_opened', 'n_collection_cases_closed'] %}
        coalesce(counted.{{ c }}, 0) as {{ c }},
        coalesce(counted.{{ c }}__persons, 0) as {{ c }}__persons,
        {%- endfor %}
        {%- for relation, amount in [('unpaid_amounts', 'amount_unpaid_eur'), ('recovered_amounts', 'amount_recovered_eur')] %}
        coalesce({{ relation }}.{{ amount }}, 0) as {{ amount }},
        coalesce({{ relation }}.{{ amount }}__persons, 0) as {{ amount }}__persons,
        coalesce({{ relation }}.{{ amount }}__top1, 0) as {{ amount }}__top1,
        coalesce({{ relation }}.{{ amount }}__top2, 0) as {{ amount }}__top2{% if not loop.last %},{% endif %}
        {%- endfor %}
    from grid
    {%- for relation in ['counted', 'unpaid_amounts', 'recovered_amounts'] %}
    left join {{ relation }} on {{ relation }}.month = grid.month and {{ relation }}.departement = grid.departement
    {%- endfor %}

),

numbered as (

    select *, row_number() over (order by month, departement) as cell_number
    from cells

)

select * from numbered
