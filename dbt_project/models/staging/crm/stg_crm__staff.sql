with

source as (

    select * from {{ source('crm', 'staff') }}

),

renamed as (

    -- Employees' names and emails stay in raw: the statistics need only role and team.
    select
        staff_id,
        {{ normalise_code('role', ['charge_affaires', 'technicien']) }} as staff_role,
        team,
        hired_on,
        updated_at
    from source

)

select * from renamed
