{#- Email trimmed and lower-cased when it has a valid shape, else NULL (docs/glossary.md, persons). -#}
{% macro normalise_email(expression) -%}
    case
        when regexp_matches(
            lower(trim({{ expression }})),
            '^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'
        )
            then lower(trim({{ expression }}))
    end
{%- endmacro %}
