with

source as (

    select * from {{ source('crm', 'quote_lines') }}

),

renamed as (

    select
        quote_id,
        line_no,
        product_code,
        quantity,
        unit_price_excl_tax_eur,
        quantity * unit_price_excl_tax_eur as line_amount_excl_tax_eur,
        updated_at
    from source

)

select * from renamed
