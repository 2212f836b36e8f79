{#- The cells of mart_after_sales_monthly, unprotected: tickets opened and closed by category. -#}
with

tickets as (

    select * from {{ ref('stg_crm__service_tickets') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

ticket_events as (

    -- After-sales: tickets opened, and closed, in the month of each event.
    select
        coalesce(contacts.person_key, tickets.contact_key) as person_key,
        coalesce(tickets.ticket_category, 'inconnu') as ticket_category,
        {{ paris_month('tickets.opened_at') }} as month,
        'opened' as event,
        tickets.is_under_warranty,
        cast(null as integer) as days_to_close
    from tickets
    left join contacts on contacts.contact_key = tickets.contact_key

    union all

    select
        coalesce(contacts.person_key, tickets.contact_key),
        coalesce(tickets.ticket_category, 'inconnu'),
        {{ paris_month('tickets.closed_at') }},
        'closed',
        tickets.is_under_warranty,
        {{ dbt.datediff('tickets.opened_at', 'tickets.closed_at', 'day') }}
    from tickets
    left join contacts on contacts.contact_key = tickets.contact_key
    where tickets.closed_at is not null

),

{%- set last_month = paris_month(run_as_of()) %}
months as (

    select month
    from ({{ month_spine("coalesce((select min(month) from ticket_events), " ~ last_month ~ ")", last_month) }}) as spine
    where {{ is_retained('month', ['service_tickets.opened_at', 'service_tickets.closed_at']) }}

),

event_rows as (

    {{ one_way_cells('(select * from ticket_events where month in (select month from months))', 'month',
                     ['ticket_category'], ['person_key', 'event', 'is_under_warranty', 'days_to_close']) }}

),

counted as (

    select
        month,
        ticket_category,
        count(*) filter (where event = 'opened') as n_tickets_opened,
        count(distinct person_key) filter (where event = 'opened') as n_tickets_opened__persons,
        count(*) filter (where event = 'closed') as n_tickets_closed,
        count(distinct person_key) filter (where event = 'closed') as n_tickets_closed__persons,
        count(*) filter (where event = 'opened' and is_under_warranty) as n_tickets_under_warranty,
        count(distinct person_key) filter (where event = 'opened' and is_under_warranty)
            as n_tickets_under_warranty__persons,
        count(*) filter (where event = 'opened' and is_under_warranty is not null) as n_tickets_warranty_known,
        count(distinct person_key) filter (where event = 'opened' and is_under_warranty is not null)
            as n_tickets_warranty_known__persons,
        count(*) filter (where event = 'opened' and not is_under_warranty) as n_tickets_not_under_warranty,
        count(distinct person_key) filter (where event = 'opened' and not is_under_warranty)
            as n_tickets_not_under_warranty__persons,
        {{ median("case when event = 'closed' then days_to_close end") }} as median_days_to_close,
        count(distinct person_key) filter (where event = 'closed' and days_to_close is not null)
            as median_days_to_close__persons
    from event_rows
    group by month, ticket_category

),

grid as (

    {{ one_way_grid('months', 'month', [['ticket_category', var('ticket_categories')]]) }}

),

cells as (

    select
        grid.month,
        grid.ticket_category,
        {%- for c in ['n_tickets_opened', 'n_tickets_closed', 'n_tickets_under_warranty', 'n_tickets_warranty_known', 'n_tickets_not_under_warranty'] %}
        coalesce(counted.{{ c }}, 0) as {{ c }},
        coalesce(counted.{{ c }}__persons, 0) as {{ c }}__persons,
        {%- endfor %}
        counted.median_days_to_close,
        coalesce(counted.median_days_to_close__persons, 0) as median_days_to_close__persons,
        cast(counted.n_tickets_under_warranty as double) / nullif(counted.n_tickets_warranty_known, 0)
            as share_under_warranty
    from grid
    left join counted on counted.month = grid.month and counted.ticket_category = grid.ticket_category

),

numbered as (

    select *, row_number() over (order by month, ticket_category) as cell_number
    from cells

)

select * from numbered
