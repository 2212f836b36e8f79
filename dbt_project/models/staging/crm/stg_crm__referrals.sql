with

source as (

    select * from {{ source('crm', 'referrals') }}

),

pseudonymised as (

    select
        referral_id,
        {{ pseudonymise('contact', 'referrer_contact_id') }} as referrer_contact_key,
        {{ pseudonymise('contact', 'referee_contact_id') }} as referee_contact_key,
        created_at,
        reward_eur,
        updated_at
    from source

)

select * from pseudonymised
