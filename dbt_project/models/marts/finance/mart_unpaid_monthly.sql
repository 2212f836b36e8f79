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

    -- METRICS.md, impayés: past due_on and not fully paid at month end.
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

aggregated as (

    select
        events.month,
        case when grouping(departement) = 1 then 'Tous' else departement end as departement,
        count(distinct person_key) as n_persons,
        count(case when event = 'unpaid' then 1 end) as n_invoices_unpaid,
        sum(case when event = 'unpaid' then amount_eur end) as amount_unpaid_eur,
        count(case when event = 'opened' then 1 end) as n_collection_cases_opened,
        count(case when event = 'closed' then 1 end) as n_collection_cases_closed,
        sum(case when event = 'closed' then amount_eur end) as amount_recovered_eur
    from events
    inner join months on months.month = events.month
    group by events.month, grouping sets ((departement), ())

),

published as (

    {{ suppress_small_cells(
        'aggregated',
        population='n_persons',
        measures=['n_invoices_unpaid', 'amount_unpaid_eur', 'n_collection_cases_opened', 'n_collection_cases_closed',
                  'amount_recovered_eur'],
        total_dims=['departement'],
        fixed_dims=['month'],
    ) }}

)

select * from published
