{#-
    The instant the figures are computed at, in UTC like the CRM's timestamps:
    - var('as_of') when given (dbt unit tests, an analyst's replay);
    - else the nightly run's instant, which the run hands to dbt's connections as the DuckDB
      variable mgreen_run_as_of (orchestration/lib/dbt_plugin.py): one instant for every model
      of the run and for its load and retention steps. It is not passed as --vars because a
      new value each night makes dbt parse the whole project again (docs/decisions);
    - else now, for an analyst's own build outside the nightly job.
-#}
{% macro run_as_of() -%}
    {%- if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as timestamp)
    {%- else -%}
        cast(coalesce(getvariable('mgreen_run_as_of'), timezone('UTC', current_timestamp)) as timestamp)
    {%- endif -%}
{%- endmacro %}
