with

source as (

    select * from {{ source('crm', 'payments') }}

),

renamed as (

    -- IBANs and card digits stay in raw.
    select
        payment_id,
        invoice_id,
        paid_at,
        amount_eur,
        {{ normalise_code('method', ['carte', 'virement', 'cheque', 'financement', 'prime']) }} as payment_method,
        updated_at
    from source

)

select * from renamed
