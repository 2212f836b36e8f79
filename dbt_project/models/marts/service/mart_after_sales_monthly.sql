with

tickets as (

    select * from {{ ref('stg_crm__service_tickets') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

ticket_events as (

    -- METRICS.md, after-sales: tickets opened, and closed, in the month of each event.
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

aggregated as (

    select
        month,
        case when grouping(ticket_category) = 1 then 'Tous' else ticket_category end as ticket_category,
        count(distinct person_key) as n_persons,
        count(case when event = 'opened' then 1 end) as n_tickets_opened,
        count(case when event = 'closed' then 1 end) as n_tickets_closed,
        {{ median("case when event = 'closed' then days_to_close end") }} as median_days_to_close,
        cast(count(case when event = 'opened' and is_under_warranty then 1 end) as double)
            / nullif(count(case when event = 'opened' and is_under_warranty is not null then 1 end), 0)
            as share_under_warranty
    from ticket_events
    where month <= {{ paris_month(run_as_of()) }}
        and {{ is_retained('month', ['service_tickets.opened_at', 'service_tickets.closed_at']) }}
    group by month, grouping sets ((ticket_category), ())

),

published as (

    {{ suppress_small_cells(
        'aggregated',
        population='n_persons',
        measures=['n_tickets_opened', 'n_tickets_closed', 'median_days_to_close', 'share_under_warranty'],
        total_dims=['ticket_category'],
        fixed_dims=['month'],
    ) }}

)

select * from published
