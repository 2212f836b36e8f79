{#-
    Statistical secrecy thresholds (docs/privacy-guard.md, "Statistical disclosure control"):
    k persons per published cell, MGREEN_MIN_CELL_SIZE (default 5); and 11 (or k when larger)
    for any breakdown by income category, since those figures derive from tax data.
-#}
{% macro min_cell_size() -%}
    {{ return(env_var('MGREEN_MIN_CELL_SIZE', '5') | int) }}
{%- endmacro %}

{% macro income_min_cell_size() -%}
    {{ return([11, min_cell_size()] | max) }}
{%- endmacro %}
