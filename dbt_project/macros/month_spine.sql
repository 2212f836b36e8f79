{#-
    One row per month (column `month`, a date) from first_month to last_month, both included;
    both arguments are SQL expressions of first days of months, subqueries allowed.

    dbt's own date_spine counts its intervals with a query at compile time, which needs the
    upstream tables to exist then: a dbt unit test, whose inputs are CTEs, cannot compile it.
    This spine is computed by the query itself.
-#}
{% macro month_spine(first_month, last_month) -%}
    select cast(unnest(generate_series(
        cast({{ first_month }} as timestamp),
        cast({{ last_month }} as timestamp),
        interval 1 month
    )) as date) as month
{%- endmacro %}
