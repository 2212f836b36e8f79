{#-
    True for a period (a Paris month, or a Paris day with grain='day') that no retention purge
    has cut into: later than every watermark in `names` (ops.retention_watermarks, written by
    the nightly's retention step, orchestration/lib/watermarks.py). A mart keeps only such
    periods, so that a month missing part of its rows is not published as if it were whole.
    True for every period before any purge, and on a warehouse without the table.
-#}
{% macro is_retained(period, names, grain='month') -%}
    {%- set relation = adapter.get_relation(database=target.database, schema='ops',
                                            identifier='retention_watermarks') if execute else none -%}
    {%- if relation is none -%}
        true
    {%- else -%}
        {%- set latest = paris_month('max(purged_through)') if grain == 'month' else paris_date('max(purged_through)') -%}
        coalesce(
            {{ period }} > (
                select {{ latest }} from {{ relation }}
                where name in ({% for name in names %}'{{ name }}'{% if not loop.last %}, {% endif %}{% endfor %})
            ),
            true
        )
    {%- endif -%}
{%- endmacro %}
