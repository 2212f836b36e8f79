with

source as (

    select * from {{ source('crm', 'products') }}

),

renamed as (

    select
        product_code,
        {{ normalise_code('category', var('product_categories')) }} as product_category,
        label as product_label,
        list_price_excl_tax_eur,
        vat_rate,
        updated_at
    from source

)

select * from renamed
