with

source as (

    select * from {{ source('crm', 'collection_cases') }}

),

renamed as (

    select
        case_id,
        invoice_id,
        opened_at,
        {{ normalise_code('stage', ['relance', 'mise_en_demeure', 'recouvrement_externe']) }} as collection_stage,
        closed_at,
        recovered_eur,
        updated_at
    from source

)

select * from renamed
