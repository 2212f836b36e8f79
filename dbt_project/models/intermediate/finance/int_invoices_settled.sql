with

invoices as (

    select * from {{ ref('stg_crm__invoices') }}

),

payments as (

    select * from {{ ref('stg_crm__payments') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

running_payments as (

    select
        invoice_id,
        paid_at,
        sum(amount_eur) over (
            partition by invoice_id order by paid_at, payment_id rows between unbounded preceding and current row
        ) as paid_so_far
    from payments

),

settlement as (

    select
        invoices.invoice_id,
        min(case when running_payments.paid_so_far >= invoices.amount_incl_tax_eur - 0.005
                 then running_payments.paid_at end) as settled_at,
        max(running_payments.paid_so_far) as paid_total_eur
    from invoices
    left join running_payments on running_payments.invoice_id = invoices.invoice_id
    group by invoices.invoice_id

),

settled as (

    select
        invoices.invoice_id,
        invoices.order_id,
        -- An invoice of an unknown order (an orphan) is its own person.
        coalesce(orders.person_key, {{ pseudonymise('orphan_invoice', 'invoices.invoice_id') }}) as person_key,
        coalesce(orders.departement, 'inconnu') as departement,
        invoices.issued_at,
        invoices.due_on,
        invoices.amount_incl_tax_eur,
        coalesce(settlement.paid_total_eur, 0) as paid_total_eur,
        invoices.invoice_status,
        coalesce(invoices.invoice_status = 'annulee', false) as is_cancelled,  -- no status: not cancelled
        -- Paid when the payments cover the amount; an invoice the CRM marks paid without its
        -- payment rows is taken as paid at its last update.
        coalesce(
            settlement.settled_at,
            case when invoices.invoice_status = 'payee' then invoices.updated_at end
        ) as paid_at,
        invoices.updated_at
    from invoices
    left join settlement on settlement.invoice_id = invoices.invoice_id
    left join orders on orders.order_id = invoices.order_id

)

select * from settled
