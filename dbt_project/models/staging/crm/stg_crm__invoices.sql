with

source as (

    select * from {{ source('crm', 'invoices') }}

),

renamed as (

    select
        invoice_id,
        order_id,
        issued_at,
        due_on,
        case when amount_incl_tax_eur >= 0 then amount_incl_tax_eur end as amount_incl_tax_eur,
        coalesce(amount_incl_tax_eur < 0, false) as is_amount_negative,
        {{ normalise_code('status', ['emise', 'payee', 'partiellement_payee', 'en_retard', 'annulee']) }}
            as invoice_status,
        {{ is_known_code('status', ['emise', 'payee', 'partiellement_payee', 'en_retard', 'annulee']) }}
            as is_status_known,
        due_on > cast({{ run_as_of() }} as date) + 365 as is_due_implausibly_late,
        updated_at
    from source

)

select * from renamed
