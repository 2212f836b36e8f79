{#-
    A status or category as the CRM documents it: trimmed, lower-cased, accents removed,
    spaces as underscores ('Annulée' -> 'annulee', 'SIGNE' -> 'signe'). Values outside
    `accepted` become 'inconnu' (the model keeps the row and flags it, nothing is dropped).
-#}
{% macro normalise_code(expression, accepted) -%}
    case
        when {{ _plain_code(expression) }} in ('{{ accepted | join("', '") }}')
            then {{ _plain_code(expression) }}
        when {{ expression }} is null then null
        else 'inconnu'
    end
{%- endmacro %}

{% macro is_known_code(expression, accepted) -%}
    ({{ expression }} is null or {{ _plain_code(expression) }} in ('{{ accepted | join("', '") }}'))
{%- endmacro %}

{% macro _plain_code(expression) -%}
    replace(translate(lower(trim({{ expression }})), 'éèêëàâäîïôöûüç', 'eeeeaaaiioouuc'), ' ', '_')
{%- endmacro %}
