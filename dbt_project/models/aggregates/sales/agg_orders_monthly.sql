{#- The cells of mart_orders_monthly, unprotected: figures with the persons behind each. -#}
with

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

order_categories as (

    select * from {{ ref('int_order_categories') }}

),

{%- set last_month = paris_month(run_as_of()) %}

months as (

    -- Months from the first order to the run's; a month whose kept orders retention has begun
    -- to purge (a client's, ten years after the relationship) is not published.
    select month as order_month
    from ({{ month_spine("coalesce((select min(order_month) from " ~ ref('int_orders_enriched') ~ "), " ~ last_month ~ ")", last_month) }}) as spine
    where {{ is_retained('month', ['orders.ordered_at.not_cancelled']) }}

),

order_facts as (

    -- One row per order and category (an order counts once in each of its categories).
    select
        orders.order_month,
        orders.departement,
        order_categories.product_category,
        orders.acquisition_channel,
        orders.person_key,
        orders.order_id,
        orders.is_cancelled,
        orders.is_revenue_unknown,
        orders.revenue_excl_tax_eur
    from orders
    inner join order_categories on order_categories.order_id = orders.order_id
    where orders.order_month in (select order_month from months)

),

order_rows as (

    -- Each order once in 'Tous', once under its département, channel and each category.
    select distinct order_month, departement, product_category, acquisition_channel, person_key, order_id,
        is_cancelled, is_revenue_unknown, revenue_excl_tax_eur
    from (
        {{ one_way_cells('order_facts', 'order_month', ['departement', 'product_category', 'acquisition_channel'],
                         ['person_key', 'order_id', 'is_cancelled', 'is_revenue_unknown', 'revenue_excl_tax_eur']) }}
    ) as expanded

),

counted as (

    select
        order_month,
        departement,
        product_category,
        acquisition_channel,
        count(*) filter (where not is_cancelled) as n_orders,
        count(distinct person_key) filter (where not is_cancelled) as n_orders__persons,
        count(*) filter (where is_cancelled) as n_orders_cancelled,
        count(distinct person_key) filter (where is_cancelled) as n_orders_cancelled__persons,
        count(*) filter (where not is_cancelled and is_revenue_unknown) as n_orders_revenue_unknown,
        count(distinct person_key) filter (where not is_cancelled and is_revenue_unknown)
            as n_orders_revenue_unknown__persons
    from order_rows
    group by order_month, departement, product_category, acquisition_channel

),

revenue as (

    {{ top_contributions('order_rows', ['order_month', 'departement', 'product_category', 'acquisition_channel'],
                         'revenue_excl_tax_eur', 'revenue_excl_tax_eur', where='not is_cancelled') }}

),

grid as (

    {{ one_way_grid('months', 'order_month', [
        ['departement', var('departements')],
        ['product_category', var('product_categories') + ['non_renseignee']],
        ['acquisition_channel', var('acquisition_channels')],
    ]) }}

),

cells as (

    select
        grid.order_month,
        grid.departement,
        grid.product_category,
        grid.acquisition_channel,
        coalesce(counted.n_orders, 0) as n_orders,
        coalesce(counted.n_orders__persons, 0) as n_orders__persons,
        -- Cancelled orders of prospects who never bought go with the prospect, three years
        -- after the last contact: where retention has begun to purge them, not computable.
        case when {{ is_retained('grid.order_month', ['orders.ordered_at']) }}
            then coalesce(counted.n_orders_cancelled, 0) end as n_orders_cancelled,
        coalesce(counted.n_orders_cancelled__persons, 0) as n_orders_cancelled__persons,
        coalesce(revenue.revenue_excl_tax_eur, 0) as revenue_excl_tax_eur,
        coalesce(revenue.revenue_excl_tax_eur__persons, 0) as revenue_excl_tax_eur__persons,
        coalesce(revenue.revenue_excl_tax_eur__top1, 0) as revenue_excl_tax_eur__top1,
        coalesce(revenue.revenue_excl_tax_eur__top2, 0) as revenue_excl_tax_eur__top2,
        coalesce(counted.n_orders_revenue_unknown, 0) as n_orders_revenue_unknown,
        coalesce(counted.n_orders_revenue_unknown__persons, 0) as n_orders_revenue_unknown__persons,
        revenue.revenue_excl_tax_eur
            / nullif(coalesce(counted.n_orders, 0) - coalesce(counted.n_orders_revenue_unknown, 0), 0)
            as average_basket_eur
    from grid
    left join counted
        on counted.order_month = grid.order_month
        and counted.departement = grid.departement
        and counted.product_category = grid.product_category
        and counted.acquisition_channel = grid.acquisition_channel
    left join revenue
        on revenue.order_month = grid.order_month
        and revenue.departement = grid.departement
        and revenue.product_category = grid.product_category
        and revenue.acquisition_channel = grid.acquisition_channel

),

numbered as (

    select
        *,
        row_number() over (order by order_month, departement, product_category, acquisition_channel) as cell_number
    from cells

)

select * from numbered
