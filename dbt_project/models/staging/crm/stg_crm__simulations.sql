with

source as (

    select * from {{ source('crm', 'simulations') }}

),

ceilings as (

    select * from {{ ref('stg_reference__maprimerenov_ceilings') }}

),

located as (

    select
        source.*,
        {{ departement_code('postcode') }} as departement_code,
        case
            when {{ departement_code('postcode') }} in {{ ile_de_france_departements() }} then 'ile_de_france'
            else 'autres_regions'
        end as threshold_region
    from source

),

categorised as (

    -- The income and the exact household size are turned into the published attributes
    -- here and go no further.
    select
        located.simulation_id,
        {{ pseudonymise('contact', 'located.contact_id') }} as contact_key,
        {{ pseudonymise('session', 'located.web_session_id') }} as session_key,
        located.created_at,
        {{ household_size_band('located.household_size') }} as household_size_band,
        {{ mpr_income_category('located.fiscal_income_eur', 'ceilings.bleu_max_eur', 'ceilings.jaune_max_eur',
                               'ceilings.violet_max_eur') }} as mpr_income_category,
        located.departement_code,
        {{ normalise_code('located.housing_type', ['maison', 'appartement']) }} as housing_type,
        {{ normalise_code('located.occupancy', ['proprietaire_occupant', 'proprietaire_bailleur', 'locataire']) }}
            as occupancy,
        located.living_area_m2,
        located.construction_year,
        {{ normalise_code('located.heating_energy', ['fioul', 'gaz', 'electricite', 'bois', 'gpl']) }}
            as heating_energy,
        located.annual_energy_kwh,
        {{ normalise_code('located.recommended_category', var('product_categories')) }} as recommended_category,
        located.estimated_aid_eur,
        located.updated_at
    from located
    left join ceilings
        on ceilings.region = located.threshold_region
        and ceilings.household_size = located.household_size

)

select * from categorised
