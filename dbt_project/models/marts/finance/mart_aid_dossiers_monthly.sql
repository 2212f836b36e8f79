with

applications as (

    select * from {{ ref('int_aid_applications_categorised') }}

),

aggregated as (

    -- METRICS.md, aids: dossiers by scheme and month of submission, by MaPrimeRénov' income
    -- category. A breakdown by income category: k is 11 (figures derived from tax data).
    select
        submitted_month,
        case when grouping(aid_scheme) = 1 then 'Tous' else aid_scheme end as aid_scheme,
        case when grouping(mpr_income_category) = 1 then 'Tous' else mpr_income_category end as mpr_income_category,
        count(distinct person_key) as n_persons,
        count(*) as n_dossiers_submitted,
        count(case when is_granted then 1 end) as n_dossiers_granted,
        count(case when is_refused then 1 end) as n_dossiers_refused,
        count(case when is_paid then 1 end) as n_dossiers_paid,
        sum(requested_eur) as requested_eur,
        sum(case when is_granted then granted_eur end) as granted_eur,
        {{ median('days_to_decision') }} as median_days_to_decision
    from applications
    where submitted_month is not null and submitted_month <= {{ paris_month(run_as_of()) }}
        and {{ is_retained('submitted_month', ['aid_applications.submitted_at']) }}
    group by submitted_month, grouping sets ((aid_scheme, mpr_income_category), (aid_scheme), (mpr_income_category), ())

),

published as (

    {{ suppress_small_cells(
        'aggregated',
        population='n_persons',
        measures=['n_dossiers_submitted', 'n_dossiers_granted', 'n_dossiers_refused', 'n_dossiers_paid',
                  'requested_eur', 'granted_eur', 'median_days_to_decision'],
        total_dims=['aid_scheme', 'mpr_income_category'],
        fixed_dims=['submitted_month'],
        k=income_min_cell_size(),
    ) }}

)

select * from published
