{#-
    A status or category as the CRM documents it: trimmed, lower-cased, accents removed,
    spaces as underscores ('Annulée' -> 'annulee', 'SIGNE' -> 'signe'). Values outside
    `accepted` become 'inconnu' (the model keeps the row and flags it, nothing is dropped).

    Most CRM values are already written as documented, so they are compared as they are
    first: the accent folding (translate over UTF-8) then runs only on the others. That is
    the same result, because every accepted value is its own plain form (checked below),
    and it takes a third to two fifths off the staging models' SQL at tier L
    (docs/performance.md).
-#}
{% macro normalise_code(expression, accepted) -%}
    {%- set codes = _code_list(accepted) -%}
    case
        when {{ expression }} in {{ codes }} then {{ expression }}
        when {{ _plain_code(expression) }} in {{ codes }} then {{ _plain_code(expression) }}
        when {{ expression }} is null then null
        else 'inconnu'
    end
{%- endmacro %}

{% macro is_known_code(expression, accepted) -%}
    {%- set codes = _code_list(accepted) -%}
    ({{ expression }} is null or {{ expression }} in {{ codes }} or {{ _plain_code(expression) }} in {{ codes }})
{%- endmacro %}

{% macro _plain_code(expression) -%}
    replace(translate(lower(trim({{ expression }})), 'éèêëàâäîïôöûüç', 'eeeeaaaiioouuc'), ' ', '_')
{%- endmacro %}

{#- The accepted values as an SQL list; each must be a plain code, or the fast path above would differ. -#}
{% macro _code_list(accepted) -%}
    {%- for code in accepted -%}
        {%- if not modules.re.fullmatch('[a-z0-9_]+', code) -%}
            {{ exceptions.raise_compiler_error("normalise_code: accepted value '" ~ code ~ "' is not a plain code (lower case, no accent, underscores).") }}
        {%- endif -%}
    {%- endfor -%}
    ('{{ accepted | join("', '") }}')
{%- endmacro %}
