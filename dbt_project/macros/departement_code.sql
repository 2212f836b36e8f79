{#-
    Département of a French postcode (its first two digits), the finest place the warehouse
    keeps: the postcode itself is generalised away in staging. NULL when not a postcode.
-#}
{% macro departement_code(postcode) -%}
    case when regexp_matches(trim({{ postcode }}), '^[0-9]{5}$') then substr(trim({{ postcode }}), 1, 2) end
{%- endmacro %}

{% macro ile_de_france_departements() -%}
    ('75', '77', '78', '91', '92', '93', '94', '95')
{%- endmacro %}

{#- The département dimension of the marts: IDF codes, 'hors_idf', or 'inconnu'. -#}
{% macro departement_dimension(code) -%}
    case
        when {{ code }} in {{ ile_de_france_departements() }} then {{ code }}
        when {{ code }} is not null then 'hors_idf'
        else 'inconnu'
    end
{%- endmacro %}
