{#- Household size generalised for publication: '1', '2', '3', '4', '5+' (NULL when invalid). -#}
{% macro household_size_band(size) -%}
    case
        when {{ size }} between 1 and 4 then cast({{ size }} as varchar)
        when {{ size }} >= 5 then '5+'
    end
{%- endmacro %}
