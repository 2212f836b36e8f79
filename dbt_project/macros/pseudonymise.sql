{#-
    Keyed pseudonym (HMAC-SHA256, 64 hex digits) of a value, in a domain ('contact', 'email',
    'phone', 'session'). The function is registered on the connection by the dbt-duckdb plugin
    orchestration.lib.dbt_plugin with the key from the environment: compiled SQL holds only
    the function's name. NULL stays NULL.
-#}
{% macro pseudonymise(domain, expression) -%}
    mgreen_pseudonym('{{ domain }}', cast({{ expression }} as varchar))
{%- endmacro %}
