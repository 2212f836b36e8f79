with

source as (

    select * from {{ source('crm', 'consents') }}

),

pseudonymised as (

    select
        consent_id,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        {{ normalise_code('purpose', ['prospection_email', 'prospection_telephone', 'enquetes_satisfaction']) }}
            as purpose,
        granted as is_granted,
        {{ normalise_code('source', ['formulaire', 'telephone', 'email', 'bloctel']) }} as consent_source,
        recorded_at,
        updated_at
    from source

)

select * from pseudonymised
