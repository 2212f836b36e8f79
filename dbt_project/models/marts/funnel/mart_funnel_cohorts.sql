with

stages as (

    select * from {{ ref('int_persons_stages_reached') }}

),

cohort_persons as (

    select *
    from stages
    where not is_first_contact_in_future
        and cohort_month <= {{ paris_month(run_as_of()) }}
        -- Cohorts whose prospects retention has begun to purge would convert at made-up rates.
        and {{ is_retained('cohort_month', ['contacts.created_at']) }}

),

stage_reached as (

    -- One row per person and stage reached (METRICS.md, acquisition funnel), with the days
    -- from first contact, and from signature for the installation.
    {%- set funnel = [
        ('prospect', 1, 'first_contact_at'),
        ('demande', 2, 'demande_at'),
        ('devis_envoye', 3, 'devis_envoye_at'),
        ('devis_signe', 4, 'devis_signe_at'),
        ('installe', 5, 'installe_at'),
        ('paye', 6, 'paye_at'),
    ] %}
    {%- for stage, position, reached_at in funnel %}
    select
        person_key,
        cohort_month,
        acquisition_channel,
        '{{ stage }}' as stage,
        {{ position }} as stage_position,
        {{ dbt.datediff('first_contact_at', reached_at, 'day') }} as days_since_first_contact,
        {% if stage == 'installe' -%}
        {{ dbt.datediff('devis_signe_at', reached_at, 'day') }}
        {%- else -%}
        cast(null as integer)
        {%- endif %} as days_since_signature
    from cohort_persons
    where {{ reached_at }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

aggregated as (

    select
        cohort_month,
        stage,
        stage_position,
        case when grouping(acquisition_channel) = 1 then 'Tous' else acquisition_channel end as acquisition_channel,
        count(distinct person_key) as n_persons,
        {{ median('days_since_first_contact') }} as median_days_since_first_contact,
        {{ median('days_since_signature') }} as median_days_since_signature
    from stage_reached
    group by cohort_month, stage, stage_position, grouping sets ((acquisition_channel), ())

),

with_rates as (

    select
        aggregated.*,
        prospects.n_persons as n_prospects,
        cast(aggregated.n_persons as double) / prospects.n_persons as conversion_rate
    from aggregated
    inner join aggregated as prospects
        on prospects.cohort_month = aggregated.cohort_month
        and prospects.acquisition_channel = aggregated.acquisition_channel
        and prospects.stage = 'prospect'

),

published as (

    {{ suppress_small_cells(
        'with_rates',
        population='n_persons',
        measures=['n_prospects', 'conversion_rate', 'median_days_since_first_contact', 'median_days_since_signature'],
        total_dims=['acquisition_channel'],
        fixed_dims=['cohort_month', 'stage', 'stage_position'],
        denominators=['n_prospects'],
        denominator_row="stage = 'prospect'",
        denominator_group=['cohort_month', 'acquisition_channel'],
    ) }}

)

select * from published
