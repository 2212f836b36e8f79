with

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

persons as (

    select * from {{ ref('int_persons_resolved') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

installations as (

    select * from {{ ref('stg_crm__installations') }}

),

tickets as (

    select * from {{ ref('stg_crm__service_tickets') }}

),

invoices as (

    select * from {{ ref('int_invoices_settled') }}

),

clients as (

    -- METRICS.md: a client is a person with at least one order that was not cancelled;
    -- a new client is counted in the month of that first order.
    select
        orders.person_key,
        min(orders.order_month) as first_order_month,
        coalesce(min(persons.departement), 'inconnu') as departement
    from orders
    left join persons on persons.person_key = orders.person_key
    where not orders.is_cancelled
    group by orders.person_key

),

{%- set last_month = paris_month(run_as_of()) %}
{%- set first_month = "coalesce((select min(order_month) from " ~ ref('int_orders_enriched') ~ "), " ~ last_month ~ ")" %}
months as (

    {{ month_spine(first_month, last_month) }}

),

activity as (

    select person_key, order_month as month from orders
    union
    select orders.person_key, {{ paris_month('installations.completed_at') }}
    from installations inner join orders on orders.order_id = installations.order_id
    where installations.completed_at is not null
    union
    select contacts.person_key, {{ paris_month('tickets.opened_at') }}
    from tickets inner join contacts on contacts.contact_key = tickets.contact_key
    union
    select person_key, {{ paris_month('issued_at') }} from invoices

),

client_months as (

    select clients.person_key, clients.departement, months.month, 'nouveaux_clients' as measure
    from clients inner join months on months.month = clients.first_order_month

    union all

    select clients.person_key, clients.departement, activity.month, 'clients_actifs' as measure
    from activity
    inner join clients on clients.person_key = activity.person_key
    inner join months on months.month = activity.month
    where clients.first_order_month <= activity.month

),

counted as (

    select
        month,
        measure,
        case when grouping(departement) = 1 then 'Tous' else departement end as departement,
        count(distinct person_key) as n_persons
    from client_months
    group by month, measure, grouping sets ((departement), ())

),

cumulated as (

    -- Each client is new in exactly one month: the clients to date are the running sum of
    -- new clients, month after month (no need to repeat every client in every month).
    select
        months.month,
        'clients_cumules' as measure,
        departements.departement,
        sum(coalesce(new_clients.n_persons, 0)) over (
            partition by departements.departement order by months.month rows between unbounded preceding and current row
        ) as n_persons
    from months
    cross join (select distinct departement from counted where measure = 'nouveaux_clients') as departements
    left join counted as new_clients
        on new_clients.month = months.month
        and new_clients.departement = departements.departement
        and new_clients.measure = 'nouveaux_clients'

),

aggregated as (

    select month, measure, departement, n_persons from counted
    union all
    select month, measure, departement, n_persons from cumulated where n_persons > 0

),

published as (

    {{ suppress_small_cells(
        'aggregated',
        population='n_persons',
        measures=[],
        total_dims=['departement'],
        fixed_dims=['month', 'measure'],
    ) }}

)

select * from published
