{#-
    True for a period (a Paris month, or a Paris day with grain='day') that retention has not
    cut into: no range of days recorded under one of `names` in the source ops.retention_cuts
    (written by the nightly's retention step, orchestration/lib/retention_cuts.py) touches it. A mart
    keeps only such periods, so that a month missing part of its rows is not published as if
    it were whole. True for every period on a warehouse without the table.
-#}
{% macro is_retained(period, names, grain='month') -%}
    {#- source() makes the table an input of the calling model in dbt's lineage and Dagster's. -#}
    {%- set cuts = source('ops', 'retention_cuts') -%}
    {%- set relation = adapter.get_relation(database=cuts.database, schema=cuts.schema,
                                            identifier=cuts.identifier) if execute else none -%}
    {%- if relation is none -%}
        true
    {%- else -%}
        {%- set period_end = dbt.dateadd('day', -1, dbt.dateadd('month', 1, period)) if grain == 'month' else period -%}
        not exists (
            select 1 from {{ relation }} as cut
            where cut.name in ({% for name in names %}'{{ name }}'{% if not loop.last %}, {% endif %}{% endfor %})
                and cut.last_day >= {{ period }}
                and (cut.first_day is null or cut.first_day <= {{ period_end }})
        )
    {%- endif -%}
{%- endmacro %}
