with

thresholds as (

    select * from {{ ref('maprimerenov_thresholds') }}

),

base_sizes as (

    select
        region,
        case when household_size <> 'per_extra_person' then cast(household_size as integer) end as household_size,
        bleu_max_eur,
        jaune_max_eur,
        violet_max_eur
    from thresholds
    where household_size <> 'per_extra_person'

),

per_extra_person as (

    select region, bleu_max_eur, jaune_max_eur, violet_max_eur
    from thresholds
    where household_size = 'per_extra_person'

),

household_sizes as (

    {% for size in range(1, 21) -%}
    select {{ size }} as household_size{% if not loop.last %} union all {% endif %}
    {% endfor %}

),

ceilings_by_size as (

    select
        five.region,
        sizes.household_size,
        case
            when sizes.household_size <= 5 then exact.bleu_max_eur
            else five.bleu_max_eur + (sizes.household_size - 5) * extra.bleu_max_eur
        end as bleu_max_eur,
        case
            when sizes.household_size <= 5 then exact.jaune_max_eur
            else five.jaune_max_eur + (sizes.household_size - 5) * extra.jaune_max_eur
        end as jaune_max_eur,
        case
            when sizes.household_size <= 5 then exact.violet_max_eur
            else five.violet_max_eur + (sizes.household_size - 5) * extra.violet_max_eur
        end as violet_max_eur
    from household_sizes as sizes
    cross join base_sizes as five
    inner join per_extra_person as extra
        on five.region = extra.region
    left join base_sizes as exact
        on exact.region = five.region and exact.household_size = sizes.household_size
    where five.household_size = 5

)

select * from ceilings_by_size
