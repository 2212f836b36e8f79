with

source as (

    select * from {{ source('crm', 'installations') }}

),

renamed as (

    -- The photo of the home stays in raw.
    select
        installation_id,
        order_id,
        technician_id,
        scheduled_for,
        completed_at,
        scheduled_for > cast({{ run_as_of() }} as date) + 730 as is_scheduled_implausibly_late,
        updated_at
    from source

)

select * from renamed
