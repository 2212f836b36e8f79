{#- The cells of mart_funnel_cohorts, unprotected: persons of each cohort who reached each stage. -#}
{%- set stages = ['demande', 'devis_envoye', 'devis_signe', 'installe', 'paye'] -%}
with

stages as (

    select * from {{ ref('int_persons_stages_reached') }}

),

{%- set last_month = paris_month(run_as_of()) %}
months as (

    -- Cohorts whose prospects retention has begun to purge would convert at made-up rates.
    select month as cohort_month
    from ({{ month_spine("coalesce((select min(cohort_month) from " ~ ref('int_persons_stages_reached') ~ " where not is_first_contact_in_future), " ~ last_month ~ ")", last_month) }}) as spine
    where {{ is_retained('month', ['contacts.created_at']) }}

),

cohort_persons as (

    select *
    from stages
    where not is_first_contact_in_future
        and cohort_month in (select cohort_month from months)

),

person_rows as (

    {{ one_way_cells('cohort_persons', 'cohort_month', ['acquisition_channel'],
                     ['person_key', 'first_contact_at', 'demande_at', 'devis_envoye_at', 'devis_signe_at', 'installe_at', 'paye_at']) }}

),

counted as (

    -- Acquisition funnel: persons of the cohort who ever reached each stage.
    select
        cohort_month,
        acquisition_channel,
        count(distinct person_key) as n_prospects
        {%- for s in stages %},
        count(distinct person_key) filter (where {{ s }}_at is not null) as n_{{ s }}
        {%- endfor %},
        {{ median(dbt.datediff('first_contact_at', 'devis_signe_at', 'day')) }} as median_days_to_signature,
        count(distinct person_key) filter (where devis_signe_at is not null) as median_days_to_signature__persons,
        {{ median(dbt.datediff('devis_signe_at', 'installe_at', 'day')) }} as median_days_signature_to_installation,
        count(distinct person_key) filter (where devis_signe_at is not null and installe_at is not null)
            as median_days_signature_to_installation__persons
    from person_rows
    group by cohort_month, acquisition_channel

),

grid as (

    {{ one_way_grid('months', 'cohort_month', [['acquisition_channel', var('acquisition_channels')]]) }}

),

cells as (

    select
        grid.cohort_month,
        grid.acquisition_channel,
        coalesce(counted.n_prospects, 0) as n_prospects
        {%- for s in stages %},
        coalesce(counted.n_{{ s }}, 0) as n_{{ s }},
        -- implied by the two published counts: the cohort's persons who never reached the stage
        coalesce(counted.n_prospects, 0) - coalesce(counted.n_{{ s }}, 0) as n_without_{{ s }}
        {%- endfor %},
        counted.median_days_to_signature,
        coalesce(counted.median_days_to_signature__persons, 0) as median_days_to_signature__persons,
        counted.median_days_signature_to_installation,
        coalesce(counted.median_days_signature_to_installation__persons, 0)
            as median_days_signature_to_installation__persons
    from grid
    left join counted
        on counted.cohort_month = grid.cohort_month and counted.acquisition_channel = grid.acquisition_channel

),

numbered as (

    select *, row_number() over (order by cohort_month, acquisition_channel) as cell_number
    from cells

)

select * from numbered
