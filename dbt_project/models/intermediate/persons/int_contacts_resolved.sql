with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

phones_of_email_persons as (

    -- A phone also carried by contacts with a valid email belongs to the person of the
    -- earliest of them.
    select phone_key, email_key as person_key
    from (
        select
            phone_key,
            email_key,
            row_number() over (partition by phone_key order by created_at, contact_key) as rank_in_phone
        from contacts
        where email_key is not null and phone_key is not null
    ) as ranked
    where rank_in_phone = 1

),

resolved as (

    -- docs/glossary.md, persons: same valid email, else same valid phone, else the contact alone.
    select
        contacts.contact_key,
        case
            when contacts.email_key is not null then contacts.email_key
            when contacts.phone_key is not null then coalesce(phones.person_key, contacts.phone_key)
            else contacts.contact_key
        end as person_key,
        case
            when contacts.email_key is not null then 'email'
            when phones.person_key is not null then 'phone_of_email_person'
            when contacts.phone_key is not null then 'phone'
            else 'contact'
        end as resolved_by,
        contacts.created_at,
        contacts.is_created_at_in_future,
        contacts.acquisition_channel,
        contacts.departement_code,
        contacts.is_ile_de_france
    from contacts
    left join phones_of_email_persons as phones
        on contacts.email_key is null and phones.phone_key = contacts.phone_key

)

select * from resolved
