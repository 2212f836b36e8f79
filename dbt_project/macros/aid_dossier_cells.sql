{#-
    The cells of the aid marts, unprotected, by period of submission:
    - grain 'month': by scheme (one way);
    - grain 'quarter': by scheme and MaPrimeRénov' income category crossed, every combination
      (a breakdown by income category: which rows exist must tell nothing; k is 11 there).
    Counts of dossiers with their persons, amounts with their two largest contributions, and
    the dossiers neither granted nor refused yet (implied by the published counts).
-#}
{% macro aid_dossier_cells(grain) -%}
{%- set period = 'submitted_month' if grain == 'month' else 'submitted_quarter' -%}
{%- set dims = ['aid_scheme'] if grain == 'month' else ['aid_scheme', 'mpr_income_category'] -%}
with

applications as (

    select
        *,
        cast({{ dbt.date_trunc('quarter', 'submitted_month') }} as date) as submitted_quarter
    from {{ ref('int_aid_applications_categorised') }}
    where submitted_month is not null and submitted_month <= {{ paris_month(run_as_of()) }}
        and {{ is_retained('submitted_month', ['aid_applications.submitted_at']) }}

),

{%- set last_month = paris_month(run_as_of()) %}
periods as (

    -- A period is published only when retention has cut into none of its months.
    select cast({{ dbt.date_trunc(grain, 'month') }} as date) as {{ period }}
    from (
        select month, {{ is_retained('month', ['aid_applications.submitted_at']) }} as is_whole
        from ({{ month_spine("coalesce((select min(submitted_month) from applications), " ~ last_month ~ ")", last_month) }}) as spine
    ) as months
    group by 1
    having bool_and(is_whole)

),

dossier_rows as (

    {%- set carried = ['person_key', 'is_granted', 'is_refused', 'is_paid', 'requested_eur', 'granted_eur', 'days_to_decision'] %}
    {%- if grain == 'month' %}
    {{ one_way_cells('applications', period, dims, carried) }}
    {%- else %}
    {{ crossed_cells('applications', period, dims, carried) }}
    {%- endif %}

),

counted as (

    select
        {{ period }},
        {{ dims | join(', ') }},
        count(*) as n_dossiers_submitted,
        count(distinct person_key) as n_dossiers_submitted__persons,
        count(*) filter (where is_granted) as n_dossiers_granted,
        count(distinct person_key) filter (where is_granted) as n_dossiers_granted__persons,
        count(*) filter (where is_refused) as n_dossiers_refused,
        count(distinct person_key) filter (where is_refused) as n_dossiers_refused__persons,
        count(*) filter (where is_paid) as n_dossiers_paid,
        count(distinct person_key) filter (where is_paid) as n_dossiers_paid__persons,
        count(*) filter (where not is_granted and not is_refused) as n_dossiers_pending,
        count(distinct person_key) filter (where not is_granted and not is_refused) as n_dossiers_pending__persons,
        {{ median('days_to_decision') }} as median_days_to_decision,
        count(distinct person_key) filter (where days_to_decision is not null) as median_days_to_decision__persons
    from dossier_rows
    group by {{ period }}, {{ dims | join(', ') }}

),

requested as (

    {{ top_contributions('dossier_rows', [period] + dims, 'requested_eur', 'requested_eur') }}

),

granted as (

    {{ top_contributions('dossier_rows', [period] + dims, 'granted_eur', 'granted_eur', where='is_granted') }}

),

grid as (

    {%- set domains = [['aid_scheme', var('aid_schemes')]] + ([['mpr_income_category', var('mpr_income_categories')]] if grain == 'quarter' else []) %}
    {%- if grain == 'month' %}
    {{ one_way_grid('periods', period, domains) }}
    {%- else %}
    {{ crossed_grid('periods', period, domains) }}
    {%- endif %}

),

cells as (

    select
        grid.*,
        {%- for c in ['n_dossiers_submitted', 'n_dossiers_granted', 'n_dossiers_refused', 'n_dossiers_paid', 'n_dossiers_pending'] %}
        coalesce(counted.{{ c }}, 0) as {{ c }},
        coalesce(counted.{{ c }}__persons, 0) as {{ c }}__persons,
        {%- endfor %}
        {%- for amount in ['requested_eur', 'granted_eur'] %}
        coalesce({{ amount.split('_')[0] }}.{{ amount }}, 0) as {{ amount }},
        coalesce({{ amount.split('_')[0] }}.{{ amount }}__persons, 0) as {{ amount }}__persons,
        coalesce({{ amount.split('_')[0] }}.{{ amount }}__top1, 0) as {{ amount }}__top1,
        coalesce({{ amount.split('_')[0] }}.{{ amount }}__top2, 0) as {{ amount }}__top2,
        {%- endfor %}
        counted.median_days_to_decision,
        coalesce(counted.median_days_to_decision__persons, 0) as median_days_to_decision__persons
    from grid
    {%- for relation in ['counted', 'requested', 'granted'] %}
    left join {{ relation }}
        on {{ relation }}.{{ period }} = grid.{{ period }}
        {%- for d in dims %}
        and {{ relation }}.{{ d }} = grid.{{ d }}
        {%- endfor %}
    {%- endfor %}

),

numbered as (

    select *, row_number() over (order by {{ period }}, {{ dims | join(', ') }}) as cell_number
    from cells

)

select * from numbered
{%- endmacro %}
