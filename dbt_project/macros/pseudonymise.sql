{#-
    Keyed pseudonym (HMAC-SHA256, 64 hex digits) of a value, in a domain ('contact', 'email',
    'phone', 'session'). The function is registered on the connection by the dbt-duckdb plugin
    orchestration.lib.dbt_plugin with the key from the environment: compiled SQL holds only
    the function's name. NULL stays NULL.

    In a dbt unit test only, var('pseudonymisation_inputs') makes it return the HMAC's input
    ('email:jeanne@example.org') instead, so that tests can check what is hashed without
    depending on the key. Anywhere else that var stops the run.
-#}
{% macro pseudonymise(domain, expression) -%}
    {%- if var('pseudonymisation_inputs', false) -%}
        {%- if model.resource_type != 'unit_test' -%}
            {{ exceptions.raise_compiler_error("var('pseudonymisation_inputs') is for dbt unit tests only: it would write identifiers into staging.") }}
        {%- endif -%}
        '{{ domain }}:' || cast({{ expression }} as varchar)
    {%- else -%}
        mgreen_pseudonym('{{ domain }}', cast({{ expression }} as varchar))
    {%- endif -%}
{%- endmacro %}
