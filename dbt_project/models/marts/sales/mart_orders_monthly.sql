with

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

order_categories as (

    select * from {{ ref('int_order_categories') }}

),

orders_by_category as (

    -- An order counts once in each of its categories and once in the all-categories total.
    select orders.*, order_categories.product_category
    from orders
    inner join order_categories on order_categories.order_id = orders.order_id

    union all

    select orders.*, 'Tous' as product_category
    from orders

),

aggregated as (

    select
        order_month,
        product_category,
        case when grouping(departement) = 1 then 'Tous' else departement end as departement,
        case when grouping(acquisition_channel) = 1 then 'Tous' else acquisition_channel end
            as acquisition_channel,
        count(distinct person_key) as n_persons,
        -- An order is one row per category group (order_id unique in int_orders_enriched,
        -- (order_id, product_category) unique in int_order_categories: both tested first).
        count(*) filter (where not is_cancelled) as n_orders,
        count(*) filter (where is_cancelled) as n_orders_cancelled,
        sum(case when not is_cancelled then revenue_excl_tax_eur end) as revenue_excl_tax_eur,
        count(*) filter (where not is_cancelled and is_revenue_unknown) as n_orders_revenue_unknown
    from orders_by_category
    where order_month <= {{ paris_month(run_as_of()) }}
        -- A month whose kept orders retention has begun to purge (a client's, ten years after the
        -- relationship) is not published.
        and {{ is_retained('order_month', ['orders.ordered_at.not_cancelled']) }}
    group by
        order_month,
        product_category,
        grouping sets ((departement, acquisition_channel), (departement), (acquisition_channel), ())

),

with_basket as (

    select
        *,
        revenue_excl_tax_eur / nullif(n_orders - n_orders_revenue_unknown, 0) as average_basket_eur
    from aggregated

),

published as (

    {{ suppress_small_cells(
        'with_basket',
        population='n_persons',
        measures=['n_orders', 'n_orders_cancelled', 'revenue_excl_tax_eur', 'average_basket_eur',
                  'n_orders_revenue_unknown'],
        total_dims=['departement', 'product_category', 'acquisition_channel'],
        fixed_dims=['order_month'],
    ) }}

),

with_cancellations_kept as (

    -- Cancelled orders of prospects who never became clients go with the prospect, three years
    -- after the last contact: where retention has begun to purge them, their count is not
    -- published (NULL in an open cell); the orders and revenue of clients are all there.
    select
        order_month,
        departement,
        product_category,
        acquisition_channel,
        n_persons,
        n_orders,
        case when {{ is_retained('order_month', ['orders.ordered_at']) }} then n_orders_cancelled end
            as n_orders_cancelled,
        revenue_excl_tax_eur,
        average_basket_eur,
        n_orders_revenue_unknown,
        is_suppressed
    from published

)

select * from with_cancellations_kept
