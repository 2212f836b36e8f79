with

source as (

    select * from {{ source('crm', 'aid_applications') }}

),

ceilings as (

    select * from {{ ref('stg_reference__maprimerenov_ceilings') }}

),

categorised as (

    -- Tax number, notice reference, income and exact household size stay here: out go the
    -- MaPrimeRénov' category under both regions' ceilings (the household's département is
    -- known downstream) and a household-size band.
    select
        source.application_id,
        source.order_id,
        {{ pseudonymise('contact', 'source.contact_id') }} as contact_key,
        {{ normalise_code('source.scheme', ['maprimerenov', 'cee', 'eco_ptz']) }} as aid_scheme,
        {{ mpr_income_category('source.fiscal_income_eur', 'idf.bleu_max_eur', 'idf.jaune_max_eur',
                               'idf.violet_max_eur') }} as mpr_category_if_ile_de_france,
        {{ mpr_income_category('source.fiscal_income_eur', 'other.bleu_max_eur', 'other.jaune_max_eur',
                               'other.violet_max_eur') }} as mpr_category_if_other_region,
        {{ household_size_band('source.household_size') }} as household_size_band,
        source.requested_eur,
        source.granted_eur,
        {{ normalise_code('source.status', ['deposee', 'accordee', 'refusee', 'versee']) }} as aid_status,
        {{ is_known_code('source.status', ['deposee', 'accordee', 'refusee', 'versee']) }} as is_status_known,
        source.submitted_at,
        source.decided_at,
        source.paid_at,
        source.updated_at
    from source
    left join ceilings as idf
        on idf.region = 'ile_de_france' and idf.household_size = source.household_size
    left join ceilings as other
        on other.region = 'autres_regions' and other.household_size = source.household_size

)

select * from categorised
