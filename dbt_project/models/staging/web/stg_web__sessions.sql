with

source as (

    select * from {{ source('web', 'web_sessions') }}

),

pseudonymised as (

    -- IP, user agent, referrer, pages and search terms stay in raw: only the page count and
    -- the campaign fields (not personal) go on.
    select
        {{ pseudonymise('session', 'session_id') }} as session_key,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        started_at,
        {{ normalise_code('device', ['mobile', 'desktop', 'tablet']) }} as device,
        landing_page,
        coalesce(nullif(trim(lower(utm_source)), ''), 'direct') as utm_source,
        lower(utm_medium) as utm_medium,
        utm_campaign,
        {{ json_array_size("pages") }} as page_count,
        duration_s,
        {{ normalise_code('form', ['simulation', 'devis', 'contact', 'rendez_vous']) }} as submitted_form
    from source

)

select * from pseudonymised
