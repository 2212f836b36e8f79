with

source as (

    select * from {{ source('crm', 'contacts') }}

),

normalised as (

    select
        contact_id,
        {{ normalise_email('email') }} as email_normalised,
        {{ normalise_phone('phone') }} as phone_e164,
        email is not null as has_email,
        phone is not null as has_phone,
        {{ departement_code('postcode') }} as departement_code,
        {{ normalise_code('acquisition_channel', ['formulaire_web', 'telephone', 'apporteur', 'parrainage', 'salon']) }}
            as acquisition_channel,
        {{ is_known_code('acquisition_channel', ['formulaire_web', 'telephone', 'apporteur', 'parrainage', 'salon']) }}
            as is_acquisition_channel_known,
        lead_provider,
        created_at,
        last_contact_at,
        updated_at
    from source

),

pseudonymised as (

    select
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        {{ pseudonymise('email', 'email_normalised') }} as email_key,
        {{ pseudonymise('phone', 'phone_e164') }} as phone_key,
        email_normalised is not null as is_email_valid,
        phone_e164 is not null as is_phone_valid,
        has_email,
        has_phone,
        departement_code,
        coalesce(departement_code in {{ ile_de_france_departements() }}, false) as is_ile_de_france,
        acquisition_channel,
        is_acquisition_channel_known,
        lead_provider,
        created_at,
        last_contact_at,
        created_at > {{ run_as_of() }} as is_created_at_in_future,
        updated_at
    from normalised

)

select * from pseudonymised
