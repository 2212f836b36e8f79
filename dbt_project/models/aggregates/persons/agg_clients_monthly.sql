{#- The cells of mart_clients_monthly, unprotected: clients are persons, each their own base. -#}
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

    -- A client is a person with at least one order that was not cancelled;
    -- a new client is counted in the month of that first order, under one département.
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
months as (

    select month
    from ({{ month_spine("coalesce((select min(order_month) from " ~ ref('int_orders_enriched') ~ "), " ~ last_month ~ ")", last_month) }}) as spine

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

client_facts as (

    select clients.person_key, clients.departement, months.month, 'new' as measure
    from clients inner join months on months.month = clients.first_order_month

    union all

    select clients.person_key, clients.departement, activity.month, 'active' as measure
    from activity
    inner join clients on clients.person_key = activity.person_key
    inner join months on months.month = activity.month
    where clients.first_order_month <= activity.month

),

client_rows as (

    {{ one_way_cells('client_facts', 'month', ['departement'], ['person_key', 'measure']) }}

),

counted as (

    select
        month,
        departement,
        count(distinct person_key) filter (where measure = 'new') as n_new_clients,
        count(distinct person_key) filter (where measure = 'active') as n_active_clients
    from client_rows
    group by month, departement

),

grid as (

    {{ one_way_grid('months', 'month', [['departement', var('departements')]]) }}

),

cells as (

    select
        grid.month,
        grid.departement,
        coalesce(counted.n_new_clients, 0) as n_new_clients,
        coalesce(counted.n_active_clients, 0) as n_active_clients
    from grid
    left join counted on counted.month = grid.month and counted.departement = grid.departement

),

numbered as (

    select *, row_number() over (order by month, departement) as cell_number
    from cells

)

select * from numbered
