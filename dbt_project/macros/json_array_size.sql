{#- Number of elements of a JSON array column. -#}
{% macro json_array_size(expression) -%}
    {{ return(adapter.dispatch('json_array_size')(expression)) }}
{%- endmacro %}

{% macro default__json_array_size(expression) -%}
    cast(json_array_length({{ expression }}) as integer)
{%- endmacro %}

{% macro spark__json_array_size(expression) -%}
    json_array_length({{ expression }})
{%- endmacro %}
