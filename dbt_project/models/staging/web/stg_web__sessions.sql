with

source as (

    select * from {{ source('web', 'web_sessions') }}

),

pseudonymised as (

    -- IP, user agent, referrer, landing page, pages, search terms and the campaign's free-text
    -- fields stay in raw: a URL carries whatever the link's author put in it. Only the page
    -- count and the campaign source, from a documented list, go on.
    select
        {{ pseudonymise('session', 'session_id') }} as session_key,
        {{ pseudonymise('contact', 'contact_id') }} as contact_key,
        started_at,
        {{ normalise_code('device', ['mobile', 'desktop', 'tablet']) }} as device,
        {{ normalise_code("coalesce(nullif(trim(utm_source), ''), 'direct')", var('web_sources') + ['direct']) }}
            as utm_source,
        {{ json_array_size("pages") }} as page_count,
        duration_s,
        {{ normalise_code('form', ['simulation', 'devis', 'contact', 'rendez_vous']) }} as submitted_form
    from source

)

select * from pseudonymised
