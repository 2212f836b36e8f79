{#-
    The instant the figures are computed at: var('as_of') when given (tests, replays), else
    now, in UTC like the CRM's timestamps.
-#}
{% macro run_as_of() -%}
    {%- if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as timestamp)
    {%- else -%}
        cast(timezone('UTC', current_timestamp) as timestamp)
    {%- endif -%}
{%- endmacro %}
