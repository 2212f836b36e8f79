with

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

quote_lines as (

    select * from {{ ref('stg_crm__quote_lines') }}

),

products as (

    select * from {{ ref('stg_crm__products') }}

),

line_categories as (

    select distinct
        quote_lines.quote_id,
        coalesce(products.product_category, 'non_renseignee') as product_category
    from quote_lines
    left join products
        on products.product_code = quote_lines.product_code

),

categorised as (

    -- docs/glossary.md: an order with several categories counts once in each of them.
    select distinct
        orders.order_id,
        coalesce(line_categories.product_category, 'non_renseignee') as product_category
    from orders
    left join line_categories
        on line_categories.quote_id = orders.quote_id

)

select * from categorised
