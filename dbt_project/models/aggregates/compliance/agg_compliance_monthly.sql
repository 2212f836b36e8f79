{#- The cells of mart_compliance_monthly: what the privacy policy's processes did each month. -#}
with

requests as (

    select * from {{ ref('stg_crm__privacy_requests') }}

),

events as (

    select * from {{ source('ops', 'gdpr_events') }}

),

contacts as (

    select * from {{ ref('int_contacts_resolved') }}

),

erasures as (

    -- Erasures the CRM executed, by month of execution: persons (a request names a contact;
    -- the contact's person when the warehouse still knew it, else the contact itself).
    select
        {{ paris_month('requests.completed_at') }} as month,
        'effacement' as rule,
        count(distinct coalesce(contacts.person_key, requests.contact_key)) as n_removed
    from requests
    left join contacts on contacts.contact_key = requests.contact_key
    where requests.request_kind = 'effacement' and requests.completed_at is not null
        and requests.completed_at <= {{ run_as_of() }}
    group by 1, 2

),

purges as (

    -- Rows retention removed, by month of the night that removed them.
    select {{ paris_month('recorded_at') }} as month, rule, sum(rows_removed) as n_removed
    from events
    where kind = 'retention'
    group by 1, 2

),

facts as (

    select * from erasures
    union all
    select * from purges

),

{%- set last_month = paris_month(run_as_of()) %}
months as (

    select month
    from ({{ month_spine("coalesce((select min(month) from facts), " ~ last_month ~ ")", last_month) }}) as spine

),

grid as (

    select months.month, rules.value as rule
    from months
    cross join ({{ dimension_values(['effacement'] + var('retention_rules')) }}) as rules

),

cells as (

    select
        grid.month,
        grid.rule,
        coalesce(facts.n_removed, 0) as n_removed
    from grid
    left join facts on facts.month = grid.month and facts.rule = grid.rule

),

numbered as (

    select *, row_number() over (order by month, rule) as cell_number
    from cells

)

select * from numbered
